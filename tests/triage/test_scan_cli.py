"""``netsafe scan`` on the command line: files written, options honoured, one-line usage errors."""

from __future__ import annotations

import gzip
import json
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from netsafe.cli import app

from .conftest import Evidence, make_db


@pytest.fixture()
def env(tmp_path: Path, evidence: Evidence, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    make_db(tmp_path, evidence).dispose()
    monkeypatch.setenv("NETSAFE_INDEX_DIR", str(tmp_path / "indexes"))
    return {"NETSAFE_DATABASE_URL": f"sqlite:///{tmp_path / 'netsafe.db'}"}


def _photos(tmp_path: Path, evidence: Evidence) -> Path:
    src = tmp_path / "src"
    src.mkdir()
    (src / "orig.jpg").write_bytes(evidence.orig)
    (src / "other.png").write_bytes(evidence.unmatched[0])
    return src


def test_scan_writes_every_report_file(tmp_path: Path, evidence: Evidence, env: dict[str, str]) -> None:
    src = _photos(tmp_path, evidence)
    out = tmp_path / "case-17"
    result = CliRunner().invoke(
        app,
        [
            "scan",
            str(src),
            "--out",
            str(out),
            "--examiner",
            "DC Example",
            "--hashset",
            "caid-test",
            "--thumbnails",
            "--signals",
            "md5,sha256,pdq",
            "--workers",
            "1",
        ],
        env=env,
    )
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == [
        "categories.csv",
        "manifest.txt",
        "report.csv",
        "report.html",
        "report.json",
        "report.pdf",
        "vics.json",
    ]
    report = json.loads((out / "report.json").read_text())
    assert report["scan"]["examiner"] == "DC Example"
    assert report["scan"]["signals"] == ["md5", "sha256", "pdq"]
    assert report["summary"]["matches_by_category"] == {"Category A": 1}
    items = {i["locations"][0]["path"].rsplit("/", 1)[-1]: i for i in report["items"]}
    assert "sha1" not in items["orig.jpg"]["signals"] and "pdq" in items["orig.jpg"]["signals"]
    html = (out / "report.html").read_text()
    assert html.count("<img ") == 1 and items["other.png"]["sha256"] in html
    # A finished report folder is never overwritten.
    again = CliRunner().invoke(app, ["scan", str(src), "--out", str(out)], env=env)
    assert again.exit_code == 2 and "finished report" in again.output
    # The scan is a lookup by a person: it is in the audit log, with its outcome counts.
    log = CliRunner().invoke(app, ["audit", "export", "--action", "scan"], env=env)
    assert log.exit_code == 0, log.output
    [event] = [json.loads(line) for line in log.stdout.splitlines() if line.strip()]
    assert event["details"]["examiner"] == "DC Example" and event["details"]["matched_items"] == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["{missing}"], "no such file or folder"),
        (["{src}", "--signals", "md5,crc32"], "unknown signal"),
        (["{src}", "--hashset", "no-such-set"], "no hash set named 'no-such-set'"),
        (["{src}", "--resume"], "run it without --resume"),
    ],
)
def test_usage_errors_are_one_line_exit_2(
    tmp_path: Path, evidence: Evidence, env: dict[str, str], args: list[str], message: str
) -> None:
    src = _photos(tmp_path, evidence)
    argv = [a.format(src=src, missing=tmp_path / "nope") for a in args]
    result = CliRunner().invoke(app, ["scan", *argv, "--out", str(tmp_path / "out")], env=env)
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("netsafe scan: error:") and message in lines[0]
    # Nothing was recorded: the corrected command starts cleanly.
    if "--hashset" in args:
        fixed = CliRunner().invoke(app, ["scan", str(src), "--out", str(tmp_path / "out")], env=env)
        assert fixed.exit_code == 0, fixed.output


def test_out_inside_the_evidence_is_refused(tmp_path: Path, evidence: Evidence, env: dict[str, str]) -> None:
    src = _photos(tmp_path, evidence)
    result = CliRunner().invoke(app, ["scan", str(src), "--out", str(src / "report")], env=env)
    assert result.exit_code == 2 and "inside the evidence" in result.output
    assert not (src / "report").exists()


def test_limits_from_the_command_line(tmp_path: Path, evidence: Evidence, env: dict[str, str]) -> None:
    src = _photos(tmp_path, evidence)
    (src / "bomb.zip").write_bytes((evidence.folder / "bomb.zip").read_bytes())
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["scan", str(src), "--out", str(out), "--max-expanded", "1M"], env=env)
    assert result.exit_code == 0, result.output
    report = json.loads((out / "report.json").read_text())
    assert [(e["code"], e["path"].rsplit("/", 1)[-1]) for e in report["errors"]] == [
        ("zip-bomb", "bomb.zip > zip:zeros.bin")
    ]
    assert report["scan"]["limits"]["max_expanded_size"] == 1 << 20
    small = tmp_path / "small"
    small.mkdir()
    (small / "big.bin").write_bytes(bytes(300_000))
    (small / "tiny.txt").write_text("tiny")
    out2 = tmp_path / "out2"
    result = CliRunner().invoke(
        app, ["scan", str(small), "--out", str(out2), "--max-file-size", "100K"], env=env
    )
    assert result.exit_code == 0, result.output
    report = json.loads((out2 / "report.json").read_text())
    assert [(e["code"], e["path"].rsplit("/", 1)[-1]) for e in report["errors"]] == [("too-large", "big.bin")]
    assert report["summary"]["files"] == 1
    bad = CliRunner().invoke(
        app, ["scan", str(src), "--out", str(tmp_path / "x"), "--max-file-size", "lots"], env=env
    )
    assert bad.exit_code == 2 and "--max-file-size: not a size" in bad.output


def test_a_disk_image_that_stalls_the_file_system_reader_is_one_error(
    tmp_path: Path, evidence: Evidence, env: dict[str, str]
) -> None:
    # 4 bytes shifted in an ext4 image's metadata keep The Sleuth Kit busy in C for ~25 s (issue 18).
    src = _photos(tmp_path, evidence)
    slow = Path(__file__).resolve().parents[1] / "data" / "fuzz" / "ext4-slow-open-dir.img.gz"
    (src / "seized.img").write_bytes(gzip.decompress(slow.read_bytes()))
    out = tmp_path / "case-18"
    started = time.monotonic()
    args = ["scan", str(src), "--out", str(out), "--signals", "md5,sha256", "--fs-stall", "1", "-q"]
    result = CliRunner().invoke(app, args, env=env)
    assert result.exit_code == 0, result.output
    assert time.monotonic() - started < 15
    report = json.loads((out / "report.json").read_text())
    [error] = report["errors"]
    assert error["code"] == "corrupt-filesystem"
    assert error["message"].startswith("file system walk took longer than 1 s without progress: the image")
    assert "\n" not in error["message"]
    assert report["scan"]["limits"]["fs_stall_seconds"] == 1
    names = {i["locations"][0]["path"].rsplit("/", 1)[-1] for i in report["items"]}
    assert {"orig.jpg", "other.png", "seized.img"} <= names  # the rest of the evidence, and the image itself
