"""SQL that both backends read alike, and the small steps after it.

The dashboard must answer within a second over a million reports, so the database reduces the rows to a
few hundred groups in one scan per table (by day, by dimension, by tenth of an hour), and the groups are
added up here: never a loop over the records themselves. Percentiles come from the grouped counts
(a histogram), which a window function over a million rows could not match for speed.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from sqlalchemy import ColumnElement, Float, cast, func


def day(column: Any, dialect: str) -> ColumnElement[str]:
    """YYYY-MM-DD of a UTC timestamp; on SQLite the stored text's first ten characters (strftime is ten
    times slower over a million rows)."""
    if dialect == "postgresql":
        return func.to_char(func.timezone("UTC", column), "YYYY-MM-DD")
    return func.substr(column, 1, 10)


def date_text(column: Any, dialect: str) -> ColumnElement[str]:
    """YYYY-MM-DD of a date column."""
    if dialect == "postgresql":
        return func.to_char(column, "YYYY-MM-DD")
    return func.substr(column, 1, 10)


def days_between(start: Any, end: Any, dialect: str) -> ColumnElement[float]:
    if dialect == "postgresql":
        return cast(end - start, Float)
    return func.julianday(end) - func.julianday(start)


def percentile(histogram: Iterable[tuple[float, int]], share: float) -> float | None:
    """Nearest rank (the value at rank ceil(share * n), as ``hotline/stats.py``) from (value, count)."""
    ordered = sorted(histogram)
    total = sum(n for _, n in ordered)
    if total == 0:
        return None
    rank = max(1, math.ceil(share * total))
    seen = 0
    for value, n in ordered:
        seen += n
        if seen >= rank:
            return value
    return ordered[-1][0]


def month(column: Any, dialect: str) -> ColumnElement[str]:
    """YYYY-MM of a UTC timestamp."""
    if dialect == "postgresql":
        return func.to_char(func.timezone("UTC", column), "YYYY-MM")
    return func.substr(column, 1, 7)


def json_has(column: Any, key: str, dialect: str) -> ColumnElement[bool]:
    """Whether a JSON object column holds ``key`` (not SQLAlchemy's JSON index, which on SQLite quotes a
    missing key into the text 'null')."""
    if dialect == "postgresql":
        found: ColumnElement[Any] = column.op("->")(key)
        return found.is_not(None)
    return func.json_extract(column, f"$.{key}").is_not(None)
