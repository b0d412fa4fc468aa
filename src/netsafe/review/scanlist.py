"""Scans as the pages and the API list them: evidence, examiner, when, status, counts by category (known and
graded in review since), errors, and where review stands."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from netsafe.review.access import get_scan
from netsafe.review.models import ReviewItemRow, ReviewQueueRow
from netsafe.review.report import local_grades
from netsafe.review.settings import ReviewSettings
from netsafe.store import Database
from netsafe.triage.models import ScanBlobRow, ScanEventRow, ScanRow
from netsafe.triage.report import REPORT_FILES
from netsafe.triage.report_json import item_category

MAX_SCANS = 1000


def _time(value: datetime | None) -> str | None:
    if value is None:
        return None
    value = value if value.tzinfo else value.replace(tzinfo=UTC)
    return value.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


@dataclass(slots=True)
class ScanSummary:
    id: int
    evidence: list[str]
    examiner: str | None
    started: str | None
    finished: str | None
    status: str
    files: int
    items: int
    matched_items: int
    graded_items: int
    errors: int
    by_category: dict[str, int]
    review: dict[str, int] | None  # items by state once the queue is built
    report_files: tuple[str, ...] = REPORT_FILES

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "evidence": self.evidence,
            "examiner": self.examiner,
            "started": self.started,
            "finished": self.finished,
            "status": self.status,
            "files": self.files,
            "items": self.items,
            "matched_items": self.matched_items,
            "graded_items": self.graded_items,
            "errors": self.errors,
            "by_category": self.by_category,
            "review": self.review,
            "report_files": list(self.report_files),
        }


def _summary(session: Session, scan: ScanRow, settings: ReviewSettings) -> ScanSummary:
    ignore_sets = {s["name"] for s in scan.hash_sets if s.get("kind") == "ignore"}
    grades = local_grades(session, settings, scan.id)
    by_category: dict[str, int] = {}
    items = matched = graded = blob_errors = 0
    blobs = select(ScanBlobRow.sha256, ScanBlobRow.matches, ScanBlobRow.error)
    for sha, matches, error in session.execute(blobs.where(ScanBlobRow.scan_id == scan.id)).all():
        items += 1
        blob_errors += bool(error)
        counted = [m for m in matches if m["hashset"] not in ignore_sets]
        label: str | None = None
        if counted:
            matched += 1
            label = item_category(counted)[1] or "Uncategorised"
        elif not matches and sha in grades:
            graded += 1
            label = grades[sha].label
        if label is not None:
            by_category[label] = by_category.get(label, 0) + 1
    files, issues = session.execute(
        select(func.count(ScanEventRow.blob_id), func.count() - func.count(ScanEventRow.blob_id)).where(
            ScanEventRow.scan_id == scan.id
        )
    ).one()
    review: dict[str, int] | None = None
    if session.get(ReviewQueueRow, scan.id) is not None:
        review = {"open": 0, "graded": 0, "ignored": 0}
        for state, n in session.execute(
            select(ReviewItemRow.state, func.count())
            .where(ReviewItemRow.scan_id == scan.id)
            .group_by(ReviewItemRow.state)
        ).all():
            review[state] = int(n)
    return ScanSummary(
        id=scan.id,
        evidence=[str(s.get("path", "")) for s in scan.sources],
        examiner=scan.examiner,
        started=_time(scan.started),
        finished=_time(scan.finished),
        status=scan.status,
        files=int(files),
        items=items,
        matched_items=matched,
        graded_items=graded,
        errors=int(issues) + blob_errors,
        by_category=dict(sorted(by_category.items())),
        review=review,
    )


def list_scans(db: Database, settings: ReviewSettings, limit: int = 100) -> list[ScanSummary]:
    """The newest scans first (at most ``limit``, up to 1,000)."""
    limit = max(1, min(limit, MAX_SCANS))
    with db.session() as session:
        scans = list(session.scalars(select(ScanRow).order_by(ScanRow.id.desc()).limit(limit)))
        return [_summary(session, s, settings) for s in scans]


def scan_summary(db: Database, settings: ReviewSettings, scan_id: int) -> ScanSummary:
    with db.session() as session:
        return _summary(session, get_scan(session, scan_id), settings)
