"""Disclosure control on tables built to reveal a cell through their total, and its properties."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from netsafe.stats.disclosure import Rule, hidden_cells, protect, rounded, share, shown
from netsafe.stats.settings import StatsSettings

ONS = Rule.from_settings(StatsSettings())


def test_default_is_the_ons_10_5_rule() -> None:
    assert Rule(10, 5) == ONS
    assert "under 10 suppressed" in ONS.name and "nearest 5" in ONS.name


def test_rounding_half_up_to_five() -> None:
    assert [rounded(v, 5) for v in (10, 12, 13, 17, 18, 1234)] == [10, 10, 15, 15, 20, 1235]


def test_one_small_cell_is_not_given_away_by_the_total() -> None:
    # 40 + 25 + 3 = 68: with only the 3 hidden, 70 - 40 - 25 would give it back.
    cells, total = protect({"A": 40, "B": 25, "C": 3}, ONS)
    assert cells["C"] is None
    assert cells["B"] is None  # the smallest other cell goes with it
    assert cells["A"] == 40 and total == 70


def test_two_small_hidden_cells_are_joined_by_a_third() -> None:
    # 2 + 3 hidden: total minus the rest would say "5 between them", both small.
    cells, total = protect({"A": 50, "B": 30, "C": 2, "D": 3}, ONS)
    hidden = {k for k, v in cells.items() if v is None}
    assert hidden == {"B", "C", "D"}
    assert total == 85


def test_small_total_hides_everything() -> None:
    cells, total = protect({"A": 4, "B": 3}, ONS)
    assert cells == {"A": None, "B": None} and total is None


def test_internal_view_is_exact() -> None:
    cells, total = protect({"A": 1, "B": 12}, None)
    assert cells == {"A": 1, "B": 12} and total == 13


def test_thresholds_are_config() -> None:
    rule = Rule.from_settings(StatsSettings(suppress_below=3, round_to=1))
    cells, total = protect({"A": 4, "B": 3, "C": 2}, rule)
    assert cells["C"] is None and total == 9
    assert shown(3, rule) == 3


def test_share_hides_a_small_part_or_a_small_rest() -> None:
    assert share(50, 100, ONS) == 50.0
    assert share(5, 100, ONS) is None
    assert share(95, 100, ONS) is None  # 5 not actionable would follow
    assert share(95, 100, None) == 95.0


tables = st.dictionaries(st.text(min_size=1, max_size=3), st.integers(0, 200), min_size=1, max_size=12)


@given(tables, st.integers(0, 30), st.integers(1, 10))
def test_properties(counts: dict[str, int], below: int, base: int) -> None:
    rule = Rule(below, base)
    cells, total = protect(counts, rule)
    hidden = [k for k, v in cells.items() if v is None]
    for key, value in cells.items():
        if value is not None:
            assert counts[key] >= below  # never a small number
            assert value % base == 0 and abs(value - counts[key]) <= base // 2
    if total is not None and hidden:
        # The total and the shown cells never pin down one hidden cell or show the hidden ones are small.
        assert len(hidden) >= 2
        assert sum(counts[k] for k in hidden) >= below
    assert set(hidden_cells(counts, rule)) == set(hidden)
