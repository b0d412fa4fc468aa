"""Reading the audit log as a use case: an export is an event too, recorded alike from every door, and a
check gives every door the same answer (the chain, and the events still waiting outside it)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from netsafe.audit.journal import count_waiting
from netsafe.audit.replay import journal_dir_of, recover
from netsafe.audit.service import Actor, Anchor, AuditFilter, VerifyResult, export, record, verify
from netsafe.store.db import Database
from netsafe.store.errors import StoreBusyError


@dataclass(frozen=True, slots=True)
class AuditCheck:
    """What ``netsafe audit verify``, ``GET /audit/verify`` and the audit page report."""

    result: VerifyResult
    replayed: int  # events from the journals of ended processes added to the chain by this check
    busy: bool  # the store's write lock was held (an import?): those journals are not replayed yet
    waiting: int  # events in audit journals, written while the lock was held, not in the chain yet
    anchors: int  # anchors given, all present when the result is ok

    def verdict(self) -> str:
        result = self.result
        if not result.ok:
            return f"audit log BROKEN: {result.problem}"
        also = f", {self.anchors} anchor(s) present" if self.anchors else ""
        head = f"chain head {result.head_seq} {result.head_hash}"
        return f"audit log intact: {result.checked} events, {head}{also}"

    def notes(self) -> list[str]:
        """The remarks beside the verdict, one line each, worded alike for every door."""
        out = []
        if self.replayed:
            out.append(
                f"{self.replayed} event(s) from the audit journals of ended processes added to the chain"
            )
        if self.busy:
            out.append("the store is busy (an import?): audit journals of ended processes not replayed yet")
        if self.waiting:
            out.append(
                f"{self.waiting} event(s) waiting in audit journals (written while another process, an "
                "import say, held the store's write lock): they join the chain when it is free"
            )
        return out


def check(db: Database, anchors: tuple[Anchor, ...] = (), lock_wait: float | None = None) -> AuditCheck:
    """Replay the journals of processes that have ended (their events belong in the chain first), verify
    the chain against ``anchors``, and count the events still waiting in journals of running processes.

    ``lock_wait``: how long to wait for another process's write lock before reporting the store busy (the
    SQLite busy timeout when ``None``); the chain is verified either way. PostgreSQL stores have no
    journals: nothing is replayed or waiting."""
    journals = journal_dir_of(db)
    replayed, busy = 0, False
    if journals is not None:
        try:
            replayed = recover(db, journals, lock_wait)
        except StoreBusyError:
            busy = True
    with db.sessions() as session:
        result = verify(session, anchors=anchors)
    waiting = count_waiting(journals) if journals is not None else 0
    return AuditCheck(result, replayed, busy, waiting, len(anchors))


def filter_details(flt: AuditFilter) -> dict[str, Any]:
    return {
        "actor": flt.actor,
        "action": flt.action,
        "outcome": flt.outcome,
        "since": None if flt.since is None else flt.since.isoformat(),
        "until": None if flt.until is None else flt.until.isoformat(),
    }


def export_events(db: Database, actor: Actor, flt: AuditFilter) -> Iterator[str]:
    """Record who exported what, then the matching events as JSON Lines, oldest first.

    The event is committed before the first line is handed out: an export that is cut short is still on
    record. The lines are read in a transaction of their own, so the export includes its own event."""
    with db.session() as session:
        record(session, actor, "audit.export", None, {"filter": filter_details(flt)})
    return _lines(db, flt)


def _lines(db: Database, flt: AuditFilter) -> Iterator[str]:
    with db.sessions() as session:
        yield from export(session, flt)
