"""The second way through the doors: the public upload (raw body, sniffed, no cookie, nothing in plaintext
on disk), the analysts' pages, the assessment by API or command line settling the request alike, and
`netsafe remove list` showing the upload and its assessment as the API does."""

from __future__ import annotations

import json
import re
import tempfile
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from netsafe.cli import app as cli_app
from netsafe.store.db import Database
from web.helpers import Service, jpeg_bytes, make_service

UPLOAD = "/api/v1/remove-requests/upload"
API = "/api/v1/remove-requests"


@pytest.fixture
def svc(sqlite_db: Database, tmp_path: Path) -> Service:
    vault = {"capture_dir": str(tmp_path / "captures"), "key_file": str(tmp_path / "vault.key")}
    return make_service(sqlite_db, hotline=vault)


def _sent(svc: Service, data: bytes, under18: bool = True) -> dict[str, str]:
    got = svc.client().post(
        f"{UPLOAD}?age_under_18={'true' if under18 else 'false'}",
        content=data,
        headers={"Content-Type": "application/octet-stream"},
    )
    assert got.status_code == 201, got.text
    assert "set-cookie" not in got.headers
    return dict(got.json())


def _listed(svc: Service) -> dict[str, dict[str, object]]:
    rows = svc.client().get(API, headers=svc.bearer("analyst")).json()
    return {r["reference"]: r for r in rows}


