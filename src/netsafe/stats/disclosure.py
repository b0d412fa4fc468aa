"""Disclosure control: what a published table may show.

The ONS "10-5 rule" by default (``StatsSettings``): a count under 10 is suppressed (primary suppression),
every other count is rounded to the nearest 5. A table's total is shown, so a single hidden cell would be
the total minus the others: secondary suppression hides the smallest other cells until at least two are
hidden and the hidden cells together reach the threshold, so the difference names neither of them nor
shows that they are all small. The internal view (``rule=None``) shows every count as it is.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:  # pydantic is 70 ms of the command line's start, which imports this module for --help
    from netsafe.stats.settings import StatsSettings

K = TypeVar("K")

INTERNAL_NAME = "internal: unsuppressed counts (not for publication)"


@dataclass(frozen=True, slots=True)
class Rule:
    suppress_below: int = 10
    round_to: int = 5

    @staticmethod
    def from_settings(settings: StatsSettings) -> Rule:
        return Rule(settings.suppress_below, settings.round_to)

    @property
    def name(self) -> str:
        return (
            f"published: counts under {self.suppress_below} suppressed, others rounded to the nearest "
            f"{self.round_to}, with secondary suppression against totals"
        )


def describe(rule: Rule | None) -> str:
    return INTERNAL_NAME if rule is None else rule.name


def rounded(value: int, base: int) -> int:
    """Half up, so 12 -> 10 and 13 -> 15 with base 5 (a count is never negative)."""
    return (value + base // 2) // base * base if base > 1 else value


def shown(value: int, rule: Rule | None) -> int | None:
    """One count on its own, with no total to protect."""
    if rule is None:
        return value
    return None if value < rule.suppress_below else rounded(value, rule.round_to)


def hidden_cells(counts: Mapping[K, int], rule: Rule) -> set[K]:
    """Primary then secondary suppression of the cells of one table whose total is shown."""
    hidden = {key for key, value in counts.items() if value < rule.suppress_below}
    if not hidden:
        return hidden
    # Smallest first: the cheapest cells to give up; ties in the table's order, so the answer is stable.
    others = sorted((k for k in counts if k not in hidden), key=lambda k: counts[k])
    while others and (len(hidden) < 2 or sum(counts[k] for k in hidden) < rule.suppress_below):
        hidden.add(others.pop(0))
    return hidden


def protect(counts: Mapping[K, int], rule: Rule | None) -> tuple[dict[K, int | None], int | None]:
    """A table's cells and its total (the sum of the cells) as the rule lets them be shown."""
    total = sum(counts.values())
    if rule is None:
        return dict(counts), total
    hidden = hidden_cells(counts, rule)
    cells = {k: None if k in hidden else rounded(v, rule.round_to) for k, v in counts.items()}
    return cells, shown(total, rule)


def share(part: int, whole: int, rule: Rule | None) -> float | None:
    """A percentage, one decimal; published only when neither the part nor the rest is a small count,
    since either one follows from the share and the whole."""
    small = rule is not None and min(part, whole - part) < rule.suppress_below
    if whole == 0 or small:
        return None
    return round(100.0 * part / whole, 1)
