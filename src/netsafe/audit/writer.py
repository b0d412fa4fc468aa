"""Group commit for the busiest audit events (matches): requests hand their event to one writer thread per
process, which appends everything waiting in one transaction and then releases the requests.

Each request still returns only after its event is committed (no match is ever answered unaudited), but
many concurrent requests share one turn of the chain's head lock and one commit instead of queueing for
one each. Async callers (the API's match endpoint) await their event without holding a thread.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from netsafe.audit.service import Actor, record_many
from netsafe.store.batch import BatchThread
from netsafe.store.db import Database


@dataclass(slots=True)
class _Event:
    actor: Actor
    action: str
    target: str | None
    details: dict[str, Any]
    outcome: str


_DRAIN = _Event(Actor(""), "", None, {}, "")  # a marker: waiting for it waits for everything before it


class AuditWriter:
    def __init__(self, db: Database) -> None:
        self.db = db
        self._batches: BatchThread[_Event] = BatchThread("netsafe-audit", self._append)

    def _append(self, events: list[_Event]) -> None:
        events = [e for e in events if e is not _DRAIN]
        if not events:
            return
        # Several workers on one SQLite file take turns here rather than in SQLite's sleeping busy handler.
        with self.db.write_turn(), self.db.session() as session:
            record_many(session, [(e.actor, e.action, e.target, e.details, e.outcome) for e in events])

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
        """Wait until every event handed over before this call is committed; raises if the last batch
        could not be."""
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
        """Append one event; returns once it is committed, raises if it could not be."""
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
