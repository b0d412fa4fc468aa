"""Group commit for the busiest audit events (matches): requests hand their event to one writer thread per
process, which appends everything waiting in one transaction and then releases the requests.

Each request still returns only after its event is committed (no match is ever answered unaudited), but
many concurrent requests share one turn of the chain's head lock and one commit instead of queueing for
one each. Async callers (the API's match endpoint) await their event without holding a thread.

On a SQLite store another process can hold the write lock for minutes (an import of a large list is one
transaction). The writer waits :data:`LOCK_WAIT` for it, then writes the batch to this process's audit
journal instead (``audit/journal.py``: flushed to the operating system before the requests are answered)
and a second thread moves the journal into the chain, in order and with the events' own times, as soon as
the lock is free. While the journal holds events, new batches go behind them in it, so the chain keeps
each process's order. That thread moves one batch (``audit/replay.py``) at a time and rests after each,
so a backlog of a million events after a long import is worked off beside the requests, not instead of
them: the worker's event loop and its CPU stay with the requests for most of the time.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from netsafe.audit import journal as journals
from netsafe.audit.journal import JournalFile
from netsafe.audit.replay import drain, journal_dir_of, recover
from netsafe.audit.service import Actor, EventSpec, record_many
from netsafe.store.batch import BatchThread
from netsafe.store.db import Database
from netsafe.store.errors import StoreBusyError

log = logging.getLogger("netsafe.audit")

LOCK_WAIT = 0.05  # seconds a batch waits for another process's write lock before going to the journal
RETRY = 0.1  # seconds between the journal thread's tries while the store stays locked
# After each batch the journal thread rests this many times as long as the batch took (wall time, so it
# backs off further on a busy machine): it takes at most 1 / (1 + PACE) of the time. Replaying an event
# costs a tenth of answering a request, so a journal empties even under a saturating load, but slowly on
# a crowded machine (measured on 2 cores at load 12: 3,600 events/s moved against 2,400 requests/s).
PACE = 1.0


@dataclass(slots=True)
class _Event:
    actor: Actor
    action: str
    target: str | None
    details: dict[str, Any]
    outcome: str


_DRAIN = _Event(Actor(""), "", None, {}, "")  # a marker: waiting for it waits for everything before it


class AuditWriter:
    def __init__(self, db: Database, journal: bool = True) -> None:
        self.db = db
        self._batches: BatchThread[_Event] = BatchThread("netsafe-audit", self._append)
        found = journal_dir_of(db) if journal and journals.supported() else None
        self.journal_dir: Path | None = found
        self._journal: JournalFile | None = None  # this process's, created when first needed
        self._replayer: threading.Thread | None = None
        self._replayer_lock = threading.Lock()
        self._replaying = threading.Lock()  # one mover at a time: two would commit the same events twice
        self._recovered = False  # journals of ended processes replayed
        self._broken: set[Path] = set()
        if self.journal_dir is not None and self.journal_dir.is_dir():
            self._start_replayer()  # journals left by processes that died

    def _append(self, events: list[_Event]) -> None:
        events = [e for e in events if e is not _DRAIN]
        if not events:
            return
        specs: list[EventSpec] = [(e.actor, e.action, e.target, e.details, e.outcome) for e in events]
        if self.journal_dir is None:
            with self.db.write_turn(), self.db.session() as session:
                record_many(session, specs)
            return
        at = datetime.now(UTC)
        own = self._journal
        if own is None or not own.waiting():
            try:
                # Several workers on one SQLite file take turns here rather than in SQLite's sleeping busy
                # handler; a writer of another kind (an import) is waited for only LOCK_WAIT.
                with self.db.write_turn(), self.db.session(LOCK_WAIT) as session:
                    record_many(session, specs)
                return
            except StoreBusyError:
                pass
        if own is None:
            own = self._journal = JournalFile.create(self.journal_dir)
        own.append(specs, at)
        self._start_replayer()

    def _start_replayer(self) -> None:
        with self._replayer_lock:
            if self._replayer is None or not self._replayer.is_alive():
                self._replayer = threading.Thread(
                    target=self._replay_until_empty, name="netsafe-audit-journal", daemon=True
                )
                self._replayer.start()

    def _replay_until_empty(self) -> None:
        while True:
            with self._replayer_lock:
                own = self._journal
                if self._recovered and (own is None or not own.waiting()):
                    self._replayer = None  # the next append starts another
                    return
            try:
                started = time.monotonic()
                self.replay(lock_wait=0.0, batches=1)
                time.sleep(PACE * (time.monotonic() - started))
            except StoreBusyError:
                time.sleep(RETRY)  # locked: try again, cheaply, until the import is done
            except Exception as err:  # the store is down, the journal unreadable: keep it, keep trying
                log.warning("audit journal not moved into the chain yet: %s", err)
                time.sleep(max(RETRY, 1.0))

    def replay(self, lock_wait: float | None = None, batches: int | None = None) -> int:
        """Move journaled events into the chain now: first those of ended processes, then this one's (all
        of it, or its first ``batches`` batches). Returns how many; raises StoreBusyError when the store
        stays locked past ``lock_wait``."""
        if self.journal_dir is None:
            return 0
        with self._replaying:
            return self._replay(lock_wait, batches)

    def _replay(self, lock_wait: float | None, batches: int | None = None) -> int:
        assert self.journal_dir is not None
        added = 0
        if not self._recovered:
            added += recover(self.db, self.journal_dir, lock_wait, self._broken)
            self._recovered = True
        own = self._journal
        if own is not None and own.waiting():
            added += drain(self.db, own, lock_wait, batches)
        return added

    def waiting(self) -> bool:
        """Events of this process in its journal, not yet in the chain."""
        own = self._journal
        return own is not None and own.waiting()

    def close(self, lock_wait: float = 5.0) -> None:
        """At shutdown, after :meth:`drain`: one last try to empty the journal; what stays is replayed
        by the next process to start on this store (this one's lock on it ends here)."""
        if self.journal_dir is None:
            return
        with self._replaying:
            own = self._journal
            if own is None:
                return
            try:
                self._replay(lock_wait)
            finally:
                if not own.waiting():
                    own.remove()
                else:
                    own.close()
                self._journal = None

    def post(
        self,
        actor: Actor,
        action: str,
        target: str | None = None,
        details: dict[str, Any] | None = None,
        outcome: str = "ok",
    ) -> None:
        """Append one event without waiting for its commit: for events about requests that are refused or
        summarised (``audit/summary.py``), whose answer does not depend on them."""
        self._batches.post(_Event(actor, action, target, details or {}, outcome))

    def drain(self, timeout: float = 60.0) -> None:
        """Wait until every event handed over before this call is committed (or journaled); raises if the
        last batch could be neither."""
        self._batches.submit(_DRAIN, timeout)

    def submit(
        self,
        actor: Actor,
        action: str,
        target: str | None = None,
        details: dict[str, Any] | None = None,
        outcome: str = "ok",
        timeout: float = 60.0,
    ) -> None:
        """Append one event; returns once it is committed (or, the store locked by another process, in the
        journal), raises if it could be neither."""
        self._batches.submit(_Event(actor, action, target, details or {}, outcome), timeout)

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
        await self._batches.submit_async(_Event(actor, action, target, details or {}, outcome), timeout)
