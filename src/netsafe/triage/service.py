"""Scans as a service: run (or resume) a scan, write its report and record it in the audit log.

The command line calls this, and the pages will (issue 12): the rule for what a finished scan writes and
audits lives here once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from netsafe.audit.service import Actor, record
from netsafe.errors import NetsafeError, Unavailable
from netsafe.store.db import Database
from netsafe.textsafe import readable
from netsafe.triage import checkpoint
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
) -> ScanOutcome:
    """Scan ``config.sources`` (or finish the interrupted scan for ``config.out_dir``), write the report
    files and record the scan in the audit log. Raises the kinds of netsafe.errors: a request that cannot
    be served as given (unknown hash set, a finished scan in --out) or a store or report failure."""
    out_dir = Path(config.out_dir).absolute()
    try:
        state = run_scan(db, config, resume=resume, hook=hook)
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
