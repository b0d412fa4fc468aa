"""Assessment: per item and per report, most severe category and youngest band, linked reports settled,
appeals keep both assessments, grade-once votes into a hash set."""

from __future__ import annotations

import pytest

from netsafe.audit.service import Actor, AuditFilter, search
from netsafe.errors import Conflict, InvalidInput, NotFound
from netsafe.hotline import intake, views
from netsafe.hotline.assessment import ItemGrade, Verdict, assess
from netsafe.hotline.intake import NewReport, submit
from netsafe.hotline.states import Outcome
from netsafe.services import hashsets as hs
from netsafe.store import repositories as repo
from netsafe.store.db import Database

from .helpers import T0, put_items

ALICE = Actor("alice")
BOB = Actor("bob")


def _report(db: Database, url: str = "http://a.example/page") -> str:
    return submit(db, intake.PUBLIC, [NewReport(url)], "public", now=T0)[0].reference


def test_criminal_takes_most_severe_and_youngest(db: Database) -> None:
    ref = _report(db)
    ids = put_items(db, ref, [b"one", b"two", b"three"], known={2: "A"})
    verdict = Verdict(
        Outcome.CRIMINAL,
        site_type="forum",
        items=[ItemGrade(ids[0], "C", "11-13", "girls"), ItemGrade(ids[1], "B", "3-6", self_generated=True)],
    )
    out = assess(db, ALICE, "alice", ref, verdict, now=T0)
    # The item known by hash carries its grade A into the report.
    assert out["category"] == "A" and out["age_band"] == "3-6" and out["status"] == "assessed"
    shown = views.show(db, ref)
    assert shown["assessments"][0]["analyst"] == "alice"
    assert {i["category"] for i in shown["assessments"][0]["items"]} == {"B", "C"}
    assert [h["to"] for h in shown["history"]] == ["received", "assessed"]


def test_not_criminal_closes_and_linked_reports_follow(db: Database) -> None:
    first = _report(db)
    linked = _report(db, "http://A.example:80/page")
    with pytest.raises(Conflict, match="assess that one"):
        assess(db, ALICE, "alice", linked, Verdict(Outcome.NOT_CRIMINAL))
    assess(db, ALICE, "alice", first, Verdict(Outcome.NOT_CRIMINAL), now=T0)
    assert views.show(db, first)["status"] == "closed"
    other = views.show(db, linked)
    assert other["status"] == "closed" and other["outcome"] == "not_criminal"


def test_linked_reports_become_duplicates_of_a_criminal_one(db: Database) -> None:
    first = _report(db)
    linked = _report(db, "http://a.example/page#again")
    assess(db, ALICE, "alice", first, Verdict(Outcome.CRIMINAL, category="C", age_band="14-15"), now=T0)
    other = views.show(db, linked)
    assert other["outcome"] == "duplicate" and other["duplicate_of"] == first


def test_appeal_keeps_both_and_needs_a_second_analyst(db: Database) -> None:
    ref = _report(db)
    assess(db, ALICE, "alice", ref, Verdict(Outcome.NOT_CRIMINAL), now=T0)
    with pytest.raises(Conflict, match="appeal"):
        assess(db, BOB, "bob", ref, Verdict(Outcome.CRIMINAL, category="B", age_band="7-10"))
    with pytest.raises(Conflict, match="second analyst"):
        assess(db, ALICE, "alice", ref, Verdict(Outcome.CRIMINAL, category="B", age_band="7-10"), appeal=True)
    out = assess(db, BOB, "bob", ref, Verdict(Outcome.CRIMINAL, category="B", age_band="7-10"), appeal=True)
    assert out["status"] == "assessed" and out["category"] == "B"
    shown = views.show(db, ref)
    assert [(a["analyst"], a["outcome"], a["appeal"]) for a in shown["assessments"]] == [
        ("alice", "not_criminal", False),
        ("bob", "criminal", True),
    ]


@pytest.mark.parametrize(
    ("verdict", "field"),
    [
        (Verdict(Outcome.CRIMINAL), "category"),
        (Verdict(Outcome.CRIMINAL, category="D", age_band="3-6"), "category"),
        (Verdict(Outcome.CRIMINAL, category="A"), "age_band"),
        (Verdict(Outcome.CRIMINAL, category="A", age_band="18+"), "age_band"),
        (Verdict(Outcome.CRIMINAL, category="A", age_band="3-6", sex="x"), "sex"),
        (Verdict(Outcome.CRIMINAL, category="A", age_band="3-6", site_type="moon"), "site_type"),
        (Verdict(Outcome.NOT_CRIMINAL, category="A"), "category"),
        (Verdict(Outcome.CRIMINAL, items=[ItemGrade(1, "A")]), r"items\[0\]\.age_band"),
        (Verdict(Outcome.CRIMINAL, items=[ItemGrade(1, None, add_to="x")]), r"items\[0\]\.add_to"),
    ],
)
def test_bad_verdicts_name_the_field(sdb: Database, verdict: Verdict, field: str) -> None:
    ref = _report(sdb)
    with pytest.raises(InvalidInput, match=f"^{field}: "):
        assess(sdb, ALICE, "alice", ref, verdict)
    assert views.show(sdb, ref)["status"] == "received"


def test_unknown_report_and_foreign_item(sdb: Database) -> None:
    with pytest.raises(NotFound):
        assess(sdb, ALICE, "alice", "HL-20260101-AAAAAA", Verdict(Outcome.NOT_CRIMINAL))
    ref = _report(sdb)
    with pytest.raises(InvalidInput, match=r"^items\[0\]\.item: "):
        assess(sdb, ALICE, "alice", ref, Verdict(Outcome.CRIMINAL, items=[ItemGrade(999, "C", "3-6")]))


def test_grade_once_adds_an_entry_then_votes_on_it(db: Database) -> None:
    hs.create_set(db, ALICE, "hotline-confirmed")
    first = _report(db)
    ids = put_items(db, first, [b"pixels"])
    grade = ItemGrade(ids[0], "B", "11-13", add_to="hotline-confirmed")
    out = assess(db, ALICE, "alice", first, Verdict(Outcome.CRIMINAL, items=[grade]), now=T0)
    assert out["votes"] == [{"item": ids[0], "hashset": "hotline-confirmed", "category": "B"}]
    # The same picture on another page, graded by another analyst: a second vote on the same entry.
    second = _report(db, "http://b.example/")
    ids2 = put_items(db, second, [b"pixels"])
    grade2 = ItemGrade(ids2[0], "B", "11-13", add_to="hotline-confirmed")
    assess(db, BOB, "bob", second, Verdict(Outcome.CRIMINAL, items=[grade2]), now=T0)
    with db.session() as session:
        row = repo.get_set(session, "hotline-confirmed")
        entry_ids = repo.entry_ids(session, row.id)
        assert len(entry_ids) == 1
        votes = repo.votes_for(session, entry_ids[0])
        assert [(v.grader, v.category) for v in votes] == [("alice", "B"), ("bob", "B")]
        events = search(session, AuditFilter(action="hashset.vote"))
    assert len(events) == 2


def test_a_failed_vote_leaves_nothing(sdb: Database) -> None:
    ref = _report(sdb)
    ids = put_items(sdb, ref, [b"pixels"])
    grade = ItemGrade(ids[0], "B", "11-13", add_to="no-such-set")
    with pytest.raises(NotFound):
        assess(sdb, ALICE, "alice", ref, Verdict(Outcome.CRIMINAL, items=[grade]))
    shown = views.show(sdb, ref)
    assert shown["status"] == "captured" and shown["assessments"] == []
