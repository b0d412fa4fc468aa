"""Decoder processes that survive a crashing decoder (the idea of netsafe.hashing.runner, for scan jobs).

If a worker dies (a decoder segfault on hostile input), every pending future fails with
``BrokenProcessPool``. The job the scan is waiting for is then retried alone in a fresh process: if it kills
that one too it is the culprit and becomes an error line; every other unfinished job is resubmitted.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field

from netsafe.hashing.record import FileRecord
from netsafe.triage.work import Decoded, DecodeJob, decode

CRASH_MESSAGE = "the decoder crashed on this file (worker process died); other files were not affected"


@dataclass(slots=True)
class Pending:
    job: DecodeJob
    future: Future[Decoded] | None = field(default=None)


class DecodePool:
    def __init__(self, workers: int, func: Callable[[DecodeJob], Decoded] = decode) -> None:
        self.workers = workers
        self.func = func
        # forkserver: workers never inherit the scanner's threads (progress bar, readers, database).
        self.ctx = multiprocessing.get_context("forkserver")
        self.executor = self._new(workers)
        self.pending: list[Pending] = []

    def _new(self, workers: int) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(max_workers=workers, mp_context=self.ctx)

    def submit(self, job: DecodeJob) -> Pending:
        pending = Pending(job, self.executor.submit(self.func, job))
        self.pending.append(pending)
        return pending

    def result(self, pending: Pending) -> Decoded:
        assert pending.future is not None
        try:
            out = pending.future.result()
        except BrokenProcessPool:
            out = self._recover(pending)
        self.pending.remove(pending)
        return out

    def _recover(self, culprit: Pending) -> Decoded:
        self.executor.shutdown(wait=False, cancel_futures=True)
        solo = self._new(1)
        try:
            out = solo.submit(self.func, culprit.job).result()
        except BrokenProcessPool:
            out = Decoded(FileRecord(path=culprit.job.name, error=CRASH_MESSAGE))
        finally:
            solo.shutdown(wait=False, cancel_futures=True)
        self.executor = self._new(self.workers)
        for other in self.pending:
            if other is culprit or other.future is None:
                continue
            f = other.future
            if not (f.done() and not f.cancelled() and f.exception() is None):
                other.future = self.executor.submit(self.func, other.job)
        return out

    def close(self) -> None:
        self.executor.shutdown(wait=True, cancel_futures=True)
