"""Write every report file of a scan into its output folder, the manifest last."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from netsafe.pdf import write_pdf
from netsafe.store import Database
from netsafe.triage.manifest import write_manifest
from netsafe.triage.report_csv import write_categories, write_csv
from netsafe.triage.report_html import write_html
from netsafe.triage.report_json import LocalGrade, ReportData, build_report, write_json
from netsafe.triage.report_vics import write_vics

REPORT_FILES = ("report.json", "report.csv", "categories.csv", "report.html", "report.pdf", "vics.json")


def write_reports(
    db: Database,
    scan_id: int,
    out_dir: str | os.PathLike[str],
    thumbnails: bool,
    grades: Mapping[str, LocalGrade] | None = None,
) -> ReportData:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    data = build_report(db, scan_id, grades)
    write_json(data.report, out / "report.json")
    write_csv(data.report, out / "report.csv")
    write_categories(data.report, out / "categories.csv")
    html = write_html(data.report, out / "report.html", data.thumbnails if thumbnails else None)
    write_pdf(html, out / "report.pdf")
    write_vics(data.report, out / "vics.json")
    write_manifest(out, list(REPORT_FILES))
    return data
