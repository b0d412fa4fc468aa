"""File names that are not UTF-8 (seized from another system, or made to stop a case) are evidence: every
report is still written, valid, shows them readably and keeps their exact bytes; one bad name never stops
a report, and a report that could not be written is written by ``--resume``."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from typer.testing import CliRunner

from netsafe.audit.chain import canonical_json
from netsafe.cli import app
from netsafe.hashsets.formats import vics
from netsafe.triage import report
from netsafe.triage.manifest import verify_manifest
from netsafe.triage.report_json import schema

from .conftest import Evidence, make_db, media

DISK_NAME = b"photo\xff.png"  # Latin-1 "photo\xff" from a Windows machine: not UTF-8
TAR_NAME = b"in\xfe\xfdtar.jpg"
ZIP_NAME = b"z\xe9ip.jpg"  # a zip without the UTF-8 flag: bytes in an unknown code page


def _tar_with(name: bytes, data: bytes) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.GNU_FORMAT) as tf:
        info = tarfile.TarInfo(os.fsdecode(name))
        info.size = len(data)
        tf.addfile(info, io.BytesIO(data))
    return out.getvalue()


def _zip_with(name: bytes, data: bytes) -> bytes:
    """A zip whose member name is exactly ``name``, flag 0x800 (UTF-8) clear (as old tools write)."""
    stand_in = "N" * len(name)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr(stand_in, data)
    raw = out.getvalue()
    assert raw.count(stand_in.encode()) == 2  # local header and central directory; the CRC is of the data
    return raw.replace(stand_in.encode(), name)


@pytest.fixture()
def odd(tmp_path: Path) -> Path:
    src = tmp_path / "seized"
    src.mkdir()
    os.mkdir(os.path.join(os.fsencode(src), b"dir\x80"))
    with open(os.path.join(os.fsencode(src), b"dir\x80", DISK_NAME), "wb") as fh:
        fh.write(media.png(60))
    (src / "bundle.tar").write_bytes(_tar_with(TAR_NAME, media.jpeg(61)))
    (src / "old.zip").write_bytes(_zip_with(ZIP_NAME, media.jpeg(62)))
    (src / "plain.jpg").write_bytes(media.jpeg(63))
    return src


@pytest.fixture()
def env(tmp_path: Path, evidence: Evidence, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    make_db(tmp_path, evidence).dispose()
    monkeypatch.setenv("NETSAFE_INDEX_DIR", str(tmp_path / "indexes"))
    return {"NETSAFE_DATABASE_URL": f"sqlite:///{tmp_path / 'netsafe.db'}"}


def _scan(src: Path, out: Path, env: dict[str, str], *more: str) -> Any:
    return CliRunner().invoke(
        app,
        ["scan", str(src), "--out", str(out), "--workers", "1", "-q", "--signals", "md5,sha256,pdq", *more],
        env=env,
    )


def _exact_names(place: dict[str, Any]) -> list[bytes]:
    return [
        bytes.fromhex(s["name_bytes_hex"]) if "name_bytes_hex" in s else s["name"].encode()
        for s in place["location"]
    ]


def test_every_report_keeps_names_that_are_not_utf8(tmp_path: Path, odd: Path, env: dict[str, str]) -> None:
    out = tmp_path / "out"
    result = _scan(odd, out, env)
    assert result.exit_code == 0, result.output
    assert verify_manifest(out) == []
    assert sorted(p.name for p in out.iterdir()) == sorted([*report.REPORT_FILES, "manifest.txt"])
    for name in report.REPORT_FILES:
        if name != "report.pdf":  # binary; its text comes from report.html
            (out / name).read_bytes().decode("utf-8")  # strict: every file is valid UTF-8

    data = json.loads((out / "report.json").read_text("utf-8"))
    jsonschema.validate(data, schema())
    places = {p["path"].split("/seized/")[1]: p for i in data["items"] for p in i["locations"]}
    disk = places["dir\\x80/photo\\xff.png"]
    assert _exact_names(disk)[-1] == os.fsencode(odd) + b"/dir\x80/" + DISK_NAME
    assert bytes.fromhex(disk["path_bytes_hex"]) == os.fsencode(odd) + b"/dir\x80/" + DISK_NAME
    in_tar = places["bundle.tar > tar:in\\xfe\\xfdtar.jpg"]
    assert _exact_names(in_tar)[-1] == TAR_NAME
    in_zip = places["old.zip > zip:z\\xe9ip.jpg"]
    assert _exact_names(in_zip)[-1] == ZIP_NAME
    assert "path_bytes_hex" not in places["plain.jpg"]
    assert data["summary"]["files"] == 6 and data["summary"]["errors"] == 0

    with open(out / "report.csv", newline="", encoding="utf-8") as fh:
        rows = {r["location"].split("/seized/")[1]: r for r in csv.DictReader(fh)}
    assert bytes.fromhex(rows["bundle.tar > tar:in\\xfe\\xfdtar.jpg"]["location_bytes_hex"]).endswith(
        b"bundle.tar > tar:" + TAR_NAME
    )
    assert bytes.fromhex(rows["dir\\x80/photo\\xff.png"]["location_bytes_hex"]).endswith(b"/" + DISK_NAME)
    assert rows["plain.jpg"]["location_bytes_hex"] == ""

    html = (out / "report.html").read_text("utf-8")
    assert "photo\\xff.png" not in html or disk["path_bytes_hex"] in html  # shown with its bytes if shown

    media_files = [f for e in vics.read(out / "vics.json") for f in e.media_files]
    names = sorted(f["FileName"] for f in media_files)
    assert names == ["in\\xfe\\xfdtar.jpg", "photo\\xff.png", "plain.jpg", "z\\xe9ip.jpg"]


def test_an_error_at_a_bad_name_is_shown_with_its_bytes(tmp_path: Path, env: dict[str, str]) -> None:
    src = tmp_path / "seized"
    src.mkdir()
    with open(os.path.join(os.fsencode(src), b"broken\xff.zip"), "wb") as fh:
        fh.write(b"PK\x03\x04" + bytes(200))
    (src / "ok.png").write_bytes(media.png(64))
    out = tmp_path / "out"
    result = _scan(src, out, env)
    assert result.exit_code == 0, result.output
    data = json.loads((out / "report.json").read_text("utf-8"))
    [error] = data["errors"]
    assert error["path"].endswith("broken\\xff.zip")
    assert bytes.fromhex(error["path_bytes_hex"]).endswith(b"/broken\xff.zip")
    html = (out / "report.html").read_text("utf-8")
    assert "broken\\xff.zip" in html and error["path_bytes_hex"] in html


def test_a_source_path_that_is_not_utf8_is_scanned_and_resumable(tmp_path: Path, env: dict[str, str]) -> None:
    src = os.path.join(os.fsencode(tmp_path), b"case\xff")
    os.mkdir(src)
    with open(os.path.join(src, b"a.png"), "wb") as fh:
        fh.write(media.png(65))
    out = tmp_path / "out"
    result = _scan(Path(os.fsdecode(src)), out, env)
    assert result.exit_code == 0, result.output
    data = json.loads((out / "report.json").read_text("utf-8"))
    [source] = data["scan"]["sources"]
    assert source["path"].endswith("case\\xff") and bytes.fromhex(source["path_bytes_hex"]) == src
    assert data["summary"]["files"] == 1


def test_a_report_that_fails_to_write_is_written_by_resume(
    tmp_path: Path, odd: Path, env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"

    def disk_full(*args: object, **kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    with monkeypatch.context() as mp:
        mp.setattr(report, "write_html", disk_full)
        failed = _scan(odd, out, env)
    assert failed.exit_code == 1, failed.output
    lines = [line for line in failed.output.splitlines() if line.strip()]
    assert len(lines) == 1 and "No space left on device" in lines[0] and "--resume" in lines[0], lines
    assert not (out / "manifest.txt").exists()
    resumed = _scan(odd, out, env, "--resume")
    assert resumed.exit_code == 0, resumed.output
    assert verify_manifest(out) == []
    data = json.loads((out / "report.json").read_text("utf-8"))
    assert data["scan"]["complete"] and data["scan"]["runs"] == 1 and data["summary"]["files"] == 6
    # Once written, the report is final.
    again = _scan(odd, out, env, "--resume")
    assert again.exit_code == 2 and "finished already" in again.output


def test_match_json_on_a_name_that_is_not_utf8(tmp_path: Path, env: dict[str, str]) -> None:
    path = os.path.join(os.fsencode(tmp_path), DISK_NAME)
    with open(path, "wb") as fh:
        fh.write(media.png(66))

    # A real process, as an examiner runs it: the name reaches argv as bytes. (Under a C.UTF-8 locale
    # stdout writes undecodable bytes back as they were; match's own output is its module's business.)
    def netsafe(*args: str | bytes) -> list[str]:
        result = subprocess.run(
            [sys.executable, "-m", "netsafe", *args],
            env={**os.environ, **env, "LC_ALL": "C.UTF-8", "PYTHONIOENCODING": "utf-8:surrogateescape"},
            capture_output=True,
            timeout=120,
            check=False,
        )
        assert result.returncode == 0, result.stderr.decode(errors="replace")[-2000:]
        return result.stdout.decode("utf-8", "surrogateescape").splitlines()

    [line] = netsafe("match", "--json", "--workers", "1", path)
    assert os.fsencode(json.loads(line)["path"]) == path
    netsafe("audit", "verify")
    [event] = [json.loads(line) for line in netsafe("audit", "export", "--action", "match")]
    assert [os.fsencode(q["query"]) for q in event["details"]["queries"]] == [path]


def test_canonical_json_hashes_any_surrogate_escaped_text() -> None:
    # Valid text is unchanged, so the hashes of events already in a log do not move.
    assert canonical_json({"b": "é", "a": [1, None]}) == '{"a":[1,null],"b":"é"}'
    text = canonical_json({"path": os.fsdecode(b"/x/\xff\x80.jpg"), os.fsdecode(b"k\xfe"): 1})
    text.encode("utf-8")
    assert json.loads(text) == {"path": os.fsdecode(b"/x/\xff\x80.jpg"), os.fsdecode(b"k\xfe"): 1}
