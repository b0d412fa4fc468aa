"""The doors: the check API (never echoing the query), the warning page and its help redirect, the
curators' page, the middleware in a stand-in platform app, and the CLI's --json."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from typer.testing import CliRunner

from netsafe.audit.service import Actor
from netsafe.cli import app as cli_app
from netsafe.deterrence import counting, lists
from netsafe.deterrence.middleware import DeterrenceMiddleware
from netsafe.deterrence.settings import DeterrenceSettings
from netsafe.store.db import Database, open_database
from web.helpers import Service, make_service

ACTOR = Actor("cli:curator")


@pytest.fixture
def site(tmp_path: Path) -> Service:
    service = make_service(open_database(f"sqlite:///{tmp_path / 'web.db'}"))
    service.app.state.netsafe.deterrence.refresh_seconds = 0
    service.app.state.netsafe.deterrence.tally.flush_seconds = 0
    lists.import_list(service.db, ACTOR, "iwf", "url", "files.example.org\n", "txt")
    lists.import_list(service.db, ACTOR, "terms", "keyword", "pthc\n", "txt")
    return service


def test_check_api_answers_without_echoing(site: Service) -> None:
    client = site.client()
    secret = "p.t.h.c zq7731"
    got = client.post("/api/v1/deterrence/check", json={"query": secret}, headers=site.bearer("curator"))
    assert got.status_code == 200
    body = got.json()
    assert (
        body["blocked"] is True
        and body["kind"] == "keyword"
        and body["warning_url"].startswith("/warning?e=")
    )
    assert "7731" not in got.text and "pthc" not in got.text
    url = client.post(
        "/api/v1/deterrence/check", json={"url": "http://files.example.org/x"}, headers=site.bearer("curator")
    ).json()
    assert url["kind"] == "url"
    bad = client.post(
        "/api/v1/deterrence/check", json={"url": "javascript:zq7731"}, headers=site.bearer("curator")
    )
    assert bad.status_code == 422 and "7731" not in bad.text
    both = client.post(
        "/api/v1/deterrence/check", json={"url": "a", "query": "b"}, headers=site.bearer("curator")
    )
    assert both.status_code == 422


def test_curators_change_lists_and_partners_read_published_counts(site: Service) -> None:
    client = site.client()
    curator = site.bearer("curator")
    body = {"kind": "url", "format": "txt", "text": "http://other.example/a\nftp://bad.example/\n"}
    bad = client.post("/api/v1/deterrence/lists/iwf/import", json=body, headers=curator)
    assert bad.status_code == 422 and bad.json()["error"]["message"].startswith("text:2:")
    body["text"] = "http://other.example/a\n"
    added = client.post("/api/v1/deterrence/lists/iwf/import", json=body, headers=curator).json()
    assert added["version"] == 2 and added["added"] == 1
    ids = [e["id"] for e in lists.live_entries(site.db, "url", "iwf")]
    gone = client.post("/api/v1/deterrence/lists/iwf/remove", json={"entry_ids": ids[-1:]}, headers=curator)
    assert gone.json()["version"] == 3
    versions = client.get("/api/v1/deterrence/lists/iwf/versions", headers=curator).json()
    assert [v["change"] for v in versions] == ["remove", "import", "import"]
    client.post("/api/v1/deterrence/check", json={"query": "pthc"}, headers=curator)
    published = client.get("/api/v1/deterrence/counts/published", headers=curator).json()
    assert published and all(c["checks"] is None for c in published)


def test_warning_page_in_both_languages_counts_per_variant(site: Service) -> None:
    client = site.client()
    english = client.get("/warning?e=1", headers={"Accept-Language": "en-GB"})
    assert english.status_code == 200 and "0808 1000 900" in english.text and 'lang="en"' in english.text
    assert "set-cookie" not in english.headers
    assert "<script" not in english.text and "stylesheet" not in english.text and "<img" not in english.text
    assert english.headers["content-security-policy"].startswith("default-src 'none'")
    welsh = client.get("/warning?e=1", headers={"Accept-Language": "cy, en;q=0.5"})
    assert 'lang="cy"' in welsh.text and "anghyfreithlon" in welsh.text
    assert 'lang="cy"' in client.get("/warning?lang=cy").text
    link = re.search(r'href="(/warning/help/[^"]+/chat[^"]*)"', english.text)
    assert link is not None
    hop = client.get(link.group(1).replace("&amp;", "&"), follow_redirects=False)
    assert hop.status_code == 303 and hop.headers["location"] == "https://www.stopitnow.org.uk/chat/"
    assert client.get("/warning/help/nosuch/chat", follow_redirects=False).status_code == 404
    cells = [c for c in counting.counts(site.db) if c["variant"]]
    assert sum(c["warnings"] for c in cells) == 3 and sum(c["help_clicks"] for c in cells) == 1
    assert {c["variant"] for c in cells} <= {"illegal", "traced", "harm"}


def test_variants_are_picked_at_random(site: Service) -> None:
    client = site.client()
    for _ in range(40):
        client.get("/warning")
    seen = {c["variant"] for c in counting.counts(site.db) if c["variant"]}
    assert seen == {"illegal", "traced", "harm"}  # 40 draws of 3: missing one has odds ~1e-7


def test_curator_page(site: Service) -> None:
    site.client().get("/warning?e=1")
    page = site.signed_in("curator").get("/deterrence")
    assert page.status_code == 200 and "iwf" in page.text and "<svg" in page.text
    published = site.signed_in("curator").get("/deterrence?published=true")
    assert "suppressed" in published.text


def _platform(db: Database) -> Starlette:
    async def search(request: Request) -> PlainTextResponse:
        return PlainTextResponse("results for " + request.query_params.get("q", ""))

    inner = Starlette(routes=[Route("/search", search)])
    return DeterrenceMiddleware(
        inner, db=db, settings=DeterrenceSettings(refresh_seconds=0), paths=["/search"]
    )  # type: ignore[return-value]


def test_middleware_in_a_platform_app(site: Service) -> None:
    client = TestClient(_platform(site.db))
    assert client.get("/search?q=cats").text == "results for cats"
    warned = client.get("/search?q=P.T.H.C", headers={"Accept-Language": "cy"})
    assert warned.status_code == 200 and "anghyfreithlon" in warned.text and "P.T.H.C" not in warned.text
    link = re.search(r'href="(/warning/help/[^"]+/chat[^"]*)"', warned.text)
    assert link is not None
    hop = client.get(link.group(1).replace("&amp;", "&"), follow_redirects=False)
    assert hop.status_code == 303
    assert client.get("/warning/help/traced/nosuch", follow_redirects=False).status_code == 404


def test_middleware_counts_in_memory_and_writes_them_at_shutdown(site: Service) -> None:
    platform = _platform(site.db)
    checker = platform.checker  # type: ignore[attr-defined]
    checker.tally.flush_seconds = 3600  # nothing due while it serves
    with TestClient(platform) as client:  # the lifespan: startup, then shutdown on leaving
        assert "results" in client.get("/search?q=cats").text
        assert client.get("/search?q=pthc").status_code == 200
        assert counting.counts(site.db) == []  # no store write for a search or a warning shown
    rows = counting.counts(site.db)
    assert sum(r["checks"] for r in rows) == 2 and sum(r["warnings"] for r in rows) == 1


def test_cli_json(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NETSAFE_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.delenv("NETSAFE_CONFIG", raising=False)
    (tmp_path / "urls.csv").write_text("url,date,source\nfiles.example.org,2026-01-01,iwf\n")
    (tmp_path / "terms.txt").write_text("pthc\n")
    runner = CliRunner()

    def run(*args: str) -> object:
        result = runner.invoke(cli_app, ["deterrence", *args])
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout) if "--json" in args else result.stdout

    assert run("import-urls", str(tmp_path / "urls.csv"), "--name", "iwf", "--json")["added"] == 1  # type: ignore[index]
    assert run("import-keywords", str(tmp_path / "terms.txt"), "--name", "t", "--json")["version"] == 1  # type: ignore[index]
    hit = run("check", "--query", "pthc", "--json")
    assert hit["blocked"] is True and hit["kind"] == "keyword"  # type: ignore[index]
    assert run("export", "--format", "hosts").splitlines()[1:] == ["0.0.0.0 files.example.org"]  # type: ignore[attr-defined]
    counts = run("counts", "--published", "--json")
    assert counts and all(
        set(c) == {"list", "entry_id", "variant", "day", "checks", "warnings", "help_clicks"} for c in counts
    )  # type: ignore[attr-defined, union-attr]
    assert all(c["checks"] is None for c in counts)  # type: ignore[index, union-attr]
    bad = runner.invoke(cli_app, ["deterrence", "export", "--format", "pdf"])
    assert bad.exit_code != 0 and "format: choose one of rpz, squid, hosts, txt" in bad.output
    broken = tmp_path / "broken.txt"
    broken.write_text("files.example.org\nftp://nope.example/\n")
    bad = runner.invoke(cli_app, ["deterrence", "import-urls", str(broken), "--name", "iwf"])
    assert bad.exit_code != 0 and "broken.txt:2:" in bad.output and "Traceback" not in bad.output
