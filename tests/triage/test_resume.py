"""kill -9 in the middle of a scan, --resume, and the report must equal an uninterrupted scan's."""

from __future__ import annotations

import io
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from netsafe.audit.service import Actor
from netsafe.store import open_database
from netsafe.triage.checkpoint import ScanStateError
from netsafe.triage.pipeline import ScanConfig, run_scan
from netsafe.triage.report import write_reports

from .conftest import Evidence, make_db

ACTOR = Actor("test")

VOLATILE = ("id", "started", "finished", "elapsed_seconds", "runs")


def _png(rng: np.random.Generator) -> bytes:
    pixels = rng.integers(0, 256, size=(24, 24, 3), dtype=np.uint8)
    out = io.BytesIO()
    Image.fromarray(pixels).save(out, "PNG")
    return out.getvalue()


def _tree(root: Path, files: int) -> None:
    rng = np.random.default_rng(7)
    pngs = [_png(rng) for _ in range(files)]
    for i, data in enumerate(pngs):
        sub = root / f"d{i // 100:02d}"
        sub.mkdir(parents=True, exist_ok=True)
        (sub / f"{i:05d}.png").write_bytes(data)
        if i % 7 == 0:  # copies: must be hashed once and listed at both places after the resume too
            (sub / f"{i:05d}-copy.bin").write_bytes(data)
    with zipfile.ZipFile(root / "d05" / "archive.zip", "w") as zf:
        for i in range(300):
            zf.writestr(f"m/{i:04d}.png", pngs[(i * 13) % files] if i % 2 else _png(rng))


def _stable(report: dict[str, Any]) -> dict[str, Any]:
    scan = {k: v for k, v in report["scan"].items() if k not in VOLATILE}
    return {**report, "scan": scan}


def _next_seq(db_path: Path) -> int:
    try:
        con = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=1)
        try:
            row = con.execute("SELECT next_seq, status FROM scans ORDER BY id DESC LIMIT 1").fetchone()
        finally:
            con.close()
    except sqlite3.Error:
        return 0
    return int(row[0]) if row else 0


