"""The store's one exception type (its own module so that the store's helpers can raise it too)."""

from __future__ import annotations

from netsafe.errors import Conflict, InvalidInput, Unavailable


class StoreError(Unavailable):
    """A store problem a person can act on; ``str(err)`` is one line (never the database's URL)."""


class StoreInputError(InvalidInput, StoreError):
    """A request the store cannot take as given (a malformed name, an empty change, a bad URL)."""


class StoreConflictError(Conflict, StoreError):
    """The store refused a change because another one got there first (a name taken, a unique key)."""


class StoreBusyError(StoreError):
    """Another connection held the store's write lock for longer than this writer would wait (SQLite)."""
