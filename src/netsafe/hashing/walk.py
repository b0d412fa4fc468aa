"""Expand the paths a user gives (files and folders) into the files to hash, in a stable order."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Found:
    path: str
    size: int
    error: str | None = None


def walk(paths: list[str]) -> Iterator[Found]:
    """Yield every file under ``paths``; folders recursively, sorted, symlinked folders not followed.

    Unreadable folders are yielded as entries with an ``error`` so they show in the output.
    """
    for root in paths:
        if os.path.isdir(root) and not os.path.islink(root):
            yield from _walk_dir(root)
        else:
            yield _entry(root)


def _walk_dir(top: str) -> Iterator[Found]:
    errors: list[OSError] = []
    for dirpath, dirnames, filenames in os.walk(top, onerror=errors.append, followlinks=False):
        while errors:
            err = errors.pop()
            yield Found(str(err.filename or dirpath), 0, f"cannot list folder: {err.strerror}")
        dirnames.sort()
        for name in sorted(filenames):
            yield _entry(os.path.join(dirpath, name))
        # Symlinks to folders appear in dirnames but are not descended: list them as (skipped) entries.
        for name in [d for d in dirnames if os.path.islink(os.path.join(dirpath, d))]:
            yield Found(os.path.join(dirpath, name), 0, "symbolic link to a folder: not followed")
    while errors:
        err = errors.pop()
        yield Found(str(err.filename or top), 0, f"cannot list folder: {err.strerror}")


def _entry(path: str) -> Found:
    try:
        return Found(path, os.stat(path).st_size)
    except OSError as err:
        return Found(path, 0, f"cannot read file: {err.strerror}")
