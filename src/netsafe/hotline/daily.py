"""The reports summed per UTC day and dimension (``hotline_daily``), for the statistics.

A report counts under several ``(measure, day, key)`` facts: ``received`` on the day received; on the day
assessed ``assessed``, ``confirmed`` (outcome criminal), ``public_assessed`` and ``public_actionable``, and
for a confirmed report its ``category``, ``age_band``, ``site_type``, ``country`` and ``route`` (key
``unknown`` when not given); ``removal`` on the day removed, keyed by the time from first notice to removal
in tenths of an hour (:func:`bucket`). The facts are kept by the ORM's flush events on ``ReportRow``: the
facts a report had before the write are taken off and the ones it has after are added, in the same
transaction as the write itself, whichever hotline operation made it (intake, assessment, re-assessment,
linked and duplicate reports, removal, reopening). Writes that go around the ORM's unit of work (a bulk
``INSERT`` of many reports, as the benchmark does) must call :func:`rebuild` afterwards.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Integer,
    String,
    Table,
    and_,
    case,
    cast,
    delete,
    event,
    func,
    inspect,
    literal,
    select,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapper, Session

from netsafe.hotline.models import DailyRow, ReportRow

Fact = tuple[str, str, str]  # measure, day, key
UNKNOWN = "unknown"
DIMENSIONS = ("category", "age_band", "site_type", "country", "route")
# Months are shown for these; the others are added up over the period.
MONTHLY = ("received", "assessed", "confirmed")
_WATCHED = (
    "received_at", "assessed_at", "outcome", "source", *DIMENSIONS, "removed_at", "removed_after_seconds"
)  # fmt: skip
_PENDING = "netsafe.hotline.daily.before"
DAY, WEEK = 86_400, 7 * 86_400


def bucket(seconds: float) -> int:
    """Notice to removal in tenths of an hour, to the nearest tenth under a day, the nearest hour under a
    week and the nearest day beyond: fine enough for a median in a report, and few enough buckets per day
    for the summary to stay small. Half up, as :func:`_bucket_sql` does in the database."""
    if seconds < DAY:
        return math.floor(seconds / 360.0 + 0.5)
    if seconds < WEEK:
        return 10 * math.floor(seconds / 3600.0 + 0.5)
    return 240 * math.floor(seconds / 86400.0 + 0.5)


def _day(value: datetime) -> str:
    # SQLite gives back naive UTC, PostgreSQL aware times.
    return (value.astimezone(UTC) if value.tzinfo else value).date().isoformat()


def facts(report: Mapping[str, Any]) -> list[Fact]:
    out: list[Fact] = [("received", _day(report["received_at"]), "")]
    if report["assessed_at"] is not None:
        day = _day(report["assessed_at"])
        criminal = report["outcome"] == "criminal"
        public = report["source"] == "public"
        out.append(("assessed", day, ""))
        if public:
            out.append(("public_assessed", day, ""))
        if criminal:
            out.append(("confirmed", day, ""))
            out += [(name, day, str(report[name] or UNKNOWN)) for name in DIMENSIONS]
            if public:
                out.append(("public_actionable", day, ""))
    seconds = report["removed_after_seconds"]
    if seconds is not None and report["removed_at"] is not None:
        out.append(("removal", _day(report["removed_at"]), str(bucket(seconds))))
    return out


def _read(connection: Connection, report_id: int) -> list[Fact]:
    table = ReportRow.__table__
    found = connection.execute(
        select(*(table.c[name] for name in _WATCHED)).where(table.c.id == report_id)
    ).one_or_none()
    return [] if found is None else facts(dict(found._mapping))


def apply(connection: Connection, change: Counter[Fact]) -> None:
    """Add ``change`` (a count per fact, negative to take off) to the summary, dropping cells that reach 0:
    one multi-row upsert, in key order so two writers lock the cells they share in one order."""
    ordered = [(fact, n) for fact, n in sorted(change.items()) if n != 0]
    cells = [{"measure": m, "day": d, "key": k, "n": n} for (m, d, k), n in ordered]
    if not cells:
        return
    table = _table()
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    add = dialect.insert(table).values(cells)
    connection.execute(
        add.on_conflict_do_update(
            index_elements=["day", "measure", "key"], set_={"n": table.c.n + add.excluded.n}
        )
    )
    emptied = sorted({day for (_, day, _), n in ordered if n < 0})
    if emptied:
        # Any cell at 0 is an empty one, whichever write left it: the days' index finds them.
        connection.execute(delete(table).where(table.c.day.in_(emptied), table.c.n == 0))


def _table() -> Table:
    table = DailyRow.__table__
    assert isinstance(table, Table)
    return table


def _watched_changed(target: ReportRow) -> bool:
    attrs = inspect(target).attrs
    return any(attrs[name].history.has_changes() for name in _WATCHED)


@event.listens_for(ReportRow, "after_insert")
def _inserted(mapper: Mapper[Any], connection: Connection, target: ReportRow) -> None:
    apply(connection, Counter(_read(connection, target.id)))


@event.listens_for(ReportRow, "before_update")
def _updating(mapper: Mapper[Any], connection: Connection, target: ReportRow) -> None:
    # Always set, so what a failed flush left behind for this report is never taken for its state.
    before = _read(connection, target.id) if _watched_changed(target) else None
    connection.info.setdefault(_PENDING, {})[target.id] = before


@event.listens_for(ReportRow, "after_update")
def _updated(mapper: Mapper[Any], connection: Connection, target: ReportRow) -> None:
    before = connection.info.get(_PENDING, {}).pop(target.id, None)
    if before is not None:
        change = Counter(_read(connection, target.id))
        change.subtract(before)
        apply(connection, change)


@event.listens_for(ReportRow, "before_delete")
def _deleting(mapper: Mapper[Any], connection: Connection, target: ReportRow) -> None:
    change: Counter[Fact] = Counter()
    change.subtract(_read(connection, target.id))
    apply(connection, change)


def _day_sql(column: Any, dialect: str) -> ColumnElement[str]:
    if dialect == "postgresql":
        return func.to_char(func.timezone("UTC", column), "YYYY-MM-DD")
    return func.substr(column, 1, 10)  # the stored text "YYYY-MM-DD HH:MM:SS" (UTC)


def _bucket_sql(seconds: Any, dialect: str) -> ColumnElement[str]:
    def half_up(x: Any) -> Any:
        # Times are never negative: on SQLite truncation is floor; PostgreSQL's cast would round half even.
        return cast(func.floor(x + 0.5), Integer) if dialect == "postgresql" else cast(x + 0.5, Integer)

    tenths = case(
        (seconds < DAY, half_up(seconds / 360.0)),
        (seconds < WEEK, 10 * half_up(seconds / 3600.0)),
        else_=240 * half_up(seconds / 86400.0),
    )
    return cast(tenths, String)


def _grouped(dialect: str) -> list[Any]:
    """One grouped SELECT of ``(day, measure, key, n)`` per measure, as :func:`facts` counts them."""
    r = ReportRow.__table__.c
    assessed = _day_sql(r.assessed_at, dialect)
    done = r.assessed_at.is_not(None)
    criminal = r.outcome == "criminal"
    public = r.source == "public"

    def counted(measure: str, day: Any, key: Any, *where: Any) -> Any:
        return select(day, literal(measure, String), key, func.count()).where(*where).group_by(day, key)

    queries = [
        counted("received", _day_sql(r.received_at, dialect), literal("", String)),
        counted("assessed", assessed, literal("", String), done),
        counted("public_assessed", assessed, literal("", String), done, public),
        counted("confirmed", assessed, literal("", String), done, criminal),
        counted("public_actionable", assessed, literal("", String), done, criminal, public),
    ]
    for name in DIMENSIONS:
        queries.append(counted(name, assessed, func.coalesce(r[name], UNKNOWN), done, criminal))
    removed = and_(r.removed_after_seconds.is_not(None), r.removed_at.is_not(None))
    queries.append(
        counted(
            "removal", _day_sql(r.removed_at, dialect), _bucket_sql(r.removed_after_seconds, dialect), removed
        )
    )
    return queries


def rebuild_on(connection: Connection) -> None:
    """Refill the summary from the reports (the migration, :func:`rebuild`); a few grouped scans."""
    table = _table()
    connection.execute(delete(table))
    for query in _grouped(connection.dialect.name):
        connection.execute(table.insert().from_select(["day", "measure", "key", "n"], query))


def rebuild(session: Session) -> None:
    rebuild_on(session.connection())
