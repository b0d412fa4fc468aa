"""Figures from records made through the real services, checked against hand counts, in both views."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from netsafe.audit.service import Actor
from netsafe.cases import service as cs
from netsafe.cases.vocab import ActionKind, Source
from netsafe.errors import InvalidInput
from netsafe.hotline.intake import NewReport, submit
from netsafe.stats.disclosure import Rule
from netsafe.stats.service import Period, show
from netsafe.store.db import Database

from .conftest import make_scan, match

ACTOR = Actor("user:senior")
ONS = Rule()


def cells(out: dict[str, Any], view: str, key: str) -> dict[str, Any]:
    return {r[key]: r["count"] for r in out["rows"] if r["view"] == view}


def values(out: dict[str, Any], view: str) -> dict[str, Any]:
    return {r["measure"]: r.get("count", r.get("value")) for r in out["rows"] if r["view"] == view}


def test_hotline_reports_by_month(db: Database) -> None:
    for n in range(13):
        submit(
            db, ACTOR, [NewReport(f"https://example.org/a{n}")], "public", datetime(2026, 10, 3, tzinfo=UTC)
        )
    for n in range(4):
        submit(
            db, ACTOR, [NewReport(f"https://example.org/b{n}")], "public", datetime(2026, 11, 3, tzinfo=UTC)
        )
    internal = show(db, ACTOR, "hotline")
    assert internal["rule"].startswith("internal")
    assert cells(internal, "received_by_month", "month") == {"2026-10": 13, "2026-11": 4, "total": 17}
    published = show(db, ACTOR, "hotline", rule=ONS)
    assert "under 10 suppressed" in published["rule"]
    # 4 is hidden, and so is 13 (the total would give the 4 back); 17 rounds to 15.
    assert cells(published, "received_by_month", "month") == {"2026-10": None, "2026-11": None, "total": 15}
    october = show(db, ACTOR, "hotline", Period(date(2026, 10, 1), date(2026, 10, 31)))
    assert cells(october, "received_by_month", "month") == {"2026-10": 13, "total": 13}


def _case(db: Database, ref: str, operation: str | None, received: date) -> None:
    cs.add_case(
        db, ACTOR, cs.NewCase(ref, Source.NCA, received, operation=operation), today=date(2026, 11, 30)
    )


def test_cases_levels_operations_and_the_clock(db: Database, people: Database) -> None:
    for n in range(12):
        _case(db, f"NS-{n}", "Op Alpha" if n < 11 else None, date(2026, 11, 1))
    for n in range(11):
        cs.assess_case(db, ACTOR, f"NS-{n}", {}, by="investigator")  # no answers: Low, 30 days
    for n in range(10):
        action = cs.NewAction(ActionKind.ARREST, on=date(2026, 11, 1 + n), children_safeguarded=2)
        cs.record_action(db, ACTOR, f"NS-{n}", action, by="investigator", today=date(2026, 11, 30))
    out = show(db, ACTOR, "cases", today=date(2026, 12, 20))
    assert cells(out, "by_risk_level", "level") == {"Low": 11, "Not assessed": 1, "total": 12}
    assert values(out, "open") == {"open": 12, "overdue": 1}  # NS-10: Low, received 1 Nov, due 1 Dec
    medians = {r["level"]: r["value"] for r in out["rows"] if r["view"] == "days_to_first_action"}
    assert medians == {"Low": 4.0}  # 0..9 days: nearest-rank median is the 5th, 4 days
    assert values(out, "target") == {"acted_on_with_deadline": 10, "met_target_percent": 100.0}
    assert cells(out, "operation_arrests", "operation") == {"Op Alpha": 10, "total": 10}
    assert cells(out, "operation_children_safeguarded", "operation") == {"Op Alpha": 20, "total": 20}
    published = show(db, ACTOR, "cases", rule=ONS, today=date(2026, 12, 20))
    assert cells(published, "by_risk_level", "level") == {"Low": None, "Not assessed": None, "total": 10}
    assert values(published, "open") == {"open": 10, "overdue": None}
    assert values(published, "target")["met_target_percent"] is None  # 0 missed: a small rest


def test_triage_items_by_category(db: Database) -> None:
    make_scan(
        db,
        [
            ("image", [match("A")]),
            ("image", [match("A"), match("A")]),
            ("video", [match("C")]),
            ("image", []),
        ],
    )
    out = show(db, ACTOR, "triage")
    assert values(out, "totals") == {"scans": 1, "files": 0}
    assert cells(out, "distinct_items_by_kind", "kind") == {"image": 3, "video": 1, "total": 4}
    assert cells(out, "matched_images_by_category", "category") == {"A": 2, "total": 2}
    assert cells(out, "matched_videos_by_category", "category") == {"C": 1, "total": 1}


def test_every_read_is_audited(db: Database) -> None:
    from sqlalchemy import select

    from netsafe.audit.models import AuditEventRow

    show(db, ACTOR, "triage", rule=ONS)
    with db.session() as session:
        events = session.scalars(select(AuditEventRow).where(AuditEventRow.action == "stats.view")).all()
    assert len(events) == 1 and events[0].target == "stats:triage"


def test_bad_section_and_period(db: Database) -> None:
    with pytest.raises(InvalidInput, match="choose one of hotline"):
        show(db, ACTOR, "weather")
    with pytest.raises(InvalidInput, match="--from is after --to"):
        show(db, ACTOR, "hotline", Period(date(2026, 2, 1), date(2026, 1, 1)))


def test_filters_by_operation_and_hash_set(db: Database, people: Database) -> None:
    for n in range(5):
        _case(db, f"NS-{n}", "Op Alpha" if n < 3 else "Op Beta", date(2026, 11, 1))
    action = cs.NewAction(ActionKind.ARREST, on=date(2026, 11, 2))
    for ref in ("NS-0", "NS-3"):
        cs.record_action(db, ACTOR, ref, action, by="investigator", today=date(2026, 11, 30))
    beta = show(db, ACTOR, "cases", today=date(2026, 12, 20), operation="Op Beta")
    assert cells(beta, "by_risk_level", "level") == {"Not assessed": 2, "total": 2}
    assert cells(beta, "operation_arrests", "operation") == {"Op Beta": 1, "total": 1}
    assert beta["filters"] == {"operation": "Op Beta"}
    with pytest.raises(InvalidInput, match="operation 'Op Gamma': no such operation"):
        show(db, ACTOR, "cases", operation="Op Gamma")
    other = {**match("B"), "hashset": "other"}
    make_scan(db, [("image", [match("A")]), ("image", [other]), ("image", [match("A"), other])])
    assert cells(show(db, ACTOR, "triage"), "matched_images_by_category", "category") == {
        "A": 2, "B": 2, "total": 4
    }  # fmt: skip
    bank = show(db, ACTOR, "triage", hashset="bank")
    assert cells(bank, "matched_images_by_category", "category") == {"A": 2, "total": 2}
    none = show(db, ACTOR, "triage", hashset="none such")
    assert cells(none, "matched_images_by_category", "category") == {"total": 0}
