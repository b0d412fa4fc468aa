"""The hotline's daily summary gives exactly the figures the direct queries over the reports give: after
any mix of new reports, assessments, re-assessments, removals, reopenings and deletions (hypothesis), and
after the hotline's own commands (hand counts)."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, func, select

from netsafe.audit.service import Actor
from netsafe.hotline.assessment import Verdict, assess
from netsafe.hotline.closing import close
from netsafe.hotline.daily import rebuild
from netsafe.hotline.intake import NewReport, submit
from netsafe.hotline.models import DailyRow, ReportRow
from netsafe.hotline.states import Outcome
from netsafe.stats.service import Period, show
from netsafe.store.db import Database

ACTOR = Actor("user:senior")
START = datetime(2026, 9, 28, tzinfo=UTC)
ITEM_VIEWS = ("items_by_sex", "reports_self_generated", "reports_commercial")
DIMENSIONS = ("category", "age_band", "site_type", "country", "route")


def _tenths(seconds: float) -> int:
    """The documented resolution, written out again: a tenth of an hour, an hour past a day, a day past a
    week, rounded half up."""
    hours = seconds / 3600.0
    if hours < 24:
        return math.floor(hours * 10 + 0.5)
    if hours < 168:
        return 10 * math.floor(hours + 0.5)
    return 240 * math.floor(hours / 24 + 0.5)


def direct(db: Database, period: Period) -> dict[str, dict[str, Any]]:
    """The hotline figures straight from hotline_reports, a query per view, as before the summary."""
    out: dict[str, dict[str, Any]] = {}
    r = ReportRow
    with db.session() as session:
        for view, column in (("received", r.received_at), ("assessed", r.assessed_at)):
            out[f"{view}_by_month"] = _by_month(session, column, period)
        out["confirmed_by_month"] = _by_month(session, r.assessed_at, period, r.outcome == "criminal")
        assessed = [r.assessed_at.is_not(None), *period.times(r.assessed_at)]
        public = [*assessed, r.source == "public"]
        out["public_reports"] = {
            "assessed": session.scalar(select(func.count()).select_from(r).where(*public)),
            "actionable": session.scalar(
                select(func.count()).select_from(r).where(*public, r.outcome == "criminal")
            ),
        }
        for name in DIMENSIONS:
            column = getattr(r, name)
            found = session.execute(
                select(column, func.count()).where(*assessed, r.outcome == "criminal").group_by(column)
            )
            out[f"by_{name}"] = {str(k or "unknown"): n for k, n in found}
        removed = session.scalars(
            select(r.removed_after_seconds).where(
                r.removed_after_seconds.is_not(None), r.removed_at.is_not(None), *period.times(r.removed_at)
            )
        ).all()
    hours = sorted(_tenths(s) / 10.0 for s in removed)
    out["notice_to_removal"] = {
        "median_hours": hours[math.ceil(0.5 * len(hours)) - 1] if hours else None,
        "p90_hours": hours[math.ceil(0.9 * len(hours)) - 1] if hours else None,
    }
    return {k: {key: n for key, n in v.items() if n} if "_by_" in k or k.startswith("by_") else v
            for k, v in out.items()}  # fmt: skip


def _by_month(session: Any, column: Any, period: Period, *where: Any) -> dict[str, int]:
    found: dict[str, int] = {}
    for (value,) in session.execute(select(column).where(column.is_not(None), *period.times(column), *where)):
        month = (value.astimezone(UTC) if value.tzinfo else value).strftime("%Y-%m")
        found[month] = found.get(month, 0) + 1
    return found


def summarised(db: Database, period: Period) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for row in show(db, ACTOR, "hotline", period)["rows"]:
        if row["view"] in ITEM_VIEWS or row["view"] == "removal_time":
            continue
        if "measure" in row:
            if row["measure"] != "actionable_percent":
                out.setdefault(row["view"], {})[row["measure"]] = row.get("count", row.get("value"))
            continue
        key = next(v for k, v in row.items() if k not in ("view", "count"))
        cells = out.setdefault(row["view"], {})
        if key != "total":
            cells[key] = row["count"]
    return out


def table(db: Database) -> set[tuple[str, str, str, int]]:
    with db.session() as session:
        return {
            tuple(r)
            for r in session.execute(select(DailyRow.day, DailyRow.measure, DailyRow.key, DailyRow.n))
        }  # type: ignore[misc]


def check_against_direct(db: Database) -> None:
    kept = table(db)
    with db.session() as session:
        rebuild(session)
    assert table(db) == kept, "the summary kept by the writes differs from one rebuilt from the reports"
    for period in (Period(), Period(date(2026, 10, 1), date(2026, 10, 31)), Period(date(2026, 10, 17), None)):
        assert summarised(db, period) == direct(db, period), period


times = st.integers(0, 80 * 24).map(lambda h: START + timedelta(hours=h, minutes=7))
removal = st.one_of(
    st.floats(0, 40 * 86400, allow_nan=False, allow_subnormal=False),  # real ones are whole microseconds
    st.sampled_from([0.0, 179.9, 180.0, 86399.0, 86400.0, 84419.0, 604799.0, 604800.0, 5.5 * 86400]),
)
fields = st.fixed_dictionaries(
    {},
    optional={
        "received_at": times,
        "assessed_at": st.none() | times,
        "outcome": st.sampled_from([None, "criminal", "not_criminal", "duplicate"]),
        "source": st.sampled_from(["public", "partner:a"]),
        "category": st.sampled_from([None, "A", "B", "C"]),
        "age_band": st.sampled_from([None, "0-2", "11-13"]),
        "site_type": st.sampled_from([None, "forum", "image-host"]),
        "country": st.sampled_from([None, "NL", "US"]),
        "route": st.sampled_from([None, "host", "police"]),
        "removed": st.none() | st.tuples(times, removal),
    },
)
steps = st.lists(
    st.tuples(st.sampled_from(["new", "new", "change", "change", "delete"]), st.integers(0, 50), fields),
    min_size=1,
    max_size=25,
)


def _set(row: ReportRow, values: dict[str, Any]) -> None:
    for name, value in values.items():
        if name == "removed":
            row.removed_at, row.removed_after_seconds = value if value else (None, None)
        else:
            setattr(row, name, value)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=steps)
def test_the_summary_gives_the_direct_figures_after_any_writes(db: Database, steps: list[Any]) -> None:
    with db.session() as session:
        session.execute(delete(ReportRow))
        session.execute(delete(DailyRow))
    for n, (kind, index, values) in enumerate(steps):
        with db.session() as session:  # a transaction per write, as the commands make them
            ids = session.scalars(select(ReportRow.id).order_by(ReportRow.id)).all()
            if kind == "new" or not ids:
                row = ReportRow(
                    reference=f"HL-T-{n}", url="u", normalised_url="u", host="example.org", source="public",
                    status="received", received_at=START,
                )  # fmt: skip
                _set(row, values)
                session.add(row)
            elif kind == "change":
                target = session.get(ReportRow, ids[index % len(ids)])
                assert target is not None
                _set(target, values)
            else:
                session.delete(session.get(ReportRow, ids[index % len(ids)]))
    check_against_direct(db)


def test_the_commands_keep_the_summary(db: Database) -> None:
    """Hand counts: 5 public and 2 partner reports; 4 assessed criminal (one re-assessed on appeal from A
    to B), 1 not criminal; one confirmed report removed after 30 hours, then one closed."""
    day = datetime(2026, 10, 5, 9, tzinfo=UTC)
    public = submit(db, ACTOR, [NewReport(f"https://example.org/p{n}") for n in range(5)], "public", day)
    partner = submit(db, ACTOR, [NewReport(f"https://example.org/q{n}") for n in range(2)], "partner:a", day)
    refs = [i.reference for i in public + partner]
    later = day + timedelta(days=30)  # November
    for ref, category in zip(refs[:4], "AACB", strict=True):
        assess(
            db,
            ACTOR,
            "ann",
            ref,
            Verdict(Outcome.CRIMINAL, site_type="forum", category=category, age_band="11-13"),
            now=later,
        )
    assess(db, ACTOR, "ann", refs[5], Verdict(Outcome.NOT_CRIMINAL), now=later)
    appeal = Verdict(Outcome.CRIMINAL, site_type="forum", category="B", age_band="11-13")
    assess(db, ACTOR, "bob", refs[0], appeal, appeal=True, now=later)
    with db.session() as session:  # the monitor's write, without its fetch
        report = session.scalars(select(ReportRow).where(ReportRow.reference == refs[1])).one()
        report.removed_at, report.removed_after_seconds = later + timedelta(hours=30), 30 * 3600.0
    close(db, ACTOR, refs[6], "sent by mistake", now=later)
    out = summarised(db, Period())
    assert out["received_by_month"] == {"2026-10": 7}
    assert out["assessed_by_month"] == {"2026-11": 5}
    assert out["confirmed_by_month"] == {"2026-11": 4}
    assert out["public_reports"] == {"assessed": 4, "actionable": 4}
    assert out["by_category"] == {"A": 1, "B": 2, "C": 1}
    assert out["by_site_type"] == {"forum": 4}
    assert out["by_age_band"] == {"11-13": 4}
    assert out["notice_to_removal"] == {"median_hours": 30.0, "p90_hours": 30.0}
    check_against_direct(db)


@pytest.mark.parametrize(
    ("seconds", "tenths"),
    [(0, 0), (179.9, 0), (180, 1), (86399, 240), (84419, 234), (86400, 240), (5.5 * 86400, 1320),
     (604800, 1680), (9.4 * 86400, 2160)],
)  # fmt: skip
def test_removal_buckets(seconds: float, tenths: int) -> None:
    from netsafe.hotline.daily import bucket

    assert bucket(seconds) == tenths == _tenths(seconds)


def test_the_migration_fills_the_summary_from_the_reports_held(db: Database) -> None:
    from netsafe.store.migrate import downgrade, upgrade

    test_the_commands_keep_the_summary(db)
    kept = table(db)
    downgrade(db, "0012")
    upgrade(db)
    assert table(db) == kept and len(kept) > 10