def test_an_upload_leaves_no_plaintext_in_the_temporary_files_or_the_store(
    svc: Service, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    photo = jpeg_bytes(21, (3000, 2200))  # over the 1 MB at which a multipart form spools to disk
    assert len(photo) > 1024 * 1024
    out = _sent(svc, photo)
    assert re.fullmatch(r"RM-[A-Z2-9]{8}", out["reference"]) and set(out) == {"reference", "secret", "status"}
    probes = [photo[n : n + 48] for n in range(500, len(photo) - 48, len(photo) // 16)]
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert any(p.parent.parent.name == "captures" for p in files)  # sealed in the vault
    for path in files:
        data = path.read_bytes()
        assert not any(probe in data for probe in probes), path.name
    row = _listed(svc)[out["reference"]]
    assert row["upload"] is True and row["assessment"] == "waiting" and row["picture"] == "sealed"


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        (b"", 422, "file: the file is empty"),
        (b"just some words, not a photo", 422, "file: not a photo or video"),
        (b"\xff\xd8\xff" + b"x" * 5000, 413, "file over the limit of 4096 bytes"),
        (b"\xff\xd8\xff" + b"x" * 80_000, 413, "request body over the limit"),
    ],
)
def test_bad_uploads_get_one_line_errors_and_store_nothing(
    sqlite_db: Database, tmp_path: Path, body: bytes, status: int, message: str
) -> None:
    svc = make_service(
        sqlite_db,
        max_upload_bytes=4096,
        hotline={"capture_dir": str(tmp_path / "c"), "key_file": str(tmp_path / "k")},
    )
    got = svc.client().post(UPLOAD, content=body)
    assert got.status_code == status, got.text
    text = got.json()["error"]["message"]
    assert message in text and "\n" not in text
    assert _listed(svc) == {}
    assert not (tmp_path / "c").exists() or not any(p.is_file() for p in (tmp_path / "c").rglob("*"))


def test_uploads_can_be_switched_off(sqlite_db: Database, tmp_path: Path) -> None:
    svc = make_service(sqlite_db, remove={"uploads": False})
    got = svc.client().post(UPLOAD, content=jpeg_bytes(1))
    assert got.status_code == 403 and "send the fingerprints instead" in got.json()["error"]["message"]
    assert "remove-upload" not in svc.client().get("/remove").text


def test_the_page_offers_the_upload_as_a_plain_opt_in(svc: Service) -> None:
    page = svc.client().get("/remove")
    assert page.status_code == 200 and "set-cookie" not in page.headers
    assert '<input id="remove-upload" type="checkbox">' in page.text  # not ticked: hashes stay the default
    assert "A trained analyst will see it." in page.text
    assert "deleted as soon as the analyst has" in page.text


def test_assessment_by_api_and_by_command_line_settle_alike(
    svc: Service, sqlite_db: Database, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    by_api, by_cli = _sent(svc, jpeg_bytes(22)), _sent(svc, jpeg_bytes(23))
    rows = _listed(svc)
    report_api, report_cli = (
        str(rows[by_api["reference"]]["hotline_report"]),
        str(rows[by_cli["reference"]]["hotline_report"]),
    )
    got = svc.client().post(
        f"/api/v1/reports/{report_api}/assessment",
        json={"outcome": "criminal", "category": "C", "age_band": "14-15"},
        headers=svc.bearer("analyst"),
    )
    assert got.status_code == 200, got.text
    monkeypatch.setenv("NETSAFE_DATABASE_URL", str(sqlite_db.engine.url))
    config = tmp_path / "netsafe.toml"
    config.write_text(
        f'[hotline]\ncapture_dir = "{tmp_path / "captures"}"\nkey_file = "{tmp_path / "vault.key"}"\n'
    )
    monkeypatch.setenv("NETSAFE_CONFIG", str(config))
    runner = CliRunner()
    done = runner.invoke(
        cli_app,
        ["hotline", "assess", report_cli, "--user", "analyst", "--criminal", "--category", "C", "--age-band",
         "14-15", "--json"],
    )  # fmt: skip
    assert done.exit_code == 0, done.output
    assert {k: v for k, v in json.loads(done.stdout).items() if k != "reference"} == {
        k: v for k, v in got.json().items() if k != "reference"
    }
    after = _listed(svc)
    for ref in (by_api["reference"], by_cli["reference"]):
        assert after[ref]["status"] == "verified" and after[ref]["assessment"] == "confirmed"
        assert after[ref]["picture"] == "deleted" and after[ref]["verified_by"] == "analyst"
    assert not any(p.is_file() for p in (tmp_path / "captures").rglob("*"))
    # The command line lists what the API lists, with the upload and its assessment.
    listed = runner.invoke(cli_app, ["remove", "list", "--json"])
    assert listed.exit_code == 0, listed.output
    keys = ("reference", "status", "items", "created", "upload", "assessment")
    api_rows = svc.client().get(API, headers=svc.bearer("analyst")).json()
    assert json.loads(listed.stdout) == [{k: r[k] for k in keys} for r in api_rows]
    text = runner.invoke(cli_app, ["remove", "list"])
    assert f"upload {report_api} confirmed" in text.stdout


def test_the_status_page_and_the_analysts_pages_show_the_upload(svc: Service) -> None:
    out = _sent(svc, jpeg_bytes(24))
    client = svc.client()
    status = client.post("/remove/status", data={"reference": out["reference"], "secret": out["secret"]})
    assert "waiting for an analyst to check it" in status.text and "set-cookie" not in status.headers
    report = str(_listed(svc)[out["reference"]]["hotline_report"])
    analyst = svc.signed_in("analyst")
    listing = analyst.get("/hotline/remove")
    assert f'<a href="/hotline/reports/{report}">{report}</a> waiting, picture sealed' in listing.text
    page = analyst.get(f"/hotline/reports/{report}")
    assert page.status_code == 200 and 'id="self-referred"' in page.text
    queue = analyst.get("/hotline")
    assert report in queue.text and "self-referred" in queue.text
    item = re.search(r"/hotline/items/(\d+)/thumb", page.text)
    assert item is not None
    thumb = analyst.get(f"/hotline/items/{item.group(1)}/thumb")
    assert thumb.status_code == 200 and thumb.headers["content-type"] == "image/jpeg"
    # The holder withdraws: the picture goes, and the report leaves the queue.
    gone = client.post(
        "/remove/status", data={"reference": out["reference"], "secret": out["secret"], "action": "withdraw"}
    )
    assert "took the fingerprints back" in gone.text and "Your picture has been deleted." in gone.text
    assert report not in analyst.get("/hotline").text


def _matched(svc: Service, photo: bytes) -> set[str]:
    got = svc.client().post(
        "/api/v1/match", files={"file": ("p.jpg", photo, "image/jpeg")}, headers=svc.bearer("analyst")
    )
    assert got.status_code == 200, got.text
    return {m["hashset"] for m in got.json()["matches"]}


def _eventually_matched(svc: Service, photo: bytes) -> set[str]:
    for _ in range(50):  # the matcher follows the set's new version in the background (0.2 s here)
        found = _matched(svc, photo)
        if "self-reported" in found:
            return found
        time.sleep(0.1)
    return found


@pytest.mark.parametrize("share_unverified", [True, False], ids=["at-once", "after-assessment"])
def test_platforms_match_an_upload_by_the_policy(
    sqlite_db: Database, tmp_path: Path, share_unverified: bool
) -> None:
    svc = make_service(
        sqlite_db,
        remove={"share_unverified": share_unverified},
        hotline={"capture_dir": str(tmp_path / "c"), "key_file": str(tmp_path / "k")},
    )
    photo = jpeg_bytes(25)
    out = _sent(svc, photo)
    if share_unverified:
        assert "self-reported" in _eventually_matched(svc, photo)
    else:
        time.sleep(0.5)  # time enough for the matcher to have seen a new version, had there been one
        assert "self-reported" not in _matched(svc, photo)
    report = _listed(svc)[out["reference"]]["hotline_report"]
    got = svc.client().post(
        f"/api/v1/reports/{report}/assessment",
        json={"outcome": "criminal", "category": "B", "age_band": "16-17"},
        headers=svc.bearer("analyst"),
    )
    assert got.status_code == 200, got.text
    assert "self-reported" in _eventually_matched(svc, photo)
