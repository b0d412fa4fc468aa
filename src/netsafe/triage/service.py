"""Scans as a service: run (or resume) a scan, write its report and record it in the audit log.

The command line calls this, and the pages will (issue 12): the rule for what a finished scan writes and
audits lives here once. Cases (issue 13) read a scan's evidence through :func:`scan_evidence`, never the
tables.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from netsafe.audit.service import Actor, record
from netsafe.errors import NetsafeError, Unavailable
from netsafe.hashsets.profiles import ProfileError, load_profile, map_category
from netsafe.store.db import Database
from netsafe.textsafe import readable
from netsafe.triage import checkpoint
from netsafe.triage.cluster import ClusterSpec, check_store
from netsafe.triage.models import ScanBlobRow, ScanRow
from netsafe.triage.pipeline import ScanConfig, run_scan
from netsafe.triage.report import write_reports
from netsafe.triage.report_json import ReportData


class ReportNotWrittenError(Unavailable):
    """The scan is stored but its report could not be written; ``--resume`` writes it later."""


class ScanInterruptedError(NetsafeError):
    """Ctrl-C: what was scanned is kept in the store (and audited); ``--resume`` carries on from there."""

    def __init__(self, files: int, out_dir: Path, scanned: bool = False) -> None:
        self.files = files
        self.out_dir = out_dir
        if scanned:
            what = f"the scan ({files} files) is finished and kept in the store, its report not written"
        else:
            what = f"{files} files scanned so far are kept in the store"
        super().__init__(
            f"interrupted: {what}; to finish, run the same command with --resume (the report goes to "
            f"{readable(str(out_dir))})"
        )


@dataclass(slots=True)
class ScanOutcome:
    scan_id: int
    out_dir: Path
    report: ReportData

    @property
    def summary(self) -> dict[str, Any]:
        summary: dict[str, Any] = self.report.report["summary"]
        return summary


def scan(
    db: Database,
    actor: Actor,
    config: ScanConfig,
    *,
    resume: bool = False,
    hook: Callable[..., None] | None = None,
    started: Callable[[int], None] | None = None,
    cluster: ClusterSpec | None = None,
    worker_hook: Callable[..., None] | None = None,
) -> ScanOutcome:
    """Scan ``config.sources`` (or finish the interrupted scan for ``config.out_dir``), write the report
    files and record the scan in the audit log. Raises the kinds of netsafe.errors: a request that cannot
    be served as given (unknown hash set, a finished scan in --out) or a store or report failure.
    ``started`` is told the scan's id as soon as the scan is stored. With ``cluster`` the walking, hashing
    and matching run on a Dask cluster (netsafe.triage.cluster_run); ``worker_hook`` then hears each
    worker's totals as its batches finish."""
    out_dir = Path(config.out_dir).absolute()
    try:
        if cluster is None:
            state = run_scan(db, config, resume=resume, hook=hook, started=started)
        else:
            check_store(cluster, db.backend)
            from netsafe.triage.cluster_run import run_cluster_scan  # imports distributed: only here

            state = run_cluster_scan(
                db, config, cluster, resume=resume, hook=hook, started=started, worker_hook=worker_hook
            )
    except KeyboardInterrupt:
        raise _interrupted(db, actor, config, out_dir, resume) from None
    try:
        data = write_reports(db, state.id, out_dir, thumbnails=bool(state.options.get("thumbnails")))
    except KeyboardInterrupt:
        raise _interrupted(db, actor, config, out_dir, resume) from None
    except (OSError, ValueError) as err:
        reason = err.strerror if isinstance(err, OSError) and err.strerror else type(err).__name__
        raise ReportNotWrittenError(
            f"the scan is stored but its report could not be written to --out {readable(str(out_dir))} "
            f"({reason}): fix that and run the same command with --resume to write it"
        ) from None
    summary = data.report["summary"]
    with db.session() as session:
        record(
            session,
            actor,
            "scan",
            f"scan:{state.id}",
            {
                "sources": [readable(s["path"]) for s in state.sources][:100],
                "out": readable(str(out_dir)),
                "case": state.options.get("case"),
                "exhibit": state.options.get("exhibit"),
                # As the scan was started: a resumed run is the same examiner's scan.
                "examiner": state.examiner,
                "resumed": resume,
                "files": summary["files"],
                "matched_items": summary["matched_items"],
            },
        )
    return ScanOutcome(state.id, out_dir, data)


