"""The lookup service's reading of what people and platforms send: one rule, never a crash."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from netsafe.errors import InvalidInput
from netsafe.services.lookup import (
    MAX_DISTANCE,
    distance_from_text,
    hashset_choice,
    lookup_options,
    signals_query,
    typed_queries,
)
from netsafe.signals.types import parse_typed

HEX = st.text("0123456789abcdefABCDEF", min_size=1, max_size=300)
HASHES = st.one_of(
    st.text("0123456789abcdef", min_size=32, max_size=32),
    st.text("0123456789abcdef", min_size=40, max_size=40),
    st.text("0123456789abcdef", min_size=64, max_size=64),
    st.text("0123456789abcdef", min_size=64, max_size=64).map(lambda h: f"pdq:{h}"),
)


@given(st.text(max_size=2000))
def test_any_typed_text_is_queries_or_one_line_of_invalid_input(text: str) -> None:
    try:
        queries = typed_queries(text)
    except InvalidInput as err:
        assert "\n" not in str(err) and len(str(err)) < 400
        return
    assert queries and all(q.signals and q.kind == "hash" for q in queries)


@given(st.lists(HASHES, min_size=1, max_size=20), st.sampled_from(["\n", " ", "\t", "\r\n  "]))
def test_several_hashes_are_several_queries_each_read_by_parse_typed(hashes: list[str], sep: str) -> None:
    queries = typed_queries(sep.join(hashes))
    assert [q.query for q in queries] == hashes
    assert [q.signals for q in queries] == [parse_typed(h) for h in hashes]


@pytest.mark.parametrize("text", ["pdq " + "ab" * 32, "pdq: " + "ab" * 32, "PDQ:" + "AB" * 32])
def test_a_signal_name_may_stand_before_its_hash(text: str) -> None:
    [query] = typed_queries(text)
    assert query.signals == {"pdq": "ab" * 32}


@given(st.dictionaries(st.text(max_size=12), st.text(max_size=100), max_size=6))
def test_named_signals_are_one_query_or_invalid_input(signals: dict[str, str]) -> None:
    try:
        query = signals_query(signals)
    except InvalidInput as err:
        assert "\n" not in str(err)
        return
    assert query.signals and query.kind == "signals"


@given(st.text(max_size=20))
def test_a_distance_typed_in_a_form_is_within_the_cap_or_invalid(text: str) -> None:
    try:
        value = distance_from_text(text)
    except InvalidInput:
        return
    assert value is None or 0 <= value <= MAX_DISTANCE


def test_the_cap_and_the_choice_of_sets() -> None:
    assert MAX_DISTANCE == 64
    assert hashset_choice(["a, b:12", "c"]) == (("a", "b", "c"), {"b": 12})
    for bad in (dict(max_distance=65), dict(max_distance=-1), dict(min_quality=101), dict(hashsets=["a:65"])):
        with pytest.raises(InvalidInput):
            lookup_options(**bad)  # type: ignore[arg-type]
    assert lookup_options(max_distance=64).max_distance == 64
