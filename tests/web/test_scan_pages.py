"""The scan pages and API without a browser: the list with counts and report downloads, a scan started
from the page or the API only under the evidence roots, its progress, and the review items' thumbnails
(blurred in the served bytes, no-store, unblurring audited)."""

from __future__ import annotations

import importlib.util
import json
import re
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from netsafe.audit.models import AuditEventRow
from netsafe.review.queue import list_groups
from netsafe.review.settings import ReviewSettings
from netsafe.store.db import Database, open_database

from .helpers import Service, csrf_of, make_service


def _load(name: str) -> ModuleType:
    path = Path(__file__).resolve().parents[1] / "review" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"_review_{name}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


ev = _load("evidence_ui")


@dataclass
class Site:
    service: Service
    db: Database
    evidence: object
    scan_id: int
    base: Path


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    base = tmp_path_factory.mktemp("scanpages")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("NETSAFE_INDEX_DIR", str(base / "idx"))
        evidence = ev.build(base / "evidence")
        db = open_database(f"sqlite:///{base / 'netsafe.db'}")
        scan_id = ev.scanned(db, evidence, base / "out")
        review = ReviewSettings(evidence_roots=[base / "evidence"], scan_out_dir=base / "reports")
        service = make_service(db, review=review)
        yield Site(service, db, evidence, scan_id, base)
        service.app.state.netsafe.scans.shutdown()
        db.dispose()


def events(db: Database, action: str) -> list[AuditEventRow]:
    with db.session() as session:
        rows = list(session.scalars(select(AuditEventRow).where(AuditEventRow.action == action)))
        session.expunge_all()
    return rows


def wait_finished(
    client: TestClient, scan_id: int, headers: dict[str, str] | None = None
) -> dict[str, object]:
    deadline = time.monotonic() + 90
    while True:
        got = client.get(f"/api/v1/scans/{scan_id}/progress", headers=headers or {})
        assert got.status_code == 200, got.text
        body: dict[str, object] = got.json()
        if body["status"] not in ("running", "reporting"):
            return body
        assert time.monotonic() < deadline
        time.sleep(0.3)


def test_the_list_shows_counts_and_offers_the_reports(site: Site) -> None:
    client = site.service.signed_in("analyst")
    page = client.get("/scans")
    assert page.status_code == 200
    row = re.search(rf'<a href="/scans/{site.scan_id}">.*?</tr>', page.text, re.S)
    assert row is not None
    assert "finished" in row.group(0) and ": 1" in row.group(0)  # one known item, by its category
    assert f'href="/scans/{site.scan_id}/reports/vics.json"' in row.group(0)
    assert f'href="/scans/{site.scan_id}/review"' in row.group(0)
    got = client.get(f"/scans/{site.scan_id}/reports/report.csv")
    assert got.status_code == 200 and got.headers["content-disposition"].startswith("attachment")
    assert got.headers["cache-control"] == "no-store, private"
    written = (site.base / "out" / "report.csv").read_bytes()
    assert got.content.splitlines()[0] == written.splitlines()[0]
    assert client.get(f"/scans/{site.scan_id}/reports/netsafe.db").status_code == 422
    detail = client.get(f"/scans/{site.scan_id}")
    assert detail.status_code == 200 and 'data-status="finished"' in detail.text
    assert "hx-trigger" not in detail.text  # a finished scan is not polled
    assert "Graded in review" in detail.text
    items = re.search(r'<dd class="items">(\d+)</dd>', detail.text)
    assert items is not None and int(items.group(1)) > 0
    for shown in (page, detail):
        assert "built-in method" not in shown.text and "Undefined" not in shown.text


def test_a_scan_started_from_the_page(site: Site) -> None:
    client = site.service.signed_in("analyst")
    csrf = csrf_of(client, "/scans")
    folder = str(site.evidence.folder)  # type: ignore[attr-defined]
    outside = client.post("/scans", data={"path": str(site.base), "csrf_token": csrf})
    assert outside.status_code == 403 and "not under an evidence root" in outside.text
    assert str(site.base) not in re.search(r'role="alert">([^<]*)<', outside.text).group(1)  # type: ignore[union-attr]
    dotted = client.post("/scans", data={"path": folder + "/../evidence", "csrf_token": csrf})
    assert dotted.status_code == 422 and "is not allowed in the path" in dotted.text
    assert client.post("/scans", data={"path": folder, "csrf_token": "forged"}).status_code == 403
    started = client.post(
        "/scans",
        data={"path": folder, "examiner": "DC Smith", "hashsets": "caid-test", "csrf_token": csrf},
        follow_redirects=False,
    )
    assert started.status_code == 303, started.text
    scan_id = int(started.headers["location"].rsplit("/", 1)[1])
    body = wait_finished(client, scan_id)
    assert body["status"] == "finished" and body["examiner"] == "DC Smith"
    assert body["matched_items"] == 1
    fragment = client.get(f"/scans/{scan_id}/progress", headers={"HX-Request": "true"})
    assert 'data-status="finished"' in fragment.text and "<html" not in fragment.text
    assert fragment.headers["HX-Refresh"] == "true"  # the page reloads once, with the counts


