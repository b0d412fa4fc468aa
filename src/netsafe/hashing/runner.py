"""Hash many files across processes, yielding results in input order with a bounded queue."""

from __future__ import annotations

import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor

from netsafe.hashing.engine import hash_file
from netsafe.hashing.options import HashOptions
from netsafe.hashing.record import FileRecord
from netsafe.hashing.walk import Found

ProgressHook = Callable[[FileRecord], None]


def default_workers() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)


def hash_many(
    items: Iterable[Found],
    options: HashOptions,
    workers: int | None = None,
    on_done: ProgressHook | None = None,
) -> Iterator[FileRecord]:
    """Yield a :class:`FileRecord` for every item, in order. ``workers=1`` hashes in this process."""
    workers = workers or default_workers()
    if workers == 1:
        for item in items:
            record = _one(item, options)
            if on_done:
                on_done(record)
            yield record
        return
    # forkserver: workers never inherit the parent's threads (progress bar, decoder threads).
    ctx = multiprocessing.get_context("forkserver")
    window: deque[Future[FileRecord] | FileRecord] = deque()
    limit = workers * 8
    with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
        for item in items:
            if item.error:
                window.append(FileRecord(path=item.path, size=item.size or None, error=item.error))
            else:
                window.append(pool.submit(hash_file, item.path, options))
            while len(window) >= limit:
                yield _finish(window.popleft(), on_done)
        while window:
            yield _finish(window.popleft(), on_done)


def _one(item: Found, options: HashOptions) -> FileRecord:
    if item.error:
        return FileRecord(path=item.path, size=item.size or None, error=item.error)
    return hash_file(item.path, options)


def _finish(entry: Future[FileRecord] | FileRecord, on_done: ProgressHook | None) -> FileRecord:
    record = entry if isinstance(entry, FileRecord) else entry.result()
    if on_done:
        on_done(record)
    return record