def _interrupted(db: Database, actor: Actor, config: ScanConfig, out_dir: Path, resume: bool) -> NetsafeError:
    """Record the interrupted run and say what is kept; the folder named for the report exists."""
    row = checkpoint.find_scan(db, str(out_dir))
    if row is None:
        return ScanInterruptedError(0, out_dir)  # stopped before the scan was recorded: nothing kept
    files = checkpoint.stored_files(db, row.id)
    out_dir.mkdir(parents=True, exist_ok=True)
    with db.session() as session:
        record(
            session,
            actor,
            "scan",
            f"scan:{row.id}",
            {
                "sources": [readable(s["path"]) for s in row.sources][:100],
                "out": readable(str(out_dir)),
                "case": row.options.get("case"),
                "exhibit": row.options.get("exhibit"),
                "examiner": row.examiner,
                "resumed": resume,
                "files": files,
            },
            outcome="interrupted",
        )
    return ScanInterruptedError(files, out_dir, scanned=row.status == "finished")


# --- what a case sees of a scan (issue 13: cases link exhibits to scans by id) ---------------------------

# The grading a case's evidence is counted in: the Sentencing Council's categories, as CAID grades them.
EVIDENCE_PROFILE = "uk-caid"
GRADED = ("A", "B", "C")


@dataclass(slots=True)
class ScanEvidence:
    """Facts from a stored scan, counted per distinct content (a file found twice counts once)."""

    scan_id: int
    status: str  # running | finished
    finished: datetime | None
    items: int
    images: int
    videos: int
    matched: int
    matched_videos: int
    by_category: dict[str, int]  # uk-caid code (A, B, C, NP) or "uncategorised" -> matched items
    unknown: int  # images and videos that no hash set the scan used knows
    hash_sets: list[str]

    @property
    def category_a_share(self) -> float | None:
        """Category A among the items graded A, B or C (None when none is)."""
        graded = sum(self.by_category.get(c, 0) for c in GRADED)
        return None if graded == 0 else self.by_category.get("A", 0) / graded

    def as_dict(self) -> dict[str, Any]:
        share = self.category_a_share
        return {
            "scan_id": self.scan_id,
            "status": self.status,
            "finished": None if self.finished is None else self.finished.isoformat(),
            "items": self.items,
            "images": self.images,
            "videos": self.videos,
            "matched": self.matched,
            "matched_videos": self.matched_videos,
            "by_category": self.by_category,
            "category_a_share": None if share is None else round(share, 4),
            "unknown": self.unknown,
            "hash_sets": self.hash_sets,
        }


def scan_exists(session: Session, scan_id: int) -> bool:
    return session.get(ScanRow, scan_id) is not None


def scan_evidence(session: Session, scan_id: int) -> ScanEvidence | None:
    """The counts a case shows beside its risk factors; None when no scan has this id."""
    scan = session.get(ScanRow, scan_id)
    if scan is None:
        return None
    by_category: dict[str, int] = {}
    items = images = videos = matched = matched_videos = unknown = 0
    rows = session.execute(
        select(ScanBlobRow.kind, ScanBlobRow.matches).where(ScanBlobRow.scan_id == scan_id)
    )
    for kind, matches in rows:
        items += 1
        images += kind == "image"
        videos += kind == "video"
        if matches:
            matched += 1
            matched_videos += kind == "video"
            code = _evidence_category(matches)
            key = code or "uncategorised"
            by_category[key] = by_category.get(key, 0) + 1
        elif kind in ("image", "video"):
            unknown += 1
    order = {code: n for n, code in enumerate((*GRADED, "NP", "uncategorised"))}
    return ScanEvidence(
        scan_id=scan.id,
        status=scan.status,
        finished=scan.finished,
        items=items,
        images=images,
        videos=videos,
        matched=matched,
        matched_videos=matched_videos,
        by_category=dict(sorted(by_category.items(), key=lambda kv: order.get(kv[0], len(order)))),
        unknown=unknown,
        hash_sets=[str(s.get("name")) for s in scan.hash_sets if isinstance(s, dict)],
    )


def _evidence_category(matches: list[dict[str, Any]]) -> str | None:
    """The most severe of an item's matches, in uk-caid codes (a code with no mapping is uncategorised)."""
    target = load_profile(EVIDENCE_PROFILE)
    codes: list[str | None] = []
    for match in matches:
        try:
            codes.append(map_category(match.get("category"), str(match.get("profile")), target))
        except ProfileError:
            codes.append(None)
    return target.most_severe(codes)
