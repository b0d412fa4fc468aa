"""The review part of the triage section, from grades given through the review service (three analysts, a
disagreement settled by a senior, an ignore, an undo) and checked by hand counts; its charts carry its
tables' numbers and the annual report shows it."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from netsafe.review import service
from netsafe.stats.charts import views
from netsafe.stats.disclosure import Rule
from netsafe.stats.report import write_report
from netsafe.stats.service import Period, show
from review.conftest import ACTOR, SETTINGS, Case, case, evidence

__all__ = ["case", "evidence"]
SVG = "{http://www.w3.org/2000/svg}"
REVIEW = ("graded_items_by_month", "graded_hashes_by_standing", "graded_hashes_by_set", "settled_by_month")


def grade_some(case: Case) -> None:
    db = case.db
    groups = service.list_groups(db, ACTOR, case.scan_id, SETTINGS).groups
    pairs = [g for g in groups if len(g.items) == 2]
    singles = [g for g in groups if len(g.items) == 1]
    trusted, disputed, ignored = pairs
    for user in ("ana", "bob", "cat"):  # three agree: both photos of the pair have a trusted grade
        service.grade(db, ACTOR, SETTINGS, user=user, category="A", group_id=trusted.group)
    service.grade(db, ACTOR, SETTINGS, user="ana", category="C", group_id=disputed.group)
    service.grade(db, ACTOR, SETTINGS, user="bob", category="B", group_id=disputed.group)
    service.settle(
        db, ACTOR, SETTINGS, user="sen", item_id=disputed.items[0].item, category="C", reason="seen again"
    )  # the other photo of the pair stays disputed, graded B last
    service.grade(db, ACTOR, SETTINGS, user="ana", category="B", group_id=singles[0].group)  # one vote
    service.ignore(db, ACTOR, SETTINGS, user="ana", group_id=ignored.group)
    service.grade(db, ACTOR, SETTINGS, user="cat", category="C", group_id=singles[1].group)
    service.undo_last(db, ACTOR, SETTINGS, user="cat", scan_id=case.scan_id)  # taken back: not counted


def cells(out: dict[str, Any], view: str) -> dict[Any, Any]:
    found = {}
    for row in out["rows"]:
        if row["view"] == view:
            key = tuple(v for k, v in row.items() if k not in ("view", "count"))
            found[key[0] if len(key) == 1 else key] = row["count"]
    return found


def test_review_figures_by_hand(case: Case) -> None:
    grade_some(case)
    month = datetime.now(UTC).strftime("%Y-%m")
    out = show(case.db, ACTOR, "triage")
    assert cells(out, "graded_items_by_month") == {
        (month, "A"): 2, (month, "B"): 2, (month, "C"): 1, ("total", "total"): 5
    }  # fmt: skip
    standing = {"trusted": 2, "settled": 1, "disputed": 1, "awaiting graders": 1, "total": 5}
    assert cells(out, "graded_hashes_by_standing") == standing
    assert cells(out, "graded_hashes_by_set") == {
        ("local-graded", "trusted"): 2, ("local-graded", "settled"): 1, ("local-graded", "disputed"): 1,
        ("local-graded", "awaiting graders"): 1, ("total", "total"): 5,
    }  # fmt: skip
    assert cells(out, "settled_by_month") == {month: 1, "total": 1}
    # Outside the period nothing; published, every cell is under 10 and the total of 5 too.
    before = show(case.db, ACTOR, "triage", Period(date(2020, 1, 1), date(2020, 12, 31)))
    assert cells(before, "graded_items_by_month") == {("total", "total"): 0}
    published = show(case.db, ACTOR, "triage", rule=Rule())
    assert set(cells(published, "graded_hashes_by_standing").values()) == {None}


def test_review_charts_carry_their_numbers_and_the_report_has_them(case: Case, tmp_path: Path) -> None:
    grade_some(case)
    out = show(case.db, ACTOR, "triage")
    charted = {v["name"]: v for v in views(out)}
    for name in REVIEW:
        view = charted[name]
        root = ET.fromstring(view["svg"])
        figures = [t.text for t in root.iter(f"{SVG}text") if t.get("class") == "figure"]
        assert figures == [str(r["count"]) for r in view["rows"] if "total" not in r.values()], name
        assert figures, name
    year = datetime.now(UTC).year
    write_report(case.db, ACTOR, year, tmp_path / "report", None)
    text = (tmp_path / "report" / f"statistics-{year}.html").read_text()
    assert "triage: graded items by month" in text and "triage: graded hashes by standing" in text
    assert "Reviewers graded 5 new items" in text and "2 now have a trusted grade and 1 were settled" in text
    assert (tmp_path / "report" / f"statistics-{year}.pdf").stat().st_size > 1000


def test_graded_hashes_filtered_by_hash_set(case: Case) -> None:
    grade_some(case)
    local = show(case.db, ACTOR, "triage", hashset="local-graded")
    assert cells(local, "graded_hashes_by_standing")["total"] == 5
    known = show(case.db, ACTOR, "triage", hashset="known")
    assert cells(known, "graded_hashes_by_standing") == {"total": 0}
    assert cells(known, "graded_hashes_by_set") == {("total", "total"): 0}
