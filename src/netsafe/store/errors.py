"""The store's one exception type (its own module so that the store's helpers can raise it too)."""

from __future__ import annotations


class StoreError(Exception):
    """A store problem a person can act on; ``str(err)`` is one line."""
