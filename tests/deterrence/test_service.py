"""The lists and the check as a service: versions, audit, counts, privacy, exports, the hotline's URLs."""

from __future__ import annotations

from datetime import date

import dns.zone
import pytest
from sqlalchemy import text

from netsafe.audit.service import Actor
from netsafe.deterrence import checking, counting, exports, lists
from netsafe.errors import InvalidInput
from netsafe.hotline import intake
from netsafe.hotline.assessment import Verdict, assess
from netsafe.hotline.intake import NewReport, submit
from netsafe.hotline.states import Outcome
from netsafe.store.db import Database

ACTOR = Actor("cli:curator")
DAY = date(2026, 12, 4)
URLS = "files.example.org\nhttp://example.org/a/*\nhttps://example.net/page?id=7\n# a comment\n"
WORDS = "term,source,date,match\npthc,iwf,2026-01-01,\nforbidden fruit,own,,\nbadword,own,,inside\n"


def _events(db: Database) -> list[tuple[str, str, str]]:
    with db.session() as s:
        return [
            tuple(r) for r in s.execute(text("select action, target, outcome from audit_events order by seq"))
        ]  # type: ignore[misc]


def _loaded(db: Database) -> checking.Checker:
    lists.import_list(db, ACTOR, "iwf", "url", URLS, "txt", where="urls.txt")
    lists.import_list(db, ACTOR, "terms", "keyword", WORDS, "csv", where="terms.csv")
    return checking.Checker(db, refresh_seconds=0)


def test_import_versions_and_audit(db: Database) -> None:
    first = lists.import_list(db, ACTOR, "iwf", "url", URLS, "txt")
    assert first == {"list": "iwf", "kind": "url", "version": 1, "added": 3, "unchanged": 0}
    again = lists.import_list(db, ACTOR, "iwf", "url", URLS + "other.example\n", "txt")
    assert again["version"] == 2 and again["added"] == 1 and again["unchanged"] == 3
    assert [v["version"] for v in lists.list_versions(db, "iwf")] == [2, 1]
    assert _events(db) == [("deterrence.import.url", "deterrence:iwf", "ok")] * 2
    ids = [e["id"] for e in lists.live_entries(db, "url", "iwf")]
    removed = lists.remove_entries(db, ACTOR, "iwf", ids[:1])
    assert removed == {"list": "iwf", "version": 3, "removed": 1}
    assert len(lists.live_entries(db, "url", "iwf")) == 3
    assert lists.list_lists(db)[0]["entries"] == 3


def test_a_bad_line_refuses_the_file_and_is_audited(db: Database) -> None:
    with pytest.raises(InvalidInput) as caught:
        lists.import_list(db, ACTOR, "iwf", "url", "files.example.org\nftp://x.example/\n", "txt", "urls.txt")
    assert str(caught.value).startswith("urls.txt:2: only http")
    assert lists.list_lists(db) == []
    assert _events(db) == [("deterrence.import.url", "deterrence:iwf", "failed")]


def test_check_answers_and_counts(db: Database) -> None:
    checker = _loaded(db)
    urls = {e["value"]: e["id"] for e in lists.live_entries(db, "url")}
    hit = checking.check(db, checker, url="https://files.example.org/x.jpg", today=DAY)
    assert hit == {
        "blocked": True,
        "kind": "url",
        "entry_id": urls["files.example.org"],
        "warning_url": f"/warning?e={urls['files.example.org']}",
    }
    assert checking.check(db, checker, url="http://example.org/b", today=DAY)["blocked"] is False
    word = checking.check(db, checker, query="new p.t.h.c video", today=DAY)
    assert word["kind"] == "keyword" and word["blocked"]
    assert checking.check(db, checker, query="pthcx", today=DAY)["blocked"] is False
    checking.count_shown(db, checker, word["entry_id"], "traced", today=DAY)
    checking.count_help(db, checker, word["entry_id"], "traced", today=DAY)
    checking.count_shown(db, checker, 99999, "harm", today=DAY)  # made-up id: counted as no entry
    cells = counting.counts(db)
    by_key = {(c["entry_id"], c["variant"]): c for c in cells}
    assert by_key[(word["entry_id"], None)]["checks"] == 1
    assert by_key[(word["entry_id"], "traced")]["warnings"] == 1
    assert by_key[(word["entry_id"], "traced")]["help_clicks"] == 1
    assert by_key[(None, None)]["checks"] == 2  # the two misses
    assert by_key[(None, "harm")]["warnings"] == 1
    assert 99999 not in {c["entry_id"] for c in cells}
    # Published: every cell under 10 is suppressed.
    assert all(c["checks"] is None and c["warnings"] is None for c in counting.counts(db, published=True))
    for _ in range(10):
        checking.check(db, checker, query="pthc", today=DAY)
    published = {(c["entry_id"], c["variant"]): c for c in counting.counts(db, published=True, min_count=10)}
    assert published[(word["entry_id"], None)]["checks"] == 11
    # Checks are counted, never audited.
    assert all(e[0].startswith("deterrence.import") for e in _events(db))


