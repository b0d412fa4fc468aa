"""The cases service: adding, assessing with history, links and evidence, actions, the clock and the queue,
operations, and that every view and change is audited without personal details."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from netsafe.audit.models import AuditEventRow
from netsafe.cases import service as cs
from netsafe.cases.rules import Answer
from netsafe.cases.vocab import ActionKind, CaseInputError, Offence, Source, Status
from netsafe.errors import Conflict, Forbidden, InvalidInput, NotFound
from netsafe.hotline import intake
from netsafe.store.db import Database

from .conftest import ACTOR, make_scan, match

D0 = date(2026, 11, 2)
Y, N, U = Answer.YES, Answer.NO, Answer.UNKNOWN


def _add(db: Database, ref: str, received: date = D0, **extra: object) -> None:
    cs.add_case(db, ACTOR, cs.NewCase(ref, Source.NCA, received, **extra), today=date(2026, 12, 31))  # type: ignore[arg-type]


def _assess(db: Database, ref: str, **answers: Answer) -> dict[str, object]:
    return cs.assess_case(
        db, ACTOR, ref, {k: cs.Given(v, "PNC") for k, v in answers.items()}, by="investigator"
    )


def _events(db: Database, action: str | None = None) -> list[AuditEventRow]:
    with db.sessions() as session:
        query = select(AuditEventRow).order_by(AuditEventRow.seq)
        if action:
            query = query.where(AuditEventRow.action == action)
        return list(session.scalars(query))


def test_add_assess_and_reassess_keeps_history(people: Database) -> None:
    db = people
    _add(db, "NS-1", subject_name="A Person", subject_birth_year=1980)
    first = _assess(db, "NS-1", lives_with_child=Y, online_contact_with_children=U)
    assert first["level"] == "high" and first["deadline"] == (D0 + timedelta(days=7)).isoformat()
    assert any(g["factor"] == "online_contact_with_children" and g["could_raise_to"] == "Very High"
               for g in first["gaps"])  # type: ignore[attr-defined]  # fmt: skip
    second = _assess(db, "NS-1", lives_with_child=Y, online_contact_with_children=Y)
    assert second["level"] == "very_high" and second["deadline"] == (D0 + timedelta(days=1)).isoformat()
    shown = cs.show_case(db, ACTOR, "NS-1", today=D0)
    assert [a["level"] for a in shown["assessments"]] == ["high", "very_high"]
    assert shown["level"] == "very_high" and shown["status"] == "assessed"
    assert shown["assessment"]["by"] == "user:investigator"
    answers = {a["factor"]: a for a in shown["assessment"]["answers"]}
    assert answers["lives_with_child"] == {
        "factor": "lives_with_child",
        "step": "Access to children",
        "question": "Does the subject live with a child (under 18)?",
        "answer": "yes",
        "source": "PNC",
    }
    assert answers["mental_health"]["answer"] == "unknown"
    assert shown["subject"] == {"label": "subject of NS-1", "name": "A Person", "birth_year": 1980}


def test_every_view_and_change_is_audited_without_personal_details(people: Database) -> None:
    db = people
    _add(db, "NS-2", subject_name="Jane Q Example", operation="Operation NetSafe")
    _assess(db, "NS-2", works_with_children=Y)
    cs.show_case(db, ACTOR, "NS-2")
    cs.case_queue(db, ACTOR)
    cs.case_figures(db, ACTOR)
    cs.show_operation(db, ACTOR, "Operation NetSafe")
    cs.list_operations(db, ACTOR)
    cs.record_action(db, ACTOR, "NS-2", cs.NewAction(ActionKind.VISIT), by="investigator")
    events = _events(db)
    actions = [e.action for e in events if e.action.startswith(("case.", "operation."))]
    assert actions == [
        "case.add", "case.assess", "case.view", "case.list", "case.figures", "operation.view",
        "operation.list", "case.action",
    ]  # fmt: skip
    for event in events:
        assert "Jane" not in event.details and "Example" not in (event.target or "")
    added = json.loads(next(e for e in events if e.action == "case.add").details)
    assert added["personal_details"] is True


def test_only_investigators_answer_for_assessments_and_actions(people: Database) -> None:
    db = people
    _add(db, "NS-3")
    for who in ("analyst", "senior", "curator", "nobody"):
        with pytest.raises(Forbidden, match=r"investigator role|no active user"):
            cs.assess_case(db, ACTOR, "NS-3", {}, by=who)
        with pytest.raises(Forbidden):
            cs.record_action(db, ACTOR, "NS-3", cs.NewAction(ActionKind.VISIT), by=who)
    assert cs.assess_case(db, ACTOR, "NS-3", {}, by="admin")["level"] == "low"
    assert _events(db, "case.action") == []


def test_bad_input_is_refused_and_stores_nothing(people: Database) -> None:
    db = people
    _add(db, "NS-4")
    with pytest.raises(Conflict, match="exists already"):
        _add(db, "NS-4")
    with pytest.raises(CaseInputError, match="case reference"):
        _add(db, "../etc")
    with pytest.raises(CaseInputError, match="case reference"):
        _add(db, "figures")
    with pytest.raises(CaseInputError, match="future"):
        cs.add_case(db, ACTOR, cs.NewCase("NS-5", Source.NCA, date(2027, 1, 1)), today=date(2026, 12, 1))
    with pytest.raises(InvalidInput, match="unknown factor 'lives_with_dog'"):
        _assess(db, "NS-4", lives_with_dog=Y)
    with pytest.raises(NotFound, match="no case 'NS-404'"):
        cs.show_case(db, ACTOR, "NS-404")
    with pytest.raises(NotFound, match="no scan 999"):
        cs.link_scan(db, ACTOR, "NS-4", 999)
    with pytest.raises(CaseInputError, match="offence"):
        cs.record_action(db, ACTOR, "NS-4", cs.NewAction(ActionKind.CHARGE), by="investigator")
    with pytest.raises(CaseInputError, match="before the referral"):
        cs.record_action(
            db, ACTOR, "NS-4", cs.NewAction(ActionKind.VISIT, on=D0 - timedelta(days=1)), by="investigator"
        )
    shown = cs.show_case(db, ACTOR, "NS-4")
    assert shown["assessments"] == [] and shown["actions"] == [] and shown["exhibits"] == []


def test_evidence_from_linked_scans_and_charge_counts(people: Database) -> None:
    db = people
    _add(db, "NS-6")
    first = make_scan(
        db,
        [
            ("image", [match("A")]),
            ("image", [match("A"), match("C")]),  # the most severe counts
            ("image", [match("B")]),
            ("video", [match("C")]),
            ("video", []),  # unknown to every hash set
            ("image", []),
            ("other", []),  # not an image or video: not "possible new material"
            ("image", [match("1", "vic-us")]),  # no uk-caid mapping: uncategorised
        ],
    )
    second = make_scan(db, [("image", [match("A")])])
    cs.link_scan(db, ACTOR, "NS-6", first, "phone")
    cs.link_scan(db, ACTOR, "NS-6", second, "laptop")
    cs.link_scan(db, ACTOR, "NS-6", second, "phone")  # the same scan under two exhibits counts once
    with pytest.raises(Conflict):
        cs.link_scan(db, ACTOR, "NS-6", second, "laptop")
    shown = cs.show_case(db, ACTOR, "NS-6")
    assert shown["status"] == "in progress"
    assert shown["exhibits"] == [
        {"label": "phone", "scans": [first, second]},
        {"label": "laptop", "scans": [second]},
    ]
    scan = shown["evidence"]["scans"][0]
    assert scan["by_category"] == {"A": 2, "B": 1, "C": 1, "uncategorised": 1}
    assert (scan["items"], scan["videos"], scan["matched_videos"], scan["unknown"]) == (8, 2, 1, 2)
    assert scan["category_a_share"] == 0.5
    totals = shown["evidence"]["totals"]
    assert totals["by_category"] == {"A": 3, "B": 1, "C": 1, "uncategorised": 1}
    assert totals["category_a_share"] == 0.6
    # Evidence is shown beside the factors, never answers them.
    assert shown["assessment"] is None and shown["level"] is None
    charged = cs.record_action(
        db, ACTOR, "NS-6", cs.NewAction(ActionKind.CHARGE, offence=Offence.POSSESSION), by="investigator"
    )
    assert charged["counts"] == {"A": 3, "B": 1, "C": 1, "uncategorised": 1}


def test_hotline_reports_are_checked_against_the_hotline(people: Database) -> None:
    db = people
    _add(db, "NS-7")
    with pytest.raises(NotFound, match="no report"):
        cs.link_report(db, ACTOR, "NS-7", "HL-20261204-NOSUCH")
    [made] = intake.submit(db, ACTOR, [intake.NewReport(url="http://example.org/a")], "public")
    out = cs.link_report(db, ACTOR, "NS-7", made.reference.lower())
    assert out == {"reference": "NS-7", "report": made.reference, "checked": True}
    with pytest.raises(Conflict):
        cs.link_report(db, ACTOR, "NS-7", made.reference)
    shown = cs.show_case(db, ACTOR, "NS-7")
    assert [(r["reference"], r["status"]) for r in shown["reports"]] == [(made.reference, "received")]


def test_queue_order_overdue_and_clock_under_a_controlled_date(people: Database) -> None:
    db = people
    # (reference, received, answers yes): levels Very High (1 day), High (7), Medium (14), Low (30).
    _add(db, "LOW-OLD", D0 - timedelta(days=40))
    _add(db, "HIGH-A", D0 - timedelta(days=3))
    _add(db, "HIGH-B", D0 - timedelta(days=6))
    _add(db, "VH", D0)
    _add(db, "MED", D0 - timedelta(days=1))
    _add(db, "FRESH", D0)
    _assess(db, "LOW-OLD")
    _assess(db, "HIGH-A", regular_contact_with_children=Y)
    _assess(db, "HIGH-B", producing_images=Y)
    _assess(db, "VH", lives_with_child=Y, grooming_or_incitement=Y)
    _assess(db, "MED", previous_allegations=Y)

    def order(day: date) -> list[tuple[str, bool]]:
        return [(c["reference"], c["overdue"]) for c in cs.case_queue(db, ACTOR, today=day)]

    assert order(D0) == [
        ("FRESH", False),  # unassessed first, due within the most urgent target
        ("VH", False),
        ("HIGH-B", False),  # one day left
        ("HIGH-A", False),  # four days left
        ("MED", False),
        ("LOW-OLD", True),  # 40 days old, 30-day target
    ]
    later = D0 + timedelta(days=2)
    assert order(later) == [
        ("FRESH", True), ("VH", True), ("HIGH-B", True), ("HIGH-A", False), ("MED", False), ("LOW-OLD", True)
    ]  # fmt: skip
    # The first enforcement action stops the clock: the case is no longer overdue and waits behind
    # the cases still waiting for theirs. A referral to social care does not stop it.
    cs.record_action(
        db, ACTOR, "HIGH-B", cs.NewAction(ActionKind.SOCIAL_CARE, on=later), by="investigator", today=later
    )
    assert ("HIGH-B", True) in order(later)
    cs.record_action(db, ACTOR, "HIGH-B", cs.NewAction(ActionKind.ARREST, on=later, children_safeguarded=2),
                     by="investigator", today=later)  # fmt: skip
    cs.record_action(db, ACTOR, "VH", cs.NewAction(ActionKind.WARRANT, on=D0), by="investigator", today=later)
    assert order(later) == [
        ("FRESH", True), ("HIGH-A", False), ("MED", False), ("LOW-OLD", True), ("VH", False),
        ("HIGH-B", False),
    ]  # fmt: skip
    much_later = D0 + timedelta(days=60)
    assert [o for _, o in order(much_later)][-2:] == [False, False]  # stopped clocks never go overdue
    # No further action closes the case: it leaves the queue.
    cs.record_action(
        db, ACTOR, "LOW-OLD", cs.NewAction(ActionKind.NFA, on=later), by="investigator", today=later
    )
    assert "LOW-OLD" not in [r for r, _ in order(later)]
    everything = cs.case_queue(db, ACTOR, today=later, include_closed=True)
    assert any(c["reference"] == "LOW-OLD" and c["status"] == "closed" for c in everything)
    with pytest.raises(Conflict, match="closed"):
        cs.record_action(
            db, ACTOR, "LOW-OLD", cs.NewAction(ActionKind.VISIT, on=later), by="investigator", today=later
        )
    cs.set_status(db, ACTOR, "LOW-OLD", Status.IN_PROGRESS)
    assert "LOW-OLD" in [r for r, _ in order(later)]

    figures = cs.case_figures(db, ACTOR, today=later)
    by_level = {row["level"]: row for row in figures["levels"]}
    assert by_level["very_high"]["median_days_to_first_action"] == 0
    assert by_level["very_high"]["share_meeting_target"] == 1.0
    # HIGH-B acted on day 8 of a 7-day target; HIGH-A is open but not yet late: only HIGH-B is measured.
    assert (by_level["high"]["acted"], by_level["high"]["met_target"], by_level["high"]["measured"]) == (
        1,
        0,
        1,
    )
    assert by_level["high"]["median_days_to_first_action"] == 8
    assert by_level["not_assessed"]["overdue"] == 1
    assert figures["oldest_open"]["reference"] == "LOW-OLD"
    assert figures["overdue"] == 2  # FRESH and LOW-OLD (reopened, its clock never stopped)


def test_operation_totals(people: Database) -> None:
    db = people
    for ref in ("OP-1", "OP-2", "OP-3"):
        _add(db, ref, operation="Operation NetSafe")
    _add(db, "ELSEWHERE", operation="Operation Other")
    act = cs.record_action
    act(db, ACTOR, "OP-1", cs.NewAction(ActionKind.ARREST, children_safeguarded=3), by="investigator")
    act(db, ACTOR, "OP-1", cs.NewAction(ActionKind.SEIZURE, devices=4), by="investigator")
    act(db, ACTOR, "OP-1", cs.NewAction(ActionKind.CHARGE, offence=Offence.PRODUCTION), by="investigator")
    act(db, ACTOR, "OP-1", cs.NewAction(ActionKind.CHARGE, offence=Offence.DISTRIBUTION), by="investigator")
    act(db, ACTOR, "OP-2", cs.NewAction(ActionKind.ARREST), by="investigator")
    act(db, ACTOR, "OP-2", cs.NewAction(ActionKind.SEIZURE), by="investigator")
    act(db, ACTOR, "OP-2", cs.NewAction(ActionKind.SOCIAL_CARE, children_safeguarded=1), by="investigator")
    act(db, ACTOR, "ELSEWHERE", cs.NewAction(ActionKind.ARREST, children_safeguarded=9), by="investigator")
    shown = cs.show_operation(db, ACTOR, "Operation NetSafe")
    totals = {
        k: shown[k] for k in ("cases", "arrests", "people_charged", "children_safeguarded", "devices_seized")
    }
    assert totals == {
        "cases": 3,
        "arrests": 2,
        "people_charged": 1,
        "children_safeguarded": 4,
        "devices_seized": 5,
    }
    assert {o["name"] for o in cs.list_operations(db, ACTOR)} == {"Operation NetSafe", "Operation Other"}
    with pytest.raises(NotFound):
        cs.show_operation(db, ACTOR, "Operation Nowhere")
