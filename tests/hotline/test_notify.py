"""Notices: grouped per recipient (one email with every URL), routed by country, re-traced before each,
held for authorisation when configured, a failed send recorded and retried; monitor lease and urllist."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest

from netsafe.audit.service import Actor
from netsafe.errors import Conflict, NotFound
from netsafe.hotline import intake, monitor, notify, stats, tracing, urllist, views
from netsafe.hotline.assessment import Verdict, assess
from netsafe.hotline.intake import NewReport, submit
from netsafe.hotline.notices import SendResult
from netsafe.hotline.settings import HotlineSettings
from netsafe.hotline.states import Outcome
from netsafe.store.db import Database

from .helpers import T0

ACTOR = Actor("cli:test")
RULES = """network,country,asn,organisation,abuse_contact
127.0.0.0/24,GB,64500,Home Hosting,abuse@home.test
127.0.1.0/24,NL,64501,Dutch Hosting,
127.0.2.0/24,FR,64502,French Hosting,
"""
PARTNERS = "country,name,email\nNL,Meldpunt,reports@meldpunt.test\n"


class Outbox:
    def __init__(self, fail: bool = False) -> None:
        self.sent: list[EmailMessage] = []
        self.fail = fail

    def __call__(self, messages: Sequence[EmailMessage], settings: HotlineSettings) -> list[SendResult]:
        self.sent.extend(messages)
        return [
            SendResult(
                str(m["To"]), str(m["Message-ID"]), not self.fail, "421 try later" if self.fail else None
            )
            for m in messages
        ]


def _settings(tmp: Path, **extra: object) -> HotlineSettings:
    (tmp / "rules.csv").write_text(RULES)
    (tmp / "partners.csv").write_text(PARTNERS)
    values: dict[str, object] = {
        "hosting_rules": tmp / "rules.csv",
        "partners": tmp / "partners.csv",
        "country": "GB",
        "first_notice_delay_minutes": 60,
    }
    return HotlineSettings(**(values | extra))  # type: ignore[arg-type]


def _confirmed(db: Database, settings: HotlineSettings, urls: list[str]) -> list[str]:
    refs = []
    for url in urls:
        ref = submit(db, intake.PUBLIC, [NewReport(url)], "public", now=T0)[0].reference
        assess(db, ACTOR, "alice", ref, Verdict(Outcome.CRIMINAL, category="B", age_band="11-13"), now=T0)
        tracing.trace(db, ACTOR, ref, settings=settings, now=T0)
        refs.append(ref)
    return refs


def test_grouped_per_recipient_and_routed(sdb: Database, tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    refs = _confirmed(
        sdb,
        settings,
        ["http://127.0.0.1/a", "http://127.0.0.2/b", "http://127.0.1.1/c", "http://127.0.2.1/d"],
    )
    outbox = Outbox()
    out = notify.notify(sdb, ACTOR, settings=settings, sender=outbox, now=T0 + timedelta(hours=2))
    assert sorted((n["reference"], n["to"], n["kind"]) for n in out["sent"]) == sorted(
        [
            (refs[0], "abuse@home.test", "host"),
            (refs[1], "abuse@home.test", "host"),
            (refs[2], "reports@meldpunt.test", "partner"),
        ]
    )
    # France has no partner and no police address is configured: the analyst's list, not skipped.
    assert [n["reference"] for n in out["unrouted"]] == [refs[3]]
    assert [r["reference"] for r in tracing.unrouted(sdb)] == [refs[3]]
    # One email per recipient, with every URL for it.
    assert len(outbox.sent) == 2
    home = next(m for m in outbox.sent if m["To"] == "abuse@home.test")
    text = home.get_content()
    assert "http://127.0.0.1/a" in text and "http://127.0.0.2/b" in text
    assert {r["reference"]: r["route"] for r in views.list_reports(sdb)}[refs[2]] == "partner"


def test_police_referral_when_configured(sdb: Database, tmp_path: Path) -> None:
    settings = _settings(tmp_path, police_email="referrals@police.test")
    ref = _confirmed(sdb, settings, ["http://127.0.2.9/x"])[0]
    out = notify.notify(sdb, ACTOR, settings=settings, sender=Outbox(), now=T0 + timedelta(hours=2))
    assert out["sent"] == [{"reference": ref, "to": "referrals@police.test", "kind": "police", "attempt": 1}]


def test_a_host_that_moved_gets_a_new_route(sdb: Database, tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    ref = _confirmed(sdb, settings, ["http://127.0.0.5/x"])[0]
    (tmp_path / "rules.csv").write_text(RULES.replace("abuse@home.test", "abuse@new-home.test"))
    out = notify.notify(sdb, ACTOR, settings=settings, sender=Outbox(), now=T0 + timedelta(hours=2))
    assert out["sent"][0]["to"] == "abuse@new-home.test"
    assert len(views.show(sdb, ref)["traces"]) == 2  # every lookup recorded


def test_failed_send_is_recorded_and_tried_again(sdb: Database, tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    ref = _confirmed(sdb, settings, ["http://127.0.0.1/a"])[0]
    out = notify.notify(sdb, ACTOR, settings=settings, sender=Outbox(fail=True), now=T0 + timedelta(hours=2))
    assert out["sent"] == [] and out["failed"][0]["error"] == "421 try later"
    assert views.show(sdb, ref)["status"] == "traced"
    again = notify.notify(sdb, ACTOR, settings=settings, sender=Outbox(), now=T0 + timedelta(hours=3))
    assert again["sent"][0]["attempt"] == 1


def test_authorisation_holds_then_sends(sdb: Database, tmp_path: Path) -> None:
    settings = _settings(tmp_path, notices_need_authorisation=True)
    ref = _confirmed(sdb, settings, ["http://127.0.0.1/a"])[0]
    outbox = Outbox()
    out = notify.notify(sdb, ACTOR, settings=settings, sender=outbox, now=T0 + timedelta(hours=2))
    assert out["sent"] == [] and out["awaiting"][0]["reference"] == ref and outbox.sent == []
    # Not due again while it waits.
    assert (
        notify.notify(sdb, ACTOR, settings=settings, sender=outbox, now=T0 + timedelta(days=3))["awaiting"]
        == []
    )
    batch = notify.awaiting(sdb)[0]["batch"]
    with pytest.raises(NotFound):
        notify.authorise(sdb, ACTOR, "bob", "nosuch", settings=settings, sender=outbox)
    done = notify.authorise(
        sdb, ACTOR, "bob", batch, settings=settings, sender=outbox, now=T0 + timedelta(hours=3)
    )
    assert done["sent"][0]["reference"] == ref and len(outbox.sent) == 1
    shown = views.show(sdb, ref)
    assert shown["status"] == "notified" and shown["notices"][-1]["authorised_by"] == "bob"
    with pytest.raises(Conflict):
        notify.authorise(sdb, ACTOR, "bob", batch, settings=settings, sender=outbox)


def test_trace_needs_a_confirmed_report(sdb: Database, tmp_path: Path) -> None:
    ref = submit(sdb, intake.PUBLIC, [NewReport("http://127.0.0.1/")], "public")[0].reference
    with pytest.raises(Conflict):
        tracing.trace(sdb, ACTOR, ref, settings=_settings(tmp_path))


def test_monitor_lease_one_holder_at_a_time(sdb: Database) -> None:
    assert monitor.take_lease(sdb, "worker-1", 60, now=T0)
    assert not monitor.take_lease(sdb, "worker-2", 60, now=T0 + timedelta(seconds=30))
    assert monitor.take_lease(sdb, "worker-1", 60, now=T0 + timedelta(seconds=30))  # renewed
    assert monitor.take_lease(sdb, "worker-2", 60, now=T0 + timedelta(seconds=91))  # expired: taken over
    assert not monitor.take_lease(sdb, "worker-1", 60, now=T0 + timedelta(seconds=100))


def test_urllist_formats_and_stats(sdb: Database, tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    _confirmed(sdb, settings, ["http://127.0.0.1/=cmd|x", "http://127.0.0.1/b"])
    rows = urllist.live_urls(sdb)
    assert urllist.render(rows, "txt").splitlines() == ["http://127.0.0.1/=cmd%7Cx", "http://127.0.0.1/b"]
    csv_text = urllist.render(rows, "csv")
    assert csv_text.splitlines()[0] == "url,reference,host,category,country,confirmed_at"
    assert "\n=" not in csv_text and ",=" not in csv_text  # no cell starts a formula
    assert len(__import__("json").loads(urllist.render(rows, "json"))) == 2
    figures = stats.stats(sdb)
    assert figures["received"] == 2 and figures["confirmed"] == 2 and figures["by_age_band"] == {"11-13": 2}
    assert figures["time_to_removal_seconds"] == {"median": None, "p90": None}


def test_percentiles() -> None:
    from netsafe.hotline.stats import _percentile

    values = [float(v) for v in range(1, 11)]
    assert (
        _percentile(values, 0.5) == 5.0 and _percentile(values, 0.9) == 9.0 and _percentile([], 0.5) is None
    )


def test_closing_by_hand_ends_notices(sdb: Database, tmp_path: Path) -> None:
    from netsafe.errors import InvalidInput
    from netsafe.hotline import closing

    settings = _settings(tmp_path)
    ref = _confirmed(sdb, settings, ["http://127.0.0.1/a"])[0]
    with pytest.raises(InvalidInput, match=r"^reason: "):
        closing.close(sdb, ACTOR, ref, "  ")
    assert closing.close(sdb, ACTOR, ref, "host gone out of business")["status"] == "closed"
    assert (
        notify.notify(sdb, ACTOR, settings=settings, sender=Outbox(), now=T0 + timedelta(days=2))["sent"]
        == []
    )
    assert views.show(sdb, ref)["history"][-1]["note"] == "host gone out of business"
    with pytest.raises(Conflict):
        closing.close(sdb, ACTOR, ref, "again")
