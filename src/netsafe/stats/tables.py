"""Rows of a section: one table (a view and its dimension) at a time, its cells under the rule, then its
total, so every door shows the same shape: ``{"view", <dimension>: key, "count"}`` with a suppressed cell
as ``None``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from netsafe.stats.disclosure import Rule, protect, share, shown

TOTAL = "total"


def table(view: str, dimension: str, counts: Mapping[str, int], rule: Rule | None) -> list[dict[str, Any]]:
    cells, total = protect(dict(counts), rule)
    rows = [{"view": view, dimension: key, "count": value} for key, value in cells.items()]
    rows.append({"view": view, dimension: TOTAL, "count": total})
    return rows


def count(view: str, measure: str, value: int, rule: Rule | None) -> dict[str, Any]:
    return {"view": view, "measure": measure, "count": shown(value, rule)}


def percent(view: str, measure: str, part: int, whole: int, rule: Rule | None) -> dict[str, Any]:
    return {"view": view, "measure": measure, "value": share(part, whole, rule)}


def measure(
    view: str, measure: str, n: int, value: float | None, rule: Rule | None, **keys: str
) -> dict[str, Any]:
    """A median or percentile: published only when the count it is drawn from would be."""
    hide = rule is not None and n < rule.suppress_below
    return {"view": view, **keys, "measure": measure, "value": None if hide else value}


def cross(
    view: str, dimensions: tuple[str, str], counts: Mapping[tuple[str, str], int], rule: Rule | None
) -> list[dict[str, Any]]:
    """A two-way table (month by category, set by status) as one table of cells with one total, so the
    rule's secondary suppression covers its cells as it does a one-way table's."""
    cells, total = protect(dict(counts), rule)
    first, second = dimensions
    rows = [{"view": view, first: a, second: b, "count": value} for (a, b), value in cells.items()]
    rows.append({"view": view, first: TOTAL, second: TOTAL, "count": total})
    return rows
