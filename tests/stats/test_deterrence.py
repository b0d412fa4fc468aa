"""The deterrence section: checks, warnings and help clicks by month and variant, from counts made through
the deterrence service's own check and warning functions."""

from __future__ import annotations

from datetime import date

from netsafe.audit.service import Actor
from netsafe.deterrence import checking, lists
from netsafe.stats.disclosure import Rule
from netsafe.stats.service import Period, show
from netsafe.store.db import Database

ACTOR = Actor("cli:curator")
NOV, DEC = date(2026, 11, 20), date(2026, 12, 4)


def test_checks_warnings_and_click_through(db: Database) -> None:
    lists.import_list(db, ACTOR, "iwf", "url", "files.example.org\n", "txt")
    checker = checking.Checker(db, refresh_seconds=0)
    entry = checking.check(db, checker, url="https://files.example.org/x", today=NOV)["entry_id"]
    for _ in range(11):
        checking.check(db, checker, url="https://files.example.org/x", today=DEC)
    for _ in range(3):
        checking.check(db, checker, url="https://example.com/", today=DEC)
    for n in range(20):
        checking.count_shown(db, checker, entry, "harm", today=DEC)
        if n < 10:
            checking.count_help(db, checker, entry, "harm", today=DEC)
    for _ in range(4):
        checking.count_shown(db, checker, entry, "traced", today=DEC)
    checker.flush()
    out = show(db, ACTOR, "deterrence")

    def cells(view: str, key: str) -> dict[str, object]:
        return {r[key]: r["count"] for r in out["rows"] if r["view"] == view}

    assert cells("checks_by_month", "month") == {"2026-11": 1, "2026-12": 14, "total": 15}
    assert cells("blocked_checks_by_month", "month") == {"2026-11": 1, "2026-12": 11, "total": 12}
    assert cells("warnings_by_variant", "variant") == {"harm": 20, "traced": 4, "total": 24}
    assert cells("help_clicks_by_variant", "variant") == {"harm": 10, "traced": 0, "total": 10}
    rates = {r["variant"]: r["value"] for r in out["rows"] if r["view"] == "click_through"}
    assert rates == {"harm": 50.0, "traced": 0.0}
    published = show(db, ACTOR, "deterrence", rule=Rule())
    rows = {(r["view"], r.get("variant")): r for r in published["rows"]}
    assert rows[("warnings_by_variant", "traced")]["count"] is None
    assert rows[("warnings_by_variant", "harm")]["count"] is None  # secondary: the total would give 4
    assert rows[("click_through", "harm")]["value"] == 50.0
    december = show(db, ACTOR, "deterrence", Period(date(2026, 12, 1), date(2026, 12, 31)))
    assert {r["month"]: r["count"] for r in december["rows"] if r["view"] == "checks_by_month"} == {
        "2026-12": 14,
        "total": 14,
    }
