"""Forensic triage: scan seized media against hash sets, checkpointed in the store, and write the report."""