@pytest.mark.slow
def test_kill_9_then_resume_gives_the_uninterrupted_report(
    tmp_path: Path, evidence: Evidence, monkeypatch: pytest.MonkeyPatch
) -> None:
    tree = tmp_path / "tree"
    _tree(tree, 1500)
    monkeypatch.setenv("NETSAFE_INDEX_DIR", str(tmp_path / "indexes"))
    db = make_db(tmp_path, evidence)
    db_path = tmp_path / "netsafe.db"
    env = {**os.environ, "NETSAFE_DATABASE_URL": f"sqlite:///{db_path}"}
    out = tmp_path / "killed"
    cmd = [sys.executable, "-m", "netsafe", "scan", str(tree), "--out", str(out), "--workers", "2", "--quiet"]
    proc = subprocess.Popen(cmd, env=env, start_new_session=True, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    killed_at = 0
    while time.monotonic() < deadline:
        seq = _next_seq(db_path)
        if seq >= 400:
            os.killpg(proc.pid, signal.SIGKILL)  # the scan and every process it started
            killed_at = seq
            break
        if proc.poll() is not None:
            pytest.fail(f"the scan ended before it could be killed: {proc.stderr.read()!r}")  # type: ignore[union-attr]
        time.sleep(0.05)
    proc.wait()
    assert killed_at, "the scan never reached the kill point"
    assert not (out / "report.json").exists()
    total_events = 1500 + 1500 // 7 + 1 + 1 + 300  # files, copies, the zip itself, ... checked below
    assert _next_seq(db_path) < total_events
    # Without --resume the interrupted scan is not silently restarted.
    again = subprocess.run(cmd, env=env, capture_output=True, check=False)
    assert again.returncode == 2 and b"--resume" in again.stderr
    resumed = subprocess.run([*cmd, "--resume"], env=env, capture_output=True, check=False)
    assert resumed.returncode == 0, resumed.stderr
    got = json.loads((out / "report.json").read_text())
    assert got["scan"]["runs"] == 2
    # The same scan, uninterrupted, into another folder of the same store.
    ref_out = tmp_path / "reference"
    state = run_scan(db, ScanConfig(sources=(str(tree),), out_dir=str(ref_out), workers=2))
    ref = write_reports(db, state.id, ref_out, thumbnails=False).report
    assert _stable(got) == _stable(ref)
    assert (out / "report.csv").read_bytes() == (ref_out / "report.csv").read_bytes()
    assert (out / "vics.json").read_bytes() == (ref_out / "vics.json").read_bytes()
    files = got["summary"]["files"]
    assert files == 1500 + len(range(0, 1500, 7)) + 1 + 300
    locations = [p["path"] for i in got["items"] for p in i["locations"]]
    assert len(locations) == len(set(locations)) == files  # none lost, none twice
    db.dispose()


def test_resume_refusals(tmp_path: Path, evidence: Evidence, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NETSAFE_INDEX_DIR", str(tmp_path / "indexes"))
    db = make_db(tmp_path, evidence)
    src = tmp_path / "src"
    src.mkdir()
    (src / "a.txt").write_text("a")
    config = ScanConfig(
        sources=(str(src),), out_dir=str(tmp_path / "out"), hashsets=("caid-test",), workers=1
    )
    with pytest.raises(ScanStateError, match="run it without --resume"):
        run_scan(db, config, resume=True)
    state = run_scan(db, config)
    # Scanned but no report yet (it failed to write): --resume hands the scan back for its report only.
    again = run_scan(db, config, resume=True)
    assert again.finished and again.id == state.id
    write_reports(db, state.id, tmp_path / "out", thumbnails=False)
    with pytest.raises(ScanStateError, match="finished already"):
        run_scan(db, config, resume=True)
    db.dispose()


def test_resume_refuses_changed_hash_sets(
    tmp_path: Path, evidence: Evidence, monkeypatch: pytest.MonkeyPatch
) -> None:
    from netsafe.services.hashsets import import_file
    from netsafe.triage import checkpoint
    from netsafe.triage.pipeline import load_matcher, start_or_resume

    monkeypatch.setenv("NETSAFE_INDEX_DIR", str(tmp_path / "indexes"))
    db = make_db(tmp_path, evidence)
    src = tmp_path / "src"
    src.mkdir()
    config = ScanConfig(sources=(str(src),), out_dir=str(tmp_path / "out"), hashsets=("caid-test",))
    state = start_or_resume(db, config, resume=False)  # a scan that "crashed" right after starting
    load_matcher(db, state, config)
    import_file(db, ACTOR, evidence.hashset_csv, "caid-test", format="csv")  # version 2
    with pytest.raises(ScanStateError, match="hash sets changed"):
        run_scan(db, config, resume=True)
    with pytest.raises(ScanStateError, match="--resume"):
        run_scan(db, config, resume=False)
    assert checkpoint.find_scan(db, str(tmp_path / "out")) is not None
    open_database(f"sqlite:///{tmp_path / 'netsafe.db'}").dispose()
    db.dispose()


@pytest.mark.slow
def test_ctrl_c_exits_130_is_audited_and_the_resume_keeps_the_examiner(
    tmp_path: Path, evidence: Evidence, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ctrl-C: exit status 130, one line saying what is kept and how to resume, the folder it names
    exists, the interrupted run is in the audit log; the resumed run (no --examiner given) keeps the
    examiner, and sources given relative are stored absolute."""
    _tree(tmp_path / "tree", 1500)
    monkeypatch.setenv("NETSAFE_INDEX_DIR", str(tmp_path / "indexes"))
    make_db(tmp_path, evidence).dispose()
    db_path = tmp_path / "netsafe.db"
    env = {**os.environ, "NETSAFE_DATABASE_URL": f"sqlite:///{db_path}"}
    base = [sys.executable, "-m", "netsafe", "scan", "tree", "--out", "case-9", "--workers", "1", "--quiet"]
    proc = subprocess.Popen(
        [*base, "--examiner", "DC First"], env=env, cwd=tmp_path, stderr=subprocess.PIPE, text=True
    )
    deadline = time.monotonic() + 120
    while _next_seq(db_path) < 200:
        if proc.poll() is not None or time.monotonic() > deadline:
            pytest.fail(f"the scan ended before Ctrl-C: {proc.stderr.read()!r}")  # type: ignore[union-attr]
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr
    [line] = stderr.strip().splitlines()
    out = tmp_path / "case-9"
    assert line.startswith("netsafe scan: error: interrupted: ") and "kept in the store" in line
    assert f"run the same command with --resume (the report goes to {out})" in line
    assert out.is_dir() and not (out / "report.json").exists()
    resumed = subprocess.run([*base, "--resume"], env=env, cwd=tmp_path, capture_output=True, check=False)
    assert resumed.returncode == 0, resumed.stderr
    report = json.loads((out / "report.json").read_text())
    assert report["scan"]["examiner"] == "DC First" and report["scan"]["runs"] == 2
    assert [s["path"] for s in report["scan"]["sources"]] == [str(tmp_path / "tree")]
    log = subprocess.run(
        [sys.executable, "-m", "netsafe", "audit", "export", "--action", "scan"],
        env=env,
        capture_output=True,
        check=True,
        text=True,
    )
    events = [json.loads(e) for e in log.stdout.splitlines() if e.strip()]
    assert [(e["outcome"], e["details"]["examiner"], e["details"]["resumed"]) for e in events] == [
        ("interrupted", "DC First", False),
        ("ok", "DC First", True),
    ]
    assert events[0]["details"]["files"] > 0
    assert all(e["details"]["sources"] == [str(tmp_path / "tree")] for e in events)


def test_ctrl_c_while_the_report_is_written_says_the_scan_is_kept(
    tmp_path: Path, store: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from netsafe.audit.models import AuditEventRow
    from netsafe.triage import service

    src = tmp_path / "src"
    src.mkdir()
    (src / "a.txt").write_text("a")
    config = ScanConfig(sources=(str(src),), out_dir=str(tmp_path / "out"), workers=1, examiner="DC X")

    def ctrl_c(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(service, "write_reports", ctrl_c)
    with pytest.raises(service.ScanInterruptedError, match=r"the scan \(1 files\) is finished and kept"):
        service.scan(store, ACTOR, config)
    with store.session() as session:
        [event] = session.query(AuditEventRow).filter(AuditEventRow.action == "scan").all()
    assert event.outcome == "interrupted"
    monkeypatch.undo()
    outcome = service.scan(store, ACTOR, config, resume=True)  # writes the report, scans nothing again
    assert outcome.summary["files"] == 1 and (tmp_path / "out" / "report.pdf").is_file()
