"""``netsafe hash``: output contracts and exit codes."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from netsafe.cli import app
from netsafe.hashing.record import JSON_FIELDS
from netsafe.samples import synthetic_photo

runner = CliRunner()


@pytest.fixture
def photos(tmp_path: Path) -> Path:
    for i in range(5):
        synthetic_photo(i, 240, 180).save(tmp_path / f"p{i}.jpg")
    (tmp_path / "sub").mkdir()
    synthetic_photo(9, 240, 180).save(tmp_path / "sub" / "deep.png")
    return tmp_path


def _jsonl(text: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def test_json_lines_contract(photos: Path) -> None:
    result = runner.invoke(app, ["hash", str(photos), "--json", "--workers", "2"])
    assert result.exit_code == 0, result.output
    rows = _jsonl(result.stdout)
    assert len(rows) == 6
    for row in rows:
        assert set(JSON_FIELDS) <= set(row)
        assert isinstance(row["pdq"], str) and len(row["pdq"]) == 64 and row["pdq"] == row["pdq"].lower()
        assert row["error"] is None
    assert any(str(r["path"]).endswith("deep.png") for r in rows)


def test_dihedral_gives_eight(photos: Path) -> None:
    result = runner.invoke(app, ["hash", str(photos / "p1.jpg"), "--json", "--dihedral", "--exact"])
    row = _jsonl(result.stdout)[0]
    assert isinstance(row["pdq_dihedral"], list) and len(row["pdq_dihedral"]) == 8
    assert row["pdq_dihedral"][0] == row["pdq"]


def test_signals_option_limits_output(photos: Path) -> None:
    result = runner.invoke(app, ["hash", str(photos / "p1.jpg"), "--json", "--signals", "sha256"])
    row = _jsonl(result.stdout)[0]
    assert row["sha256"] and row["md5"] is None and row["pdq"] is None


def test_some_bad_files_exit_1_and_others_still_print(photos: Path) -> None:
    (photos / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0" + b"\x00" * 50)
    (photos / "empty.png").write_bytes(b"")
    result = runner.invoke(app, ["hash", str(photos), "--json"])
    assert result.exit_code == 1
    rows = _jsonl(result.stdout)
    assert len(rows) == 8
    errors = {Path(str(r["path"])).name: r["error"] for r in rows if r["error"]}
    assert set(errors) == {"broken.jpg", "empty.png"}
    assert "Traceback" not in result.output


def test_usage_errors_exit_2(photos: Path) -> None:
    assert runner.invoke(app, ["hash", str(photos / "nope.jpg")]).exit_code == 2
    assert runner.invoke(app, ["hash", str(photos), "--signals", "md4"]).exit_code == 2
    assert runner.invoke(app, ["hash", str(photos), "--json", "--csv"]).exit_code == 2
    assert runner.invoke(app, ["hash"]).exit_code == 2


def test_csv_output(photos: Path) -> None:
    result = runner.invoke(app, ["hash", str(photos), "--csv"])
    assert result.exit_code == 0
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert len(rows) == 6 and all(len(r["sha256"]) == 64 for r in rows)


def test_table_output(photos: Path) -> None:
    result = runner.invoke(app, ["hash", str(photos)])
    assert result.exit_code == 0
    assert "p0.jpg" in result.stdout and "image" in result.stdout


def test_video_in_json(reference: Path) -> None:
    result = runner.invoke(app, ["hash", str(reference / "vpdq" / "chair-19-sd-bar.mp4"), "--json"])
    row = _jsonl(result.stdout)[0]
    assert row["kind"] == "video"
    frames = row["vpdq"]
    assert isinstance(frames, list) and len(frames) == 19
    assert set(frames[0]) == {"frame", "timestamp", "quality", "pdq"}


def test_console_script_runs_without_traceback(photos: Path) -> None:
    (photos / "broken.gif").write_bytes(b"GIF89a" + b"\x01" * 30)
    proc = subprocess.run(
        [sys.executable, "-m", "netsafe", "hash", str(photos), "--json"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    assert len(proc.stdout.splitlines()) == 7
