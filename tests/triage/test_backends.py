"""The checkpoint on both store backends: a scan interrupted mid-way (in-process) and resumed reports
exactly what an uninterrupted scan reports, on SQLite and on a real PostgreSQL server."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from netsafe.audit.service import Actor
from netsafe.media.sources import iter_sources
from netsafe.services.hashsets import import_file
from netsafe.store import Database
from netsafe.store.pytest_fixtures import database_url, db, postgres_server, postgres_store
from netsafe.triage import pipeline
from netsafe.triage.pipeline import ScanConfig, Scanner, load_matcher, run_scan, start_or_resume
from netsafe.triage.report import write_reports

from .conftest import Evidence

ACTOR = Actor("test")

__all__ = ["database_url", "db", "postgres_server", "postgres_store"]


class CrashError(Exception):
    pass


def _crash_after(events: Iterator[Any], n: int) -> Iterator[Any]:
    for i, event in enumerate(events):
        if i == n:
            raise CrashError
        yield event


def _tree(root: Path, evidence: Evidence) -> None:
    root.mkdir()
    for i in range(12):
        (root / f"{i:02d}.jpg").write_bytes(evidence.orig if i % 4 == 0 else evidence.unmatched[i % 2])
    (root / "z.bin").write_bytes(evidence.exact_b)
    (root / "letter.txt").write_text("hello")
    # A name that is not UTF-8 (stored as valid text plus its bytes on both backends).
    (root / os.fsdecode(b"odd\xff.jpg")).write_bytes(evidence.unmatched[0])


def test_interrupted_scan_resumes_identically(
    db: Database, tmp_path: Path, evidence: Evidence, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NETSAFE_INDEX_DIR", str(tmp_path / "indexes"))
    monkeypatch.setattr(pipeline, "COMMIT_EVERY_EVENTS", 3)
    monkeypatch.setattr(pipeline, "WINDOW_MIN", 2)
    monkeypatch.setattr(pipeline, "WINDOW_PER_WORKER", 1)
    import_file(db, ACTOR, evidence.hashset_csv, "caid-test", format="csv", profile="uk-caid")
    src = tmp_path / "src"
    _tree(src, evidence)
    config = ScanConfig(sources=(str(src),), out_dir=str(tmp_path / "a"), workers=2)
    state = start_or_resume(db, config, resume=False)
    scanner = Scanner(db, config, state, load_matcher(db, state, config))
    with pytest.raises(CrashError):
        scanner.run(_crash_after(iter_sources([str(src)]), 8))
    assert 0 < state.next_seq <= 8
    resumed = run_scan(db, config, resume=True)
    got = write_reports(db, resumed.id, tmp_path / "a", thumbnails=False).report
    ref_config = ScanConfig(sources=(str(src),), out_dir=str(tmp_path / "b"), workers=2)
    ref_state = run_scan(db, ref_config)
    ref = write_reports(db, ref_state.id, tmp_path / "b", thumbnails=False).report
    volatile = ("id", "started", "finished", "elapsed_seconds", "runs")
    for report in (got, ref):
        for key in volatile:
            report["scan"].pop(key)
    assert got == ref
    assert got["summary"]["files"] == 15 and got["summary"]["items"] == 5
    [odd] = [p for i in got["items"] for p in i["locations"] if p["path"].endswith("odd\\xff.jpg")]
    assert bytes.fromhex(odd["location"][0]["name_bytes_hex"]).endswith(b"/odd\xff.jpg")
    assert got["summary"]["matches_by_category"] == {"Category A": 1, "Category B": 1}
