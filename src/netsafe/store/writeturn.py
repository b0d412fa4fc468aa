"""Whose turn it is to write a SQLite store, across the processes that share it.

SQLite has one write lock per database, and a writer that finds it taken sleeps in its busy handler
(Python's ``sqlite3`` uses SQLite's: sleeps of 1, 2, 5 ... 100 ms) and tries again. With several web workers
appending audit events to one file, those sleeps made /match's p99 198-771 ms. Writers that queue on an
exclusive ``flock`` instead are woken by the kernel the moment the lock is released.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

try:
    import fcntl
except ImportError:  # not POSIX: writers fall back to SQLite's busy handler
    fcntl = None  # type: ignore[assignment]


class WriteTurn:
    """An exclusive turn at ``<database>.write-lock``, for threads (a lock) and processes (``flock``)."""

    def __init__(self, database: Path) -> None:
        self.path = database.with_name(database.name + ".write-lock")
        self._threads = threading.Lock()  # flock is per open file: threads of one process share it
        self._fd: int | None = None

    @contextmanager
    def __call__(self) -> Iterator[None]:
        with self._threads:
            if fcntl is None:
                yield
                return
            if self._fd is None:
                self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
            fcntl.flock(self._fd, fcntl.LOCK_EX)  # blocks without the GIL until the holder lets go
            try:
                yield
            finally:
                fcntl.flock(self._fd, fcntl.LOCK_UN)

    def close(self) -> None:
        with self._threads:
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None
