"""Self-referred reports: a picture a young person uploaded themselves (Remove my image), assessed in the
queue like any capture but with no URL behind it.

Such a report enters already captured (its one item sealed in the vault), is never fetched, traced or
notified, and is closed once assessed: the sealed bytes are deleted right after the assessment, in the
same transaction as far as the store goes (the item says purged, audited) and from the vault as soon as
it commits. The workflow the upload came from settles its own request in the assessment's transaction;
it is named here and imported by name at run time, as ``store/tables.py`` does for tables, so that the
hotline does not depend on the layers above it.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from netsafe.audit.service import Actor, record
from netsafe.hotline.common import change_state, new_reference
from netsafe.hotline.models import HistoryRow, ItemRow, ReportRow
from netsafe.hotline.states import PENDING, Outcome, Status

SELF_REFERRED = "self-referred"  # a report's source and route: the person in the picture sent it
URL_SCHEME = "upload:"  # a self-referred report's "URL": the request it came with, never fetched
# source -> the module whose ``settle_assessment`` settles the request the report came with.
SETTLERS = {SELF_REFERRED: "netsafe.remove.upload"}


class Settler(Protocol):
    def __call__(
        self, session: Session, actor: Actor, report: ReportRow, analyst: str, when: datetime
    ) -> dict[str, Any]: ...


@dataclass(frozen=True, slots=True)
class Upload:
    """One uploaded item, hashed on the server and sealed in the vault already."""

    vault_id: str
    size: int
    kind: str  # image | video
    mime: str | None
    sha256: str
    md5: str | None
    pdq: str | None
    pdq_quality: int | None
    error: str | None = None


def is_self_referred(report: ReportRow) -> bool:
    return report.source == SELF_REFERRED


def add_self_referred(
    session: Session, actor: Actor, label: str, uploads: list[Upload], when: datetime
) -> ReportRow:
    """A captured report of ``uploads`` in the caller's transaction; ``label`` names what it came with
    (a remove request's reference), never the person."""
    url = f"{URL_SCHEME}{label}"[:8000]
    report = ReportRow(
        reference=new_reference(when),
        url=url,
        normalised_url=url,
        host=SELF_REFERRED,
        source=SELF_REFERRED,
        route=SELF_REFERRED,
        status=Status.RECEIVED.value,
        received_at=when,
        captured_at=when,
        notices_sent=0,
    )
    session.add(report)
    session.flush()
    session.add(HistoryRow(report_id=report.id, at=when, actor=actor.name[:200], to_status="received"))
    record(session, actor, "hotline.report", f"report:{report.reference}", {"source": SELF_REFERRED})
    for n, up in enumerate(uploads, start=1):
        session.add(
            ItemRow(
                report_id=report.id,
                url=f"{url}/{n}",
                vault_id=up.vault_id,
                size=up.size,
                kind=up.kind,
                mime=up.mime,
                truncated=False,
                sha256=up.sha256,
                md5=up.md5,
                pdq=up.pdq,
                pdq_quality=up.pdq_quality,
                error=up.error,
                matches=[],
                captured_at=when,
            )
        )
    change_state(session, actor, report, Status.CAPTURED, when, "hotline.capture", {"uploaded": len(uploads)})
    return report


def purge_items(session: Session, actor: Actor, report: ReportRow, when: datetime, reason: str) -> list[str]:
    """Mark the report's sealed items deleted (audited); the vault ids to delete once this commits."""
    rows = session.scalars(
        select(ItemRow).where(ItemRow.report_id == report.id, ItemRow.vault_id.is_not(None))
    ).all()
    ids = [r.vault_id for r in rows if r.vault_id]
    for r in rows:
        r.vault_id, r.purged_at = None, when
    if rows:
        record(
            session,
            actor,
            "hotline.purge",
            f"report:{report.reference}",
            {"items": len(rows), "reason": reason},
        )
    return ids


def after_assessment(
    session: Session, actor: Actor, report: ReportRow, analyst: str, when: datetime
) -> list[str]:
    """Settle a self-referred report once assessed: closed if it is not yet (nothing to trace), its
    request settled by its workflow, its items purged. The vault ids to delete after the commit."""
    if report.status != Status.CLOSED:
        report.closed_at = when
        change_state(session, actor, report, Status.CLOSED, when, "hotline.close", {"reason": SELF_REFERRED})
    settler: Settler = importlib.import_module(SETTLERS[SELF_REFERRED]).settle_assessment
    settler(session, actor, report, analyst, when)
    return purge_items(session, actor, report, when, "assessed")


def hold(session: Session, report_id: int) -> None:
    """Lock the report before the request it came with: the order an assessment takes them in, so that a
    withdrawal and an assessment at the same time wait for each other instead of crossing."""
    session.get(ReportRow, report_id, with_for_update=True)


def withdraw_self_referred(session: Session, actor: Actor, report_id: int, when: datetime) -> list[str]:
    """The person took their request back: a report still waiting leaves the queue (closed), and the
    sealed picture goes whatever its state. The vault ids to delete after the commit."""
    report = session.get(ReportRow, report_id, with_for_update=True)
    if report is None:
        return []
    if report.status in PENDING:
        report.closed_at = when
        change_state(session, actor, report, Status.CLOSED, when, "hotline.close", {"reason": "withdrawn"})
    return purge_items(session, actor, report, when, "withdrawn")


def upload_state(session: Session, report_id: int) -> dict[str, Any]:
    """What a request's upload has come to: its report, the assessment's state, whether the picture is
    still held (sealed) or deleted."""
    report = session.get(ReportRow, report_id)
    if report is None:
        return {"report": None, "assessment": None, "picture": "deleted"}
    if report.outcome is None:
        state = "closed" if report.status == Status.CLOSED else "waiting"
    else:
        state = "confirmed" if report.outcome == Outcome.CRIMINAL else "not_confirmed"
    held = session.scalar(
        select(ItemRow.id).where(ItemRow.report_id == report.id, ItemRow.vault_id.is_not(None)).limit(1)
    )
    return {
        "report": report.reference,
        "assessment": state,
        "picture": "sealed" if held is not None else "deleted",
    }
