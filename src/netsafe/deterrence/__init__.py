"""Deterrence: URL and keyword lists, a fast check, the warning page with a route to help, honest counts."""
