"""Reading the audit log as a use case: an export is an event too, recorded alike from every door."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from netsafe.audit.service import Actor, AuditFilter, export, record
from netsafe.store.db import Database


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
