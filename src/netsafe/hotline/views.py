"""Reading reports: the list (oldest first), the assessment queue and one report in full, each in the one
shape every door shows (``netsafe hotline list/show --json``, the API, the pages)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from netsafe.errors import InvalidInput, NotFound
from netsafe.hotline.common import aware, get_report
from netsafe.hotline.models import (
    AssessmentRow,
    CheckRow,
    HistoryRow,
    ItemAssessmentRow,
    ItemRow,
    NoticeRow,
    ReportRow,
    TraceRow,
)
from netsafe.hotline.states import PENDING, Status, parse_status
from netsafe.store.db import Database

MAX_LIMIT = 1000


def _t(value: datetime | None) -> str | None:
    found = aware(value)
    return found.isoformat() if found is not None else None


def _refs(session: Session, ids: set[int | None]) -> dict[int, str]:
    wanted = [i for i in ids if i is not None]
    if not wanted:
        return {}
    rows = session.execute(select(ReportRow.id, ReportRow.reference).where(ReportRow.id.in_(wanted)))
    return {int(i): str(r) for i, r in rows}


def summary(row: ReportRow, refs: dict[int, str]) -> dict[str, Any]:
    return {
        "reference": row.reference,
        "url": row.url,
        "normalised_url": row.normalised_url,
        "host": row.host,
        "status": row.status,
        "outcome": row.outcome,
        "source": row.source,
        "duplicate_of": refs.get(row.duplicate_of) if row.duplicate_of else None,
        "linked_to": refs.get(row.linked_to) if row.linked_to else None,
        "received_at": _t(row.received_at),
        "category": row.category,
        "age_band": row.age_band,
        "country": row.country,
        "route": row.route,
        "removed_after_seconds": row.removed_after_seconds,
    }


def item_dict(item: ItemRow) -> dict[str, Any]:
    return {
        "id": item.id,
        "url": item.url,
        "kind": item.kind,
        "mime": item.mime,
        "size": item.size,
        "truncated": item.truncated,
        "sha256": item.sha256,
        "md5": item.md5,
        "pdq": item.pdq,
        "pdq_quality": item.pdq_quality,
        "error": item.error,
        "matches": [{"hashset": m.get("hashset"), "category": m.get("category")} for m in item.matches],
        "known_category": item.known_category,
        "stored": item.vault_id is not None,
    }


def item(db: Database, item_id: int) -> dict[str, Any]:
    with db.session() as session:
        row = session.get(ItemRow, item_id)
        if row is None:
            raise NotFound(f"no captured item {item_id}")
        return item_dict(row)


def list_reports(
    db: Database, status: str | None = None, limit: int = 100, offset: int = 0
) -> list[dict[str, Any]]:
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput(f"limit: 1-{MAX_LIMIT}")
    if offset < 0:
        raise InvalidInput("offset: 0 or more")
    query = select(ReportRow).order_by(ReportRow.received_at, ReportRow.id).limit(limit).offset(offset)
    if status:
        query = query.where(ReportRow.status == parse_status(status).value)
    with db.session() as session:
        rows = session.scalars(query).all()
        refs = _refs(session, {r.duplicate_of for r in rows} | {r.linked_to for r in rows})
        return [summary(r, refs) for r in rows]


@dataclass(slots=True)
class QueuePage:
    total: int
    reports: list[dict[str, Any]]  # each with "items" and "linked" (how many reports wait with it)


def queue(db: Database, limit: int = 20, offset: int = 0) -> QueuePage:
    """Reports waiting for an analyst (captured, or received but not capturable), oldest first; reports
    linked to another wait with it and are not listed again."""
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput(f"limit: 1-{MAX_LIMIT}")
    where = (ReportRow.status.in_([s.value for s in PENDING]), ReportRow.linked_to.is_(None))
    with db.session() as session:
        total = int(session.scalar(select(func.count()).select_from(ReportRow).where(*where)) or 0)
        rows = session.scalars(
            select(ReportRow)
            .where(*where)
            .order_by(ReportRow.received_at, ReportRow.id)
            .limit(limit)
            .offset(offset)
        ).all()
        ids = [r.id for r in rows]
        items: dict[int, list[dict[str, Any]]] = {i: [] for i in ids}
        linked: dict[int, int] = {}
        if ids:
            for item in session.scalars(
                select(ItemRow).where(ItemRow.report_id.in_(ids)).order_by(ItemRow.id)
            ):
                items[item.report_id].append(item_dict(item))
            for rid, n in session.execute(
                select(ReportRow.linked_to, func.count())
                .where(ReportRow.linked_to.in_(ids))
                .group_by(ReportRow.linked_to)
            ):
                if rid is not None:
                    linked[int(rid)] = int(n)
        out = []
        for r in rows:
            data = summary(r, {})
            data["description"] = r.description
            data["capture_error"] = r.capture_error
            data["items"] = items[r.id]
            data["linked"] = linked.get(r.id, 0)
            out.append(data)
        return QueuePage(total, out)


def show(db: Database, reference: str) -> dict[str, Any]:
    with db.session() as session:
        row = get_report(session, reference)
        refs = _refs(session, {row.duplicate_of, row.linked_to})
        data = summary(row, refs)
        data.update(
            {
                "description": row.description,
                "email": row.email,
                "final_url": row.final_url,
                "capture_error": row.capture_error,
                "criminal": row.criminal,
                "site_type": row.site_type,
                "abuse_contact": row.abuse_contact,
                "captured_at": _t(row.captured_at),
                "assessed_at": _t(row.assessed_at),
                "traced_at": _t(row.traced_at),
                "first_notice_at": _t(row.first_notice_at),
                "last_notice_at": _t(row.last_notice_at),
                "notices_sent": row.notices_sent,
                "removed_at": _t(row.removed_at),
                "closed_at": _t(row.closed_at),
            }
        )
        items = session.scalars(select(ItemRow).where(ItemRow.report_id == row.id).order_by(ItemRow.id)).all()
        data["items"] = [item_dict(i) for i in items]
        assessments = session.scalars(
            select(AssessmentRow).where(AssessmentRow.report_id == row.id).order_by(AssessmentRow.id)
        ).all()
        per_item: dict[int, list[ItemAssessmentRow]] = {a.id: [] for a in assessments}
        if assessments:
            for ia in session.scalars(
                select(ItemAssessmentRow)
                .where(ItemAssessmentRow.assessment_id.in_(list(per_item)))
                .order_by(ItemAssessmentRow.id)
            ):
                per_item[ia.assessment_id].append(ia)
        data["assessments"] = [
            {
                "analyst": a.analyst,
                "at": _t(a.at),
                "outcome": a.outcome,
                "criminal": a.criminal,
                "site_type": a.site_type,
                "category": a.category,
                "age_band": a.age_band,
                "appeal": a.appeal,
                "comment": a.comment,
                "items": [
                    {
                        "item": ia.item_id,
                        "category": ia.category,
                        "age_band": ia.age_band,
                        "sex": ia.sex,
                        "self_generated": ia.self_generated,
                        "commercial": ia.commercial,
                        "hashset": ia.hashset,
                    }
                    for ia in per_item[a.id]
                ],
            }
            for a in assessments
        ]
        data["traces"] = [
            {
                "at": _t(t.at),
                "host": t.host,
                "ips": t.ips,
                "country": t.country,
                "asn": t.asn,
                "organisation": t.organisation,
                "abuse_contact": t.abuse_contact,
                "route": t.route,
                "partner": t.partner,
                "source": t.source,
                "error": t.error,
            }
            for t in session.scalars(
                select(TraceRow).where(TraceRow.report_id == row.id).order_by(TraceRow.id)
            )
        ]
        data["notices"] = [
            {
                "to": n.to,
                "kind": n.kind,
                "attempt": n.attempt,
                "status": n.status,
                "created_at": _t(n.created_at),
                "sent_at": _t(n.sent_at),
                "authorised_by": n.authorised_by,
                "error": n.error,
            }
            for n in session.scalars(
                select(NoticeRow).where(NoticeRow.report_id == row.id).order_by(NoticeRow.id)
            )
        ]
        data["checks"] = [
            {"at": _t(c.at), "removed": c.removed, "reason": c.reason}
            for c in session.scalars(
                select(CheckRow).where(CheckRow.report_id == row.id).order_by(CheckRow.id)
            )
        ]
        data["history"] = [
            {"at": _t(h.at), "actor": h.actor, "from": h.from_status, "to": h.to_status, "note": h.note}
            for h in session.scalars(
                select(HistoryRow).where(HistoryRow.report_id == row.id).order_by(HistoryRow.id)
            )
        ]
        return data


__all__ = ["QueuePage", "Status", "item_dict", "list_reports", "queue", "show", "summary"]
