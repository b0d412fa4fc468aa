"""SQL that both backends read alike: a month from a timestamp, days between dates, percentiles.

The dashboard must answer within a second over a million reports, so every figure is aggregated by the
database; these helpers hide the few places where SQLite and PostgreSQL spell things differently.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Float, Select, cast, func, literal, select
from sqlalchemy.orm import Session


def month(column: Any, dialect: str) -> ColumnElement[str]:
    if dialect == "postgresql":
        return func.to_char(func.timezone("UTC", column), "YYYY-MM")
    return func.strftime("%Y-%m", column)


def days_between(start: Any, end: Any, dialect: str) -> ColumnElement[float]:
    if dialect == "postgresql":
        return cast(end - start, Float)
    return func.julianday(end) - func.julianday(start)


def percentiles(
    session: Session, value: ColumnElement[Any], where: list[ColumnElement[bool]], group: Any = None
) -> dict[Any, tuple[int, float | None, float | None]]:
    """Per group: how many values, their median and their 90th percentile (nearest rank, as
    ``hotline/stats.py``), computed by window functions so only one row per group leaves the database."""
    partition = [group] if group is not None else []
    key = group if group is not None else literal(0)
    ranked = (
        select(
            key.label("g"),
            value.label("v"),
            func.row_number().over(partition_by=partition, order_by=value).label("r"),
            func.count().over(partition_by=partition).label("n"),
        )
        .where(*where)
        .subquery()
    )
    # The value at rank ceil(share * n) is the smallest whose rank r has r >= share * n.
    query: Select[Any] = select(
        ranked.c.g,
        func.max(ranked.c.n),
        func.min(ranked.c.v).filter(ranked.c.r >= 0.5 * ranked.c.n),
        func.min(ranked.c.v).filter(ranked.c.r >= 0.9 * ranked.c.n),
    ).group_by(ranked.c.g)
    out: dict[Any, tuple[int, float | None, float | None]] = {}
    for g, n, median, p90 in session.execute(query):
        out[g if group is not None else None] = (
            int(n),
            None if median is None else float(median),
            None if p90 is None else float(p90),
        )
    return out
