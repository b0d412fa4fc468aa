"""Intake: URL normalisation, the duplicate rules, all-or-nothing batches, events with every report."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from netsafe.audit.service import Actor, AuditFilter, search
from netsafe.errors import InvalidInput
from netsafe.hotline import intake, views
from netsafe.hotline.intake import NewReport, submit
from netsafe.hotline.urls import UrlError, normalise
from netsafe.store.db import Database

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
ANALYST = Actor("alice")


@pytest.mark.parametrize(
    ("given_url", "expected"),
    [
        ("HTTP://Example.COM:80/a/../b?x=1#frag", "http://example.com/b?x=1"),
        ("https://example.com:443", "https://example.com/"),
        ("example.com/pics", "http://example.com/pics"),
        ("http://example.com/%7euser/", "http://example.com/~user/"),
        ("https://exämple.com/x", "https://xn--exmple-cua.com/x"),
        ("http://127.0.0.1:8000/a?b=c", "http://127.0.0.1:8000/a?b=c"),
    ],
)
def test_normalise(given_url: str, expected: str) -> None:
    got = normalise(given_url)
    assert got.normalised == expected
    assert got.original == given_url.strip()


@pytest.mark.parametrize(
    "bad",
    ["", "   ", "ftp://example.com/x", "javascript:alert(1)", "http://", "http://a b.com/", "http://x/\x00"],
)
def test_normalise_refuses_with_the_field(bad: str) -> None:
    with pytest.raises(UrlError) as err:
        normalise(bad, "reports[2].url")
    assert str(err.value).startswith("reports[2].url: ")
    assert "\n" not in str(err.value)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_normalise_never_raises_anything_else(text: str) -> None:
    try:
        got = normalise(text)
    except UrlError as err:
        assert "\n" not in str(err)
    else:
        assert got.normalised.startswith(("http://", "https://"))
        assert "#" not in got.normalised
        assert normalise(got.normalised).normalised == got.normalised  # idempotent


def test_report_then_duplicate_rules(db: Database) -> None:
    first = submit(db, intake.PUBLIC, [NewReport("http://Example.com/a#x")], "public", now=T0)[0]
    assert first.status == "received" and first.duplicate_of is None and first.linked_to is None
    # Still waiting for assessment: linked to the first, not a duplicate.
    second = submit(db, intake.PUBLIC, [NewReport("http://example.com:80/a")], "public", now=T0)[0]
    assert second.linked_to == first.reference and second.duplicate_of is None
    # Confirmed and live: a duplicate, closed at once, naming the first.
    with db.session() as session:
        from netsafe.hotline.common import get_report

        row = get_report(session, first.reference)
        row.status, row.outcome = "notified", "criminal"
    third = submit(db, intake.PUBLIC, [NewReport("http://EXAMPLE.com/a")], "public", now=T0)[0]
    assert third.duplicate_of == first.reference and third.status == "closed"
    shown = views.show(db, third.reference)
    assert shown["outcome"] == "duplicate" and shown["duplicate_of"] == first.reference
    assert [h["to"] for h in shown["history"]] == ["received", "closed"]
    # Another page of the same host is a report of its own.
    other = submit(db, intake.PUBLIC, [NewReport("http://example.com/b")], "public", now=T0)[0]
    assert other.duplicate_of is None and other.linked_to is None


def test_batch_is_all_or_nothing_and_names_the_field(db: Database) -> None:
    items = [
        NewReport("http://a.example/1", where="reports[0].url"),
        NewReport("nope://x", where="reports[1].url"),
    ]
    with pytest.raises(InvalidInput, match=r"^reports\[1\]\.url: "):
        submit(db, Actor("token:police"), items, "partner:police")
    assert views.list_reports(db) == []
    bad_email = [NewReport("http://a.example/1", email="not-an-email", where="reports[0].url")]
    with pytest.raises(InvalidInput, match=r"^reports\[0\]\.email: "):
        submit(db, Actor("token:police"), bad_email, "partner:police")


def test_every_report_is_audited_without_address(db: Database) -> None:
    out = submit(db, intake.PUBLIC, [NewReport("http://a.example/1", "seen", "me@example.org")], "public")
    with db.session() as session:
        events = search(session, AuditFilter(action="hotline.report"))
    assert [e.target for e in events] == [f"report:{out[0].reference}"]
    assert events[0].actor == "public" and events[0].ip is None
    assert "me@example.org" not in str(events[0].details)


def test_list_filters_by_status(db: Database) -> None:
    submit(db, ANALYST, [NewReport(f"http://a.example/{i}") for i in range(3)], "cli:alice", now=T0)
    assert len(views.list_reports(db, "received")) == 3
    assert views.list_reports(db, "closed") == []
    with pytest.raises(InvalidInput, match=r"^status: "):
        views.list_reports(db, "bogus")


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=400), st.text(max_size=6000))
def test_email_and_description_checks_never_raise_anything_else(email: str, description: str) -> None:
    for check, value, field in (
        (intake.check_email, email, "email"),
        (intake.check_description, description, "description"),
    ):
        try:
            check(value)
        except InvalidInput as err:
            assert str(err).startswith(f"{field}: ") and "\n" not in str(err)
