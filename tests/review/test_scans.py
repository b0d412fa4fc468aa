"""Scans for the pages and the API: the list with counts by category and errors, report downloads, and
starting a scan only under the evidence roots, in the background, with its progress in the store."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from netsafe.audit.models import AuditEventRow
from netsafe.errors import NotFound
from netsafe.review.scan_progress import progress_of
from netsafe.review.scan_start import (
    OutsideEvidenceRootsError,
    ScanPathError,
    ScanRunner,
    evidence_path,
    scan_progress,
    start_scan,
)
from netsafe.review.settings import ReviewSettings
from netsafe.store.db import Database, open_database
from netsafe.triage.models import ScanRow

from .evidence_ui import ACTOR, Evidence, build, scanned


@dataclass
class Setup:
    base: Path
    db: Database
    evidence: Evidence
    scan_id: int
    out: Path


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Setup]:
    base = tmp_path_factory.mktemp("scans")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("NETSAFE_INDEX_DIR", str(base / "idx"))
        evidence = build(base / "evidence")
        db = open_database(f"sqlite:///{base / 'netsafe.db'}")
        scan_id = scanned(db, evidence, base / "out")
        yield Setup(base, db, evidence, scan_id, base / "out")
        db.dispose()


def scan_ids(db: Database) -> list[int]:
    with db.session() as session:
        return list(session.scalars(select(ScanRow.id)))


def actions(db: Database, action: str) -> list[AuditEventRow]:
    with db.session() as session:
        rows = list(session.scalars(select(AuditEventRow).where(AuditEventRow.action == action)))
        session.expunge_all()
    return rows


def test_progress_counts_from_the_store(setup: Setup) -> None:
    summary = progress_of(setup.db, setup.scan_id)
    report = json.loads((setup.out / "report.json").read_text())["summary"]
    assert summary.status == "finished" and summary.examiner is None
    assert summary.sources == [str(setup.evidence.folder)]
    assert summary.by_category == report["matches_by_category"] and summary.matched_items == 1
    assert summary.files == report["files"] and summary.items == report["items"]
    assert summary.errors == report["errors"]
    assert summary.reports == [
        "report.json",
        "report.csv",
        "categories.csv",
        "report.html",
        "report.pdf",
        "vics.json",
        "manifest.txt",
    ]
    assert summary.as_dict()["started"].endswith("Z")
    with pytest.raises(NotFound):
        progress_of(setup.db, 999)


def test_evidence_paths_are_checked(tmp_path: Path) -> None:
    root = tmp_path / "evidence"
    (root / "case1" / "photos").mkdir(parents=True)
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (root / "case1" / "escape").symlink_to(outside)
    (root / "case1" / "inside").symlink_to(root / "case1" / "photos")
    (tmp_path / "evidence-2").mkdir()  # a sibling whose name starts like the root's
    roots = [root]
    assert evidence_path(str(root / "case1"), roots) == str(root / "case1")
    assert evidence_path(str(root / "case1" / "inside"), roots) == str(root / "case1" / "photos")
    refused = {
        str(outside): OutsideEvidenceRootsError,
        str(root / "case1" / "escape"): OutsideEvidenceRootsError,
        str(tmp_path / "evidence-2"): OutsideEvidenceRootsError,
        str(root / "case1" / ".." / "case1"): ScanPathError,
        str(root / ".." / "elsewhere"): ScanPathError,
        "case1": ScanPathError,
        "": ScanPathError,
        str(root / "nul\x00"): ScanPathError,
        str(root / "missing"): NotFound,
    }
    for path, kind in refused.items():
        with pytest.raises(kind) as err:
            evidence_path(path, roots)
        message = str(err.value)
        assert "\n" not in message and str(tmp_path) not in message, message
    with pytest.raises(OutsideEvidenceRootsError, match="no evidence roots are configured"):
        evidence_path(str(root), [])


def test_a_scan_started_here_runs_in_the_background(setup: Setup, tmp_path: Path) -> None:
    settings = ReviewSettings(
        evidence_roots=[setup.evidence.folder.parent], scan_out_dir=tmp_path / "reports"
    )
    runner = ScanRunner()
    try:
        started = start_scan(
            setup.db, ACTOR, settings, str(setup.evidence.folder), hashsets=("caid-test",), runner=runner
        )
        assert started.scan is not None and started.queued == 0
        scan_id = started.scan.id
        deadline = time.monotonic() + 60
        while scan_progress(setup.db, scan_id)["status"] in ("running", "reporting"):
            assert time.monotonic() < deadline
            time.sleep(0.2)
        done = scan_progress(setup.db, scan_id)
        first = progress_of(setup.db, setup.scan_id)
        assert done["status"] == "finished" and done["examiner"] == "test"
        assert done["matches_by_category"] == first.by_category and done["files"] == first.files
        assert "report.json" in done["reports"]
        [out] = (tmp_path / "reports").iterdir()
        assert (out / "manifest.txt").is_file()
        assert any(e.target == f"scan:{scan_id}" for e in actions(setup.db, "scan"))
        assert json.loads(actions(setup.db, "scan.start")[-1].details)["hashsets"] == ["caid-test"]
    finally:
        runner.shutdown()


def test_a_failed_run_shows_as_failed_to_every_worker(setup: Setup, tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the reports folder should be")
    settings = ReviewSettings(evidence_roots=[setup.evidence.folder], scan_out_dir=blocker)
    runner = ScanRunner()
    try:
        started = start_scan(setup.db, ACTOR, settings, str(setup.evidence.folder), runner=runner)
        assert started.scan is not None
        deadline = time.monotonic() + 60
        while (done := scan_progress(setup.db, started.scan.id))["status"] == "running":
            assert time.monotonic() < deadline
            time.sleep(0.2)
    finally:
        runner.shutdown()
    # Read from the store, not from the runner that ran it: another worker shows the same.
    assert done["status"] == "failed"
    assert done["error"].startswith("the scan is stored but its report could not be written")
    assert str(tmp_path) not in done["error"]
    failed = [e for e in actions(setup.db, "scan") if e.outcome == "failed"]
    assert failed and failed[-1].target == f"scan:{started.scan.id}"


def test_a_refused_start_stores_nothing(setup: Setup, tmp_path: Path) -> None:
    settings = ReviewSettings(evidence_roots=[setup.evidence.folder], scan_out_dir=tmp_path / "reports")
    before = (len(scan_ids(setup.db)), len(actions(setup.db, "scan.start")))
    with pytest.raises(NotFound, match="no hash set named 'nope'"):
        start_scan(setup.db, ACTOR, settings, str(setup.evidence.folder), hashsets=("nope",))
    with pytest.raises(OutsideEvidenceRootsError):
        start_scan(setup.db, ACTOR, settings, str(setup.base))
    inside = ReviewSettings(evidence_roots=[setup.base], scan_out_dir=setup.base / "reports")
    with pytest.raises(Exception, match="inside the evidence"):
        start_scan(setup.db, ACTOR, inside, str(setup.evidence.folder))
    assert (len(scan_ids(setup.db)), len(actions(setup.db, "scan.start"))) == before
    assert not os.path.exists(tmp_path / "reports")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=80))
def test_any_typed_path_is_inside_or_refused_in_one_line(tmp_path: Path, text: str) -> None:
    root = tmp_path / "root"
    root.mkdir(exist_ok=True)
    (root / "in").mkdir(exist_ok=True)
    for typed in (text, str(root) + "/" + text, "/" + text):
        try:
            real = evidence_path(typed, [root])
        except (ScanPathError, OutsideEvidenceRootsError, NotFound) as err:
            message = str(err)
            assert "\n" not in message and len(message) < 200
            # The message never repeats what was typed (it may be a path, and logs keep messages).
            assert str(tmp_path) not in message
            assert len(text.strip()) < 8 or text not in message
        else:
            assert real == str(root) or real.startswith(str(root) + "/")
