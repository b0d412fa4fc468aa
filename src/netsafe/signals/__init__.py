"""Signals: what a file is reduced to so it can be recognised (cryptographic and perceptual hashes)."""
