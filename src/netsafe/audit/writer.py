"""Group commit for the busiest audit events (matches): requests hand their event to one writer thread per
process, which appends everything waiting in one transaction and then releases the requests.

Each request still returns only after its event is committed (no match is ever answered unaudited), but
many concurrent requests share one turn of the chain's head lock and one commit instead of queueing for
one each. Async callers (the API's match endpoint) await their event without holding a thread: a thread
blocked on the commit would be one of the server's few threadpool slots, and 50 clients exhaust them.
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import threading
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from netsafe.audit.service import Actor, record_many
from netsafe.store.db import Database

MAX_BATCH = 500


@dataclass
class _Pending:
    actor: Actor
    action: str
    target: str | None
    details: dict[str, Any]
    outcome: str
    done: threading.Event | None = None
    waiter: asyncio.Future[None] | None = None
    error: BaseException | None = None


class AuditWriter:
    def __init__(self, db: Database) -> None:
        self.db = db
        self._queue: queue.SimpleQueue[_Pending] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()

    def _ensure_thread(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        with self._start_lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="netsafe-audit", daemon=True)
                self._thread.start()

    def submit(
        self,
        actor: Actor,
        action: str,
        target: str | None = None,
        details: dict[str, Any] | None = None,
        outcome: str = "ok",
        timeout: float = 60.0,
    ) -> None:
        """Append one event; returns once it is committed, raises if it could not be."""
        done = threading.Event()
        item = _Pending(actor, action, target, details or {}, outcome, done=done)
        self._ensure_thread()
        self._queue.put(item)
        if not done.wait(timeout):
            raise TimeoutError("audit log did not accept the event in time")
        if item.error is not None:
            raise item.error

    async def submit_async(
        self,
        actor: Actor,
        action: str,
        target: str | None = None,
        details: dict[str, Any] | None = None,
        outcome: str = "ok",
        timeout: float = 60.0,
    ) -> None:
        """:meth:`submit` for the event loop: awaits the commit without tying up a thread."""
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        item = _Pending(actor, action, target, details or {}, outcome, waiter=waiter)
        self._ensure_thread()
        self._queue.put(item)
        try:
            async with asyncio.timeout(timeout):
                await waiter
        except TimeoutError:
            raise TimeoutError("audit log did not accept the event in time") from None

    def _run(self) -> None:
        while True:
            batch = [self._queue.get()]
            while len(batch) < MAX_BATCH:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            try:
                with self.db.session() as session:
                    record_many(session, [(i.actor, i.action, i.target, i.details, i.outcome) for i in batch])
            except BaseException as err:  # every waiting request must hear about it, whatever it was
                for item in batch:
                    item.error = err
            # One wake-up per event loop for the whole batch, not one per waiting request.
            by_loop: dict[asyncio.AbstractEventLoop, list[_Pending]] = defaultdict(list)
            for item in batch:
                if item.waiter is not None:
                    by_loop[item.waiter.get_loop()].append(item)
                elif item.done is not None:
                    item.done.set()
            for loop, items in by_loop.items():
                with contextlib.suppress(RuntimeError):  # that loop has closed: nobody waits any more
                    loop.call_soon_threadsafe(_resolve, items)


def _resolve(items: list[_Pending]) -> None:
    for item in items:
        waiter = item.waiter
        if waiter is None or waiter.done():  # cancelled: the client went away or the wait timed out
            continue
        if item.error is not None:
            waiter.set_exception(item.error)
        else:
            waiter.set_result(None)
