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
from netsafe.errors import Unavailable
from netsafe.store.db import Database
from netsafe.textsafe import readable
from netsafe.triage.pipeline import ScanConfig, run_scan
from netsafe.triage.report import write_reports
from netsafe.triage.report_json import ReportData


class ReportNotWrittenError(Unavailable):
    """The scan is stored but its report could not be written; ``--resume`` writes it later."""


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
) -> ScanOutcome:
    """Scan ``config.sources`` (or finish the interrupted scan for ``config.out_dir``), write the report
    files and record the scan in the audit log. Raises the kinds of netsafe.errors: a request that cannot
    be served as given (unknown hash set, a finished scan in --out) or a store or report failure.
    ``started`` is told the scan's id as soon as the scan is stored."""
    state = run_scan(db, config, resume=resume, hook=hook, started=started)
    out_dir = Path(config.out_dir)
    try:
        data = write_reports(db, state.id, out_dir, thumbnails=bool(state.options.get("thumbnails")))
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
                "sources": [readable(s) for s in config.sources][:100],
                "out": readable(str(out_dir)),
                "examiner": config.examiner,
                "resumed": resume,
                "files": summary["files"],
                "matched_items": summary["matched_items"],
            },
        )
    return ScanOutcome(state.id, out_dir, data)
