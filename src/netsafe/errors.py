"""The kinds of error every netsafe operation can end in, whichever door it came through.

Each package's own exceptions derive from one of these, so the command line maps them to exit codes in one
place (``cli/errors.py``) and the service to HTTP statuses with one handler per kind (``web/errors.py``).
``str(err)`` is always one line a person can act on, with no path, database URL or secret in it.

This module imports nothing of netsafe's: every layer may raise these.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypeVar

T = TypeVar("T")


class NetsafeError(Exception):
    """Something a person can act on went wrong (the most general kind)."""


class InvalidInput(NetsafeError):  # noqa: N818 - the kinds read as what happened, not as "...Error"
    """The request or the data given is not valid as it stands (a bad hash, an unknown option, a bad file)."""


class Rejected(InvalidInput):
    """Input was read in full and some of its records are invalid (nothing, or only the rest, was stored)."""


class NotFound(NetsafeError):  # noqa: N818
    """What the request names does not exist (a hash set, an entry, a user, a scan)."""


class Conflict(NetsafeError):  # noqa: N818
    """The request clashes with what exists now (a name taken, a concurrent change)."""


class Forbidden(NetsafeError):  # noqa: N818
    """The caller may not do this."""


class Unavailable(NetsafeError):  # noqa: N818
    """A resource the operation needs cannot be reached now (the store, a lock); trying later may work."""


def by_kind(err: BaseException, table: Mapping[type[NetsafeError], T], default: T) -> T:
    """What ``table`` gives the most specific kind ``err`` is (its classes in method resolution order, so a
    NotFound that is also a StoreError finds NotFound's entry first); ``default`` for anything else."""
    for kind in type(err).__mro__:
        if kind in table:
            return table[kind]
    return default


__all__ = [
    "Conflict",
    "Forbidden",
    "InvalidInput",
    "NetsafeError",
    "NotFound",
    "Rejected",
    "Unavailable",
    "by_kind",
]
