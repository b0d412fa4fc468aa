"""A worker thread fed through a short queue: the database's share of an import runs beside the reading.

PostgreSQL's merge of a 1M-entry import was 25-33 s of server time after the last record was read, while
the process that read the file waited. Staging and merging on a thread lets this process go on turning
records into rows while the driver waits (with the GIL released) for the server; the queue is short, so
memory stays flat however large the file.
"""

from __future__ import annotations

import contextlib
import queue
import threading
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")

_END = object()


class Feeder(Generic[T]):
    """Calls ``work`` on each item :meth:`put`, in order, on one thread. An error of ``work`` is raised by
    the next :meth:`put` or by :meth:`close`; after it, the remaining items are dropped unseen."""

    def __init__(self, work: Callable[[T], None], depth: int) -> None:
        self._work = work
        self._queue: queue.Queue[object] = queue.Queue(maxsize=depth)
        self._error: BaseException | None = None
        self._stopped = threading.Event()
        self._busy = False
        self._thread = threading.Thread(target=self._run, name="netsafe-import-stage", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is _END:
                return
            if self._error is not None or self._stopped.is_set():
                continue  # drained, so that put() never waits on a thread that has given up
            self._busy = True
            try:
                self._work(item)  # type: ignore[arg-type]
            except BaseException as err:  # handed to the feeding thread
                self._error = err
            finally:
                self._busy = False

    def put(self, item: T) -> None:
        self._raise()
        self._queue.put(item)

    def close(self) -> None:
        """Wait for every item to be done; raise the error of one that failed."""
        self._queue.put(_END)
        self._thread.join()
        self._raise()

    def stop(self, interrupt: Callable[[], None] | None = None) -> None:
        """After a failure elsewhere: drop what is queued, ``interrupt`` the item in hand (cancel the
        statement), and wait for the thread; never raises."""
        self._stopped.set()
        if interrupt is not None and self._busy:
            with contextlib.suppress(Exception):
                interrupt()
        with contextlib.suppress(Exception):
            self._queue.put(_END)
        self._thread.join()

    def _raise(self) -> None:
        if self._error is not None:
            raise self._error
