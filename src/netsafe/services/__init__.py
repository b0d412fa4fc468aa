"""The service layer: one module per use case, the only code the command line, the API and the pages call.

Each operation takes the store (its unit of work) and an actor, and does the check, the change and its audit
event in one transaction, so every door gives the same answer and no change lands without its event. See
docs/architecture.md.
"""