def test_a_scan_started_through_the_api(site: Site) -> None:
    client = site.service.client()
    analyst = site.service.bearer("analyst")
    folder = str(site.evidence.folder)  # type: ignore[attr-defined]
    refused = client.post("/api/v1/scans", json={"path": "/etc"}, headers=analyst)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "forbidden"
    got = client.post("/api/v1/scans", json={"path": folder}, headers=analyst)
    assert got.status_code == 202, got.text
    scan = got.json()["scan"]
    assert scan["status"] in ("running", "finished") and scan["examiner"] == "token:tok-analyst@analyst"
    done = wait_finished(client, scan["id"], analyst)
    assert done["status"] == "finished"
    assert (
        client.get(f"/api/v1/scans/{scan['id']}/progress", headers=site.service.bearer("auditor")).status_code
        == 403
    )


def test_thumbnails_are_blurred_not_stored_and_unblurring_is_audited(site: Site) -> None:
    page = list_groups(site.db, ev.ACTOR, site.scan_id, ReviewSettings(), limit=100)
    items = {i.sha256: i.item for g in page.groups for i in g.items}
    item = items[ev.sha256(site.evidence.loose)]  # type: ignore[attr-defined]
    client = site.service.signed_in("analyst")
    shown = client.get(f"/api/v1/review/items/{item}/thumbnail")
    assert shown.status_code == 200 and shown.headers["content-type"] == "image/jpeg"
    assert "no-store" in shown.headers["cache-control"]
    before = len(events(site.db, "review.unblur"))
    # Unblurring with a session must come from our own page: not a link from elsewhere, not typed in.
    for site_header in ({}, {"Sec-Fetch-Site": "cross-site"}, {"Sec-Fetch-Site": "none"}):
        refused = client.get(f"/api/v1/review/items/{item}/thumbnail?blur=0", headers=site_header)
        assert refused.status_code == 403 and refused.json()["error"]["code"] == "forbidden"
    assert len(events(site.db, "review.unblur")) == before
    own = {"Sec-Fetch-Site": "same-origin"}
    sharp = client.get(f"/api/v1/review/items/{item}/thumbnail?blur=0", headers=own)
    assert ev.high_frequency(shown.content) < 0.1 * ev.high_frequency(sharp.content)
    unblurs = events(site.db, "review.unblur")
    assert len(unblurs) == before + 1 and unblurs[-1].actor == "user:analyst"
    assert json.loads(unblurs[-1].details)["item"] == item
    assert client.get(f"/api/v1/review/items/{item}/thumbnail?blur=101").status_code == 422
    # An API token is no browser: it unblurs (audited) without the header.
    token = site.service.bearer("analyst")
    assert (
        site.service.client().get(f"/api/v1/review/items/{item}/thumbnail?blur=0", headers=token).status_code
        == 200
    )
    assert client.get("/api/v1/review/items/999999/thumbnail").status_code == 404
    curator = site.service.signed_in("curator")
    assert curator.get(f"/api/v1/review/items/{item}/thumbnail").status_code == 403


def test_the_review_page_lists_groups_blurred_with_keys_and_settings(site: Site) -> None:
    client = site.service.signed_in("analyst")
    page = client.get(f"/scans/{site.scan_id}/review")
    assert page.status_code == 200, page.text
    cards = re.findall(r'<li class="card" id="g-(\d+)"', page.text)
    thumbs = re.findall(r'<img src="([^"]+)"', page.text)
    assert len(cards) == 4  # loose, nested, on the disk image, the video; never the known photo
    assert thumbs and all("blur=60" in t and "colour=false" in t for t in thumbs)
    assert "<video" not in page.text and "autoplay" not in page.text
    for key, label in (("A", "Category A"), ("B", "Category B"), ("C", "Category C"), ("N", "Non-pertinent")):
        assert f'<kbd>{key}</kbd></dt><dd data-key="{key.lower()}" data-code=' in page.text, label
    csrf = csrf_of(client, f"/scans/{site.scan_id}/review")
    saved = client.post(
        "/review/settings",
        data={
            "blur": 0,
            "size": 240,
            "colour": "1",
            "csrf_token": csrf,
            "next": f"/scans/{site.scan_id}/review",
        },
        follow_redirects=False,
    )
    assert saved.status_code == 303 and saved.headers["location"] == f"/scans/{site.scan_id}/review"
    again = client.get(f"/scans/{site.scan_id}/review")
    # A setting of no blur still opens the grid blurred: seeing an item sharp is an unblur, one at a time.
    assert all(
        "blur=1&" in t and "colour=true" in t and "size=240" in t
        for t in re.findall(r'<img src="([^"]+)"', again.text)
    )
    offsite = client.post(
        "/review/settings",
        data={"blur": 50, "size": 160, "csrf_token": csrf, "next": "//evil.example/"},
        follow_redirects=False,
    )
    assert offsite.headers["location"] == "/scans"
    admin = site.service.signed_in("admin").get(f"/scans/{site.scan_id}/review")
    assert "All reviewers (totals)" in admin.text and "All reviewers" not in again.text


def test_the_review_grid_pages(site: Site) -> None:
    client = site.service.signed_in("analyst")
    first = client.get(f"/scans/{site.scan_id}/review?state=&per=3")
    assert len(re.findall(r'<li class="card"', first.text)) == 3
    assert 'id="next-page"' in first.text and 'id="previous-page"' not in first.text
    second = client.get(f"/scans/{site.scan_id}/review?offset=3&per=3&state=")
    assert len(re.findall(r'<li class="card"', second.text)) == 1
    assert 'id="previous-page"' in second.text and 'id="next-page"' not in second.text
    assert '<ol id="grid" class="grid" data-thumb="' in second.text and 'start="4"' in second.text
    assert client.get(f"/scans/{site.scan_id}/review?per=1001").status_code == 422
