"""A scan's report written again from the store with the grades made since: the counts by category then
cover the known items and the newly graded ones, ``categories.csv`` lists both by category, and the VICS
export carries the local grades (``Category``, ``IsPrecategorized`` false) for CAID or Project VIC.

The grades are read from the local graded set by SHA-256, whichever case they were made in: an item graded
in another scan's review since counts here too, as it would match in a new scan.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from netsafe.audit.service import Actor, record
from netsafe.errors import InvalidInput, Unavailable
from netsafe.hashsets.profiles import ProfileError, load_profile
from netsafe.review.access import finished_scan
from netsafe.review.localset import entries_by_sha256, status, votes_of
from netsafe.review.settings import ReviewSettings
from netsafe.store import Database
from netsafe.store import repositories as repo
from netsafe.triage.models import ScanBlobRow
from netsafe.triage.report import REPORT_FILES, write_reports
from netsafe.triage.report_json import LocalGrade, ReportData


class ReportNotWrittenError(Unavailable):
    pass


def local_grades(session: Session, settings: ReviewSettings, scan_id: int) -> dict[str, LocalGrade]:
    """sha256 -> grade, for the scan's unmatched contents that the local set has a category for."""
    local = repo.find_set(session, settings.local_hashset)
    if local is None:
        return {}
    profile = load_profile(local.profile)
    unmatched = [
        sha
        for sha, matches in session.execute(
            select(ScanBlobRow.sha256, ScanBlobRow.matches).where(ScanBlobRow.scan_id == scan_id)
        ).all()
        if not matches
    ]
    entries = entries_by_sha256(session, local.id, unmatched)
    votes = votes_of(session, [e.id for e in entries.values()])
    out: dict[str, LocalGrade] = {}
    for sha, entry in entries.items():
        now = status(entry.extra, votes[entry.id], profile)
        if now.category is None:
            continue
        try:
            label = profile.label(now.category)
        except ProfileError:
            label = now.category
        out[sha] = LocalGrade(now.category, label, local.name, local.profile, now.votes, now.trusted)
    return out


def regenerate(
    db: Database, actor: Actor, settings: ReviewSettings, scan_id: int, out_dir: str | os.PathLike[str]
) -> ReportData:
    """Write the scan's report files into ``out_dir`` again, with the grades made since; audited."""
    with db.session() as session:
        scan = finished_scan(session, scan_id)
        grades = local_grades(session, settings, scan_id)
        thumbnails = bool(scan.options.get("thumbnails"))
    try:
        data = write_reports(db, scan_id, out_dir, thumbnails, grades)
    except OSError as err:
        reason = err.strerror or type(err).__name__
        raise ReportNotWrittenError(
            f"the report of scan {scan_id} could not be written to its folder ({reason}): choose another"
        ) from None
    with db.session() as session:
        summary = data.report["summary"]
        record(
            session,
            actor,
            "scan.report",
            f"scan:{scan_id}",
            {
                "matched_items": summary["matched_items"],
                "graded_items": summary.get("graded_items", 0),
                "by_category": summary.get("by_category", {}),
            },
        )
    return data


def report_file(db: Database, actor: Actor, settings: ReviewSettings, scan_id: int, name: str) -> bytes:
    """One report file of the scan, made now from the store (with the grades made since): for a download.
    Written in a private temporary folder and read back, so the writers stay the scan's own."""
    if name not in REPORT_FILES:
        raise InvalidInput(f"report file: {name[:40]!r} is not one of {', '.join(REPORT_FILES)}")
    with tempfile.TemporaryDirectory(prefix="netsafe-report-") as tmp:
        regenerate(db, actor, settings, scan_id, tmp)
        return (Path(tmp) / name).read_bytes()
