"""A process pool that survives a worker dying under a hostile input.

Decoders (libjpeg, libpng, FFmpeg) are C code fed with hostile files; if one crashes its worker process,
every pending future fails with ``BrokenProcessPool``. The job the caller is waiting for is then retried
alone in a fresh process: if it kills that one too it is the culprit and ``on_crash`` turns it into a
result; every other unfinished job is resubmitted to a fresh pool. One poisoned file costs one result.

Workers end with the process that made the pool, even a ``kill -9``'d one. Without that they wait for
work for ever: each holds both ends of its job queue and the forkserver's liveness pipe, so neither they
nor the forkserver nor the resource tracker ever see the pipes close. (``PR_SET_PDEATHSIG`` does not help
here: a worker's parent is the forkserver, which only leaves once the workers have.)
"""

from __future__ import annotations

import multiprocessing
import os
import select
import signal
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from functools import partial
from typing import Generic, TypeVar

J = TypeVar("J")
R = TypeVar("R")

CRASH_MESSAGE = (
    "the decoder crashed or hung on this file (worker process died, or ran past the time limit); "
    "other files were not affected"
)
# A decoder that never returns (a hostile file looping in C) would stall the whole scan: the kernel ends
# its worker after this long, and the file becomes a crash. Generous, for vPDQ of long videos.
JOB_SECONDS = 1800


@dataclass(slots=True, eq=False)
class Pending(Generic[J, R]):
    job: J
    future: Future[R]


class CrashSafePool(Generic[J, R]):
    def __init__(
        self,
        workers: int,
        func: Callable[[J], R],
        on_crash: Callable[[J], R],
        job_seconds: int | None = JOB_SECONDS,
    ) -> None:
        self.workers = workers
        self.func: Callable[[J], R] = func if not job_seconds else partial(_timed, func, job_seconds)
        self.on_crash = on_crash
        # forkserver: workers never inherit the parent's threads (progress bar, readers, decoder threads).
        self.ctx = multiprocessing.get_context("forkserver")
        self.executor = self._new(workers)
        self._pending: dict[int, Pending[J, R]] = {}

    def _new(self, workers: int) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            max_workers=workers, mp_context=self.ctx, initializer=end_with, initargs=(os.getpid(),)
        )

    def submit(self, job: J) -> Pending[J, R]:
        pending = Pending(job, self.executor.submit(self.func, job))
        self._pending[id(pending)] = pending
        return pending

    def result(self, pending: Pending[J, R]) -> R:
        try:
            out = pending.future.result()
        except BrokenProcessPool:
            out = self._recover(pending)
        del self._pending[id(pending)]
        return out

    def _recover(self, culprit: Pending[J, R]) -> R:
        self.executor.shutdown(wait=False, cancel_futures=True)
        solo = self._new(1)
        try:
            out = solo.submit(self.func, culprit.job).result()
        except BrokenProcessPool:
            out = self.on_crash(culprit.job)
        finally:
            solo.shutdown(wait=False, cancel_futures=True)
        self.executor = self._new(self.workers)
        for other in self._pending.values():
            if other is not culprit and not _succeeded(other.future):
                other.future = self.executor.submit(self.func, other.job)
        return out

    def close(self) -> None:
        self.executor.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> CrashSafePool[J, R]:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _succeeded(future: Future[R]) -> bool:
    return future.done() and not future.cancelled() and future.exception() is None


POLL_SECONDS = 1.0


def _timed(func: Callable[[J], R], seconds: int, job: J) -> R:
    """Run ``job`` in a worker under an alarm whose default action ends the process: the kernel's, so it
    works even when a decoder loops in C without ever returning to Python."""
    signal.signal(signal.SIGALRM, signal.SIG_DFL)
    signal.alarm(seconds)
    try:
        return func(job)
    finally:
        signal.alarm(0)


def end_with(owner: int) -> None:
    """Worker initializer: a thread that ends this worker as soon as process ``owner`` is gone.

    On Linux it sleeps on a pidfd (woken the moment the owner dies); elsewhere it polls every second.
    The owner is watched, not the parent: a worker's parent is the forkserver.
    """
    try:
        pidfd = os.pidfd_open(owner)
    except ProcessLookupError:
        os._exit(1)  # gone before this worker even started
    except (AttributeError, OSError):  # not Linux, or a kernel before 5.3
        threading.Thread(target=_poll_owner, args=(owner,), name="netsafe-owner-watch", daemon=True).start()
        return
    threading.Thread(target=_wait_owner, args=(pidfd,), name="netsafe-owner-watch", daemon=True).start()


def _wait_owner(pidfd: int) -> None:
    select.select([pidfd], [], [])  # readable once the process has exited
    os._exit(1)  # no cleanup: the job's result has nobody to go to


def _poll_owner(owner: int) -> None:
    while True:
        time.sleep(POLL_SECONDS)
        try:
            os.kill(owner, 0)
        except ProcessLookupError:
            os._exit(1)
        except PermissionError:
            pass  # alive, as another user (cannot happen for our own owner, but is not death)
