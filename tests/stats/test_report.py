"""``netsafe stats report``: HTML and PDF for a year, with the summary written from the published rows."""

from __future__ import annotations

import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from netsafe.audit.service import Actor
from netsafe.cli import app
from netsafe.hotline.intake import NewReport, submit
from netsafe.store.db import open_database

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "stats"


def test_report_html_and_pdf(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'store.sqlite'}"
    db = open_database(url)
    when = datetime(2026, 3, 2, tzinfo=UTC)
    submit(db, Actor("test"), [NewReport(f"https://example.org/{n}") for n in range(37)], "public", when)
    submit(
        db, Actor("test"), [NewReport("https://example.org/old")], "public", datetime(2025, 3, 2, tzinfo=UTC)
    )
    db.dispose()
    out = tmp_path / "out"
    env = {"NETSAFE_DATABASE_URL": url, "NETSAFE_CONFIG": ""}
    result = CliRunner().invoke(app, ["stats", "report", "--year", "2026", "--out", str(out)], env=env)
    assert result.exit_code == 0, result.output
    html = (out / "statistics-2026.html").read_text()
    assert "In 2026 the hotline received 35 reports" in html  # 37, published: rounded to 35
    assert "under 10 suppressed" in html and "<svg" in html
    pdf = out / "statistics-2026.pdf"
    assert pdf.read_bytes().startswith(b"%PDF-")
    if shutil.which("pdftotext") is None or shutil.which("pdftoppm") is None:
        pytest.fail("pdftotext/pdftoppm not found: install poppler-utils (make system-deps)")
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, check=True
    ).stdout.decode()
    assert "In 2026 the hotline received 35 reports" in text and "Page 1 of" in text
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        ["pdftoppm", "-png", "-r", "50", "-l", "2", str(pdf), str(ARTIFACTS / "report")], check=True
    )
    assert list(ARTIFACTS.glob("report-*.png"))
    bad = CliRunner().invoke(app, ["stats", "report", "--year", "20", "--out", str(out)], env=env)
    assert bad.exit_code == 2 and "--year 20: give a year" in bad.output