def test_the_store_keeps_nothing_of_who_checked_or_what(db: Database) -> None:
    checker = _loaded(db)
    secrets = ["http://files.example.org/secret-path-7731", "zqx secret search 7731 pthc"]
    checking.check(db, checker, url=secrets[0], today=DAY)
    checking.check(db, checker, query=secrets[1], today=DAY)
    checking.check(db, checker, url="http://nothing.example/secret-path-7731", today=DAY)
    dump = []
    with db.session() as s:
        names = [
            r[0]
            for r in s.execute(
                text(
                    "select name from sqlite_master where type='table'"
                    if db.backend == "sqlite"
                    else "select tablename from pg_tables where schemaname = current_schema()"
                )
            )
        ]
        for name in names:
            dump += [repr(tuple(row)) for row in s.execute(text(f'select * from "{name}"'))]
    blob = "\n".join(dump)
    assert "7731" not in blob and "secret" not in blob and "zqx" not in blob


def test_check_refuses_what_is_not_a_check(db: Database) -> None:
    checker = checking.Checker(db, refresh_seconds=0)
    with pytest.raises(InvalidInput):
        checking.check(db, checker)
    with pytest.raises(InvalidInput):
        checking.check(db, checker, url="x", query="y")
    with pytest.raises(InvalidInput) as caught:
        checking.check(db, checker, url="javascript:alert(1)")
    assert "javascript:alert" not in str(caught.value)


def test_hotline_live_urls_are_the_first_source(db: Database) -> None:
    ref = submit(db, intake.PUBLIC, [NewReport("http://Files.Example.org:80/a/b.jpg")], "public")[0].reference
    assess(db, ACTOR, "alice", ref, Verdict(Outcome.CRIMINAL, category="B", age_band="11-13"))
    synced = lists.sync_hotline(db, ACTOR)
    assert synced["added"] == 1 and synced["version"] == 1
    assert lists.sync_hotline(db, ACTOR)["added"] == 0  # nothing new: no new version
    checker = checking.Checker(db, refresh_seconds=0)
    assert checking.check(db, checker, url="https://files.example.org/a/b.jpg")["blocked"]


def test_exports(db: Database) -> None:
    _loaded(db)
    entries = lists.live_entries(db, "url")
    rpz = exports.render(entries, "rpz", rpz_target="warning.isp.example")
    zone = dns.zone.from_text(rpz, check_origin=True)
    names = sorted(str(n) for n in zone.nodes)
    assert names == ["@", "files.example.org"]  # that host only, as the matcher reads it
    rdata = zone.find_rdataset("files.example.org", "CNAME")
    assert [str(r.target) for r in rdata] == ["warning.isp.example."]
    hosts = exports.render(entries, "hosts").splitlines()
    assert hosts[0].startswith("# netsafe deterrence URL list: iwf v1") and hosts[1:] == [
        "0.0.0.0 files.example.org"
    ]
    squid = exports.render(entries, "squid").splitlines()[1:]
    assert squid == [
        r"^https?://files\.example\.org(:[0-9]+)?/",
        r"^https?://example\.org/a/",
        r"^https?://example\.net/page\?id=7$",
    ]
    import re

    assert re.search(squid[2], "https://example.net/page?id=7") and not re.search(
        squid[2], "http://example.net/page?id=77"
    )
    txt = exports.render(entries, "txt").splitlines()[1:]
    assert txt == ["files.example.org", "http://example.org/a/*", "https://example.net/page?id=7"]


def test_counts_wait_in_memory_until_flushed(db: Database) -> None:
    _loaded(db)
    checker = checking.Checker(db, refresh_seconds=0, flush_seconds=3600)
    checking.check(db, checker, query="pthc", today=DAY)
    checking.check(db, checker, query="pthc", today=DAY)
    assert counting.counts(db) == []
    checker.flush()
    assert [c["checks"] for c in counting.counts(db)] == [2]
    checker.flush()  # nothing new: nothing written twice
    assert [c["checks"] for c in counting.counts(db)] == [2]


def test_a_flush_writes_many_cells_in_one_statement(db: Database) -> None:
    from sqlalchemy import event

    tally = counting.Tally(3600)
    for entry_id in range(1, 301):
        tally.add(entry_id, "", DAY, "checks")
        tally.add(entry_id, "harm", DAY, "warnings")
    tally.add(7, "harm", DAY, "help_clicks")
    tally.flush(db)  # every cell new
    for entry_id in range(1, 301):
        tally.add(entry_id, "", DAY, "checks")
    statements: list[str] = []
    listen = lambda *args: statements.append(args[2])  # noqa: E731 - (conn, cursor, statement, ...)
    event.listen(db.engine, "before_cursor_execute", listen)
    try:
        tally.flush(db)  # every cell there already
    finally:
        event.remove(db.engine, "before_cursor_execute", listen)
    writes = [s for s in statements if s.lstrip().upper().startswith(("INSERT", "UPDATE"))]
    assert len(writes) <= 3  # not one or two a cell: 300 cells took seconds of CPU
    rows = {(r["entry_id"], r["variant"]): r for r in counting.counts(db)}
    assert len(rows) == 600
    assert rows[(7, None)]["checks"] == 2 and rows[(7, "harm")] | {"list": None} == {
        "list": None,
        "entry_id": 7,
        "variant": "harm",
        "day": DAY.isoformat(),
        "checks": 0,
        "warnings": 1,
        "help_clicks": 1,
    }
