"""What every door asks of a hash-set request before it reaches the store: the name rule, usage errors.

One name rule for every door (create, import into a new set, rename): letters, digits, ``-``, ``_`` and
``.``, not starting with ``.``, at most 200 characters. A name outside it could not be named in a URL
(``/`` splits the path, ``..`` walks it). Sets made before the rule keep their names and stay reachable by
exact name from the command line; ``netsafe hashset list`` marks them with a hint to rename.
"""

from __future__ import annotations

import re

from netsafe.hashsets.model import HashSetError

MAX_NAME = 200
_NAME = re.compile(rf"[A-Za-z0-9_-][A-Za-z0-9._-]{{0,{MAX_NAME - 1}}}")


class UsageError(HashSetError):
    """A request that cannot be honoured as asked (unknown set, profile clash, unreadable file)."""


class InvalidNameError(HashSetError):
    """A new hash-set name outside the name rule."""


def name_ok(name: str) -> bool:
    """Whether ``name`` follows the rule (the sets made before it may not)."""
    return _NAME.fullmatch(name) is not None


def check_new_name(name: str) -> str:
    """``name`` if a new set may have it; otherwise :class:`InvalidNameError` saying what is allowed."""
    if name_ok(name):
        return name
    shown = name if len(name) <= 72 else name[:72] + "..."
    raise InvalidNameError(
        f"hash set name {shown!r} is not allowed: use 1-{MAX_NAME} letters, digits, '-', '_' or '.', "
        "not starting with '.'"
    )


__all__ = ["MAX_NAME", "InvalidNameError", "UsageError", "check_new_name", "name_ok"]
