"""Hash many files across processes, yielding results in input order with a bounded queue.

The processes are a :class:`netsafe.hashing.crashsafe.CrashSafePool`: a decoder that crashes its worker
costs that one file an error line, never the run.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from functools import partial

from netsafe.hashing.crashsafe import CRASH_MESSAGE, CrashSafePool, Pending
from netsafe.hashing.engine import hash_file
from netsafe.hashing.options import HashOptions
from netsafe.hashing.record import FileRecord
from netsafe.hashing.walk import Found

ProgressHook = Callable[[FileRecord], None]
HashFunc = Callable[[str, HashOptions], FileRecord]

__all__ = ["CRASH_MESSAGE", "default_workers", "hash_many"]


def default_workers() -> int:
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


def hash_many(
    items: Iterable[Found],
    options: HashOptions,
    workers: int | None = None,
    on_done: ProgressHook | None = None,
    func: HashFunc = hash_file,
) -> Iterator[FileRecord]:
    """Yield a :class:`FileRecord` for every item, in order. ``workers=1`` hashes in this process."""
    workers = workers or default_workers()
    if workers == 1:
        for item in items:
            yield _done(_failed(item) if item.error else func(item.path, options), on_done)
        return
    work = partial(_hash_found, func=func, options=options)
    with CrashSafePool[Found, FileRecord](workers, work, _crashed) as pool:
        window: deque[Pending[Found, FileRecord] | FileRecord] = deque()
        limit = workers * 8
        for item in items:
            window.append(_failed(item) if item.error else pool.submit(item))
            while len(window) >= limit:
                yield _done(_take(pool, window.popleft()), on_done)
        while window:
            yield _done(_take(pool, window.popleft()), on_done)


def _hash_found(item: Found, func: HashFunc, options: HashOptions) -> FileRecord:
    return func(item.path, options)


def _take(
    pool: CrashSafePool[Found, FileRecord], entry: Pending[Found, FileRecord] | FileRecord
) -> FileRecord:
    return entry if isinstance(entry, FileRecord) else pool.result(entry)


def _crashed(item: Found) -> FileRecord:
    return FileRecord(path=item.path, size=item.size or None, error=CRASH_MESSAGE)


def _failed(item: Found) -> FileRecord:
    return FileRecord(path=item.path, size=item.size or None, error=item.error)


def _done(record: FileRecord, on_done: ProgressHook | None) -> FileRecord:
    if on_done:
        on_done(record)
    return record
