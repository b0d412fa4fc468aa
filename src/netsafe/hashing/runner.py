"""Hash many files across processes, yielding results in input order with a bounded queue.

Decoders (libjpeg, libpng, FFmpeg) are C code fed with hostile files; if one crashes its worker process,
the pool breaks. The runner then finds the culprit by retrying the oldest pending file alone, records it as
an error, and carries on with a fresh pool: one poisoned file costs one line, never the run.
"""

from __future__ import annotations

import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass

from netsafe.hashing.engine import hash_file
from netsafe.hashing.options import HashOptions
from netsafe.hashing.record import FileRecord
from netsafe.hashing.walk import Found

ProgressHook = Callable[[FileRecord], None]
HashFunc = Callable[[str, HashOptions], FileRecord]

CRASH_MESSAGE = "the decoder crashed on this file (worker process died); other files were not affected"


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
            record = _failed(item) if item.error else func(item.path, options)
            if on_done:
                on_done(record)
            yield record
        return
    with _Pool(workers, options, func) as pool:
        window: deque[_Pending] = deque()
        limit = workers * 8
        for item in items:
            window.append(pool.submit(item))
            while len(window) >= limit:
                yield _done(pool.result(window, window.popleft()), on_done)
        while window:
            yield _done(pool.result(window, window.popleft()), on_done)


def _failed(item: Found) -> FileRecord:
    return FileRecord(path=item.path, size=item.size or None, error=item.error)


def _done(record: FileRecord, on_done: ProgressHook | None) -> FileRecord:
    if on_done:
        on_done(record)
    return record


@dataclass(slots=True)
class _Pending:
    item: Found
    future: Future[FileRecord] | None  # None: the item needs no work (walk error)


def _succeeded(future: Future[FileRecord]) -> bool:
    return future.done() and not future.cancelled() and future.exception() is None


class _Pool:
    def __init__(self, workers: int, options: HashOptions, func: HashFunc) -> None:
        self.workers = workers
        self.options = options
        self.func = func
        # forkserver: workers never inherit the parent's threads (progress bar, decoder threads).
        self.ctx = multiprocessing.get_context("forkserver")
        self.executor = self._new()

    def _new(self, workers: int | None = None) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(max_workers=workers or self.workers, mp_context=self.ctx)

    def __enter__(self) -> _Pool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.executor.shutdown(wait=True, cancel_futures=True)

    def submit(self, item: Found) -> _Pending:
        if item.error:
            return _Pending(item, None)
        return _Pending(item, self.executor.submit(self.func, item.path, self.options))

    def result(self, window: deque[_Pending], head: _Pending) -> FileRecord:
        if head.future is None:
            return _failed(head.item)
        try:
            return head.future.result()
        except BrokenProcessPool:
            pass
        # The pool died under some pending file. Retry the head alone: if it dies again it is the culprit.
        self.executor.shutdown(wait=False, cancel_futures=True)
        record = self._isolated(head.item)
        self.executor = self._new()
        for pending in window:
            if pending.future is not None and not _succeeded(pending.future):
                pending.future = self.executor.submit(self.func, pending.item.path, self.options)
        return record

    def _isolated(self, item: Found) -> FileRecord:
        solo = self._new(1)
        try:
            return solo.submit(self.func, item.path, self.options).result()
        except BrokenProcessPool:
            return FileRecord(path=item.path, size=item.size or None, error=CRASH_MESSAGE)
        finally:
            solo.shutdown(wait=False, cancel_futures=True)
