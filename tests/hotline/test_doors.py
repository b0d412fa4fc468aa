"""The hotline through each door: the command line, the API and the pages give the same answers."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from netsafe.audit.service import Actor, AuditFilter, search
from netsafe.cli import app as cli_app
from netsafe.hotline import views
from netsafe.hotline.settings import HotlineSettings
from netsafe.services import hashsets as hs
from netsafe.store.db import Database
from web.helpers import Service, make_service

from .helpers import jpeg_bytes, put_items
from .site import gallery, serve


class Cli:
    def __init__(self, db: Database, tmp: Path) -> None:
        url = db.url.render_as_string(hide_password=False)
        self.env = {
            "NETSAFE_DATABASE_URL": url,
            "NETSAFE_INDEX_DIR": str(tmp / "indexes"),
            "NETSAFE_CONFIG": "",
        }
        self.runner = CliRunner()

    def __call__(self, *args: str) -> Result:
        return self.runner.invoke(cli_app, list(args), env=self.env)


def one_line_error(result: Result, code: int) -> str:
    assert result.exit_code == code, result.output
    lines = [ln for ln in result.stderr.splitlines() if ": error: " in ln]
    assert len(lines) == 1 and "Traceback" not in result.output, result.output
    return lines[0]


@pytest.fixture
def service(sdb: Database) -> Service:
    return make_service(sdb)


def test_cli_report_list_show_assess(sdb: Database, tmp_path: Path) -> None:
    cli = Cli(sdb, tmp_path)
    got = cli("hotline", "report", "http://Example.com/a#top", "--description", "seen", "--json")
    assert got.exit_code == 0, got.output
    first = json.loads(got.stdout)
    assert set(first) == {"reference", "status", "duplicate_of"} and first["status"] == "received"
    listed = json.loads(cli("hotline", "list", "--status", "received", "--json").stdout)
    assert [r["reference"] for r in listed] == [first["reference"]]
    shown = json.loads(cli("hotline", "show", first["reference"], "--json").stdout)
    assert shown["normalised_url"] == "http://example.com/a" and shown["url"] == "http://Example.com/a#top"
    out = cli(
        "hotline",
        "assess",
        first["reference"],
        "--user",
        "alice",
        "--criminal",
        "--category",
        "B",
        "--age-band",
        "7-10",
        "--sex",
        "girls",
        "--self-generated",
        "--json",
    )
    assert out.exit_code == 0, out.output
    assert json.loads(out.stdout)["status"] == "assessed"
    again = json.loads(cli("hotline", "report", "http://example.com/a", "--json").stdout)
    assert again["duplicate_of"] == first["reference"] and again["status"] == "closed"


@pytest.mark.parametrize(
    ("args", "code", "needle"),
    [
        (("hotline", "report", "ftp://x"), 2, "url: "),
        (("hotline", "report", "http://x.example/", "--email", "nope"), 2, "email: "),
        (("hotline", "show", "HL-20260101-AAAAAA"), 2, "no report"),
        (("hotline", "list", "--status", "bogus"), 2, "status: "),
        (("hotline", "assess", "HL-1", "--user", "a"), 2, "exactly one of"),
        (("hotline", "assess", "HL-1", "--user", "a", "--criminal", "--category", "Q"), 2, "category: "),
    ],
)
def test_cli_errors_are_one_line(
    sdb: Database, tmp_path: Path, args: tuple[str, ...], code: int, needle: str
) -> None:
    assert needle in one_line_error(Cli(sdb, tmp_path)(*args), code)


def test_api_one_and_batch(service: Service) -> None:
    client = service.client()
    one = client.post(
        "/api/v1/reports", json={"url": "http://a.example/x"}, headers=service.bearer("analyst")
    )
    assert one.status_code == 201, one.text
    ref = one.json()["reference"]
    batch = client.post(
        "/api/v1/reports",
        json={"reports": [{"url": "http://b.example/"}, {"url": "http://a.example/x#dup"}]},
        headers=service.bearer("analyst"),
    )
    assert batch.status_code == 201
    assert [r["linked_to"] for r in batch.json()["reports"]] == [None, ref]
    bad = client.post(
        "/api/v1/reports",
        json={"reports": [{"url": "http://c.example/"}, {"url": "gopher://x"}]},
        headers=service.bearer("analyst"),
    )
    assert bad.status_code == 422 and bad.json()["error"]["message"].startswith("reports[1].url: ")
    assert len(views.list_reports(service.db)) == 3  # nothing of the refused batch
    listed = client.get("/api/v1/reports", headers=service.bearer("analyst")).json()
    assert listed[0]["source"] == "partner:tok-analyst"
    shown = client.get(f"/api/v1/reports/{ref}", headers=service.bearer("analyst")).json()
    assert shown["reference"] == ref
    verdict = {"outcome": "criminal", "category": "C", "age_band": "14-15"}
    assessed = client.post(
        f"/api/v1/reports/{ref}/assessment", json=verdict, headers=service.bearer("analyst")
    )
    assert assessed.status_code == 200 and assessed.json()["status"] == "assessed"
    again = client.post(f"/api/v1/reports/{ref}/assessment", json=verdict, headers=service.bearer("analyst"))
    assert again.status_code == 409


def test_public_form_stores_no_address(service: Service) -> None:
    client = service.client()
    form = client.get("/report")
    assert (
        form.status_code == 200 and 'name="url"' in form.text and "<script" not in form.text.split("<main")[1]
    )
    got = client.post(
        "/report",
        data={"url": "http://a.example/pics", "description": "pictures", "email": ""},
        headers={"User-Agent": "Mozilla/5.0 (reporter)"},
    )
    assert got.status_code == 201
    ref = re.search(r'id="reference">([^<]+)<', got.text)
    assert ref is not None
    shown = views.show(service.db, ref.group(1))
    assert shown["source"] == "public"
    with service.db.session() as session:
        events = search(session, AuditFilter(action="hotline.report"))
    assert events[0].actor == "public" and events[0].ip is None
    dump = json.dumps(shown) + " ".join(str(e.details) for e in events)
    assert "testclient" not in dump and "Mozilla" not in dump  # neither the address nor the user agent
    bad = client.post("/report", data={"url": "javascript:alert(1)"})
    assert bad.status_code == 422 and "url: " in bad.text and "Traceback" not in bad.text


def test_public_form_rate_limit_in_memory(sdb: Database) -> None:
    from netsafe.hotline.settings import HotlineSettings

    service = make_service(sdb, hotline=HotlineSettings(report_rate_per_minute=2))
    client = service.client()
    codes = [client.post("/report", data={"url": f"http://a.example/{i}"}).status_code for i in range(3)]
    assert codes == [201, 201, 429]
    assert len(views.list_reports(sdb)) == 2


def test_queue_and_assessment_pages(service: Service) -> None:
    client = service.client()
    refs = [
        client.post(
            "/api/v1/reports", json={"url": f"http://a.example/{i}"}, headers=service.bearer("analyst")
        ).json()["reference"]
        for i in range(3)
    ]
    ids = put_items(service.db, refs[0], [b"one", b"two"], known={1: "A"})
    page = service.signed_in("analyst").get("/hotline")
    assert page.status_code == 200
    assert page.text.index(refs[0]) < page.text.index(refs[1]) < page.text.index(refs[2])  # oldest first
    assert "Known: category A" in page.text
    detail = service.signed_in("analyst").get(f"/hotline/reports/{refs[0]}")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', detail.text)
    assert csrf is not None
    form = {"csrf_token": csrf.group(1), "outcome": "criminal", f"item-{ids[0]}-category": "C"}
    refused = service.signed_in("analyst").post(f"/hotline/reports/{refs[0]}/assess", data=form)
    assert refused.status_code == 422 and "age_band" in refused.text
    form[f"item-{ids[0]}-age_band"] = "11-13"
    done = service.signed_in("analyst").post(
        f"/hotline/reports/{refs[0]}/assess", data=form, follow_redirects=False
    )
    assert done.status_code == 303
    shown = views.show(service.db, refs[0])
    assert shown["category"] == "A" and shown["assessments"][0]["analyst"] == "analyst"


def test_picture_routes(sdb: Database, tmp_path: Path) -> None:
    hotline = HotlineSettings(
        fetch_allow_networks=["127.0.0.0/8"], capture_dir=tmp_path / "c", key_file=tmp_path / "k"
    )
    service = make_service(sdb, hotline=hotline)
    known, fresh = jpeg_bytes(5), jpeg_bytes(6)
    hs.create_set(sdb, Actor("test"), "known")
    hs.add_entries(
        sdb, Actor("test"), "known", [hs.NewEntry({"sha256": hashlib.sha256(known).hexdigest()}, "B")]
    )
    with serve() as site:
        site.put("/g", gallery(["k.jpg", "f.jpg"]))
        site.put("/k.jpg", known, "image/jpeg")
        site.put("/f.jpg", fresh, "image/jpeg")
        got = service.client().post(
            "/api/v1/reports", json={"url": site.url("/g")}, headers=service.bearer("analyst")
        )
        ref = got.json()["reference"]
        captured = service.client().post(f"/api/v1/reports/{ref}/capture", headers=service.bearer("analyst"))
    assert captured.status_code == 200 and len(captured.json()["items"]) == 2
    items = views.show(sdb, ref)["items"]
    known_id = next(i["id"] for i in items if i["known_category"])
    fresh_id = next(i["id"] for i in items if not i["known_category"])
    client = service.signed_in("analyst")
    assert client.get(f"/hotline/items/{known_id}/thumb").status_code == 403
    assert client.get(f"/hotline/items/{known_id}/clear").status_code == 403
    thumb = client.get(f"/hotline/items/{fresh_id}/thumb")
    assert thumb.status_code == 200 and thumb.headers["content-type"] == "image/jpeg"
    assert "no-store" in thumb.headers["cache-control"]
    with sdb.session() as session:
        assert search(session, AuditFilter(action="hotline.item.view")) == []
    fragment = client.get(f"/hotline/items/{fresh_id}/reveal")
    assert f"/hotline/items/{fresh_id}/clear" in fragment.text
    assert client.get(f"/hotline/items/{fresh_id}/clear").status_code == 200
    with sdb.session() as session:
        events = search(session, AuditFilter(action="hotline.item.view"))
    assert len(events) == 1 and events[0].actor == "user:analyst"


def test_cli_capture_refused_exits_1(sdb: Database, tmp_path: Path) -> None:
    cli = Cli(sdb, tmp_path)
    ref = json.loads(cli("hotline", "report", "http://127.0.0.1:9/x", "--json").stdout)["reference"]
    got = cli("hotline", "capture", ref, "--json")
    assert got.exit_code == 1, got.output
    assert json.loads(got.stdout)["error"] and "Traceback" not in got.output


def test_cli_grades_items_and_votes(sdb: Database, tmp_path: Path) -> None:
    cli = Cli(sdb, tmp_path)
    hs.create_set(sdb, Actor("test"), "confirmed")
    ref = json.loads(cli("hotline", "report", "http://a.example/g", "--json").stdout)["reference"]
    ids = put_items(sdb, ref, [b"x", b"y"])
    bad = cli("hotline", "assess", ref, "--user", "alice", "--criminal", "--item", "nonsense")
    assert "--item 1: " in one_line_error(bad, 2)
    out = cli(
        "hotline",
        "assess",
        ref,
        "--user",
        "alice",
        "--criminal",
        "--item",
        f"{ids[0]}:B:7-10:confirmed",
        "--item",
        f"{ids[1]}:C:11-13",
        "--json",
    )
    assert out.exit_code == 0, out.output
    got = json.loads(out.stdout)
    assert got["category"] == "B" and got["age_band"] == "7-10"
    assert got["votes"] == [{"item": ids[0], "hashset": "confirmed", "category": "B"}]
