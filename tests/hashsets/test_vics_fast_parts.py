"""Parts of the fast VICS reading against the plain rule they stand for, on any input."""

from __future__ import annotations

import re
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from netsafe.hashsets.formats.vics_fast import _hash

_HEX = re.compile(r"[0-9a-fA-F]+").fullmatch


def _rule(value: Any, length: int) -> str | None:
    if value is None or value == "":
        return ""
    if type(value) is str and len(value) == length and _HEX(value):
        return value.lower()
    return None


_NEAR_HEX = st.text(
    alphabet=st.one_of(
        st.sampled_from("0123456789abcdefABCDEF"),
        st.sampled_from(" \t\n\r\x0b\x0c\x1c\x85\xa0\u3000\ud800xg+-_٣０"),
    ),
    max_size=66,
)


@st.composite
def _spaced_hex(draw: st.DrawFn) -> str:
    """Hex digit pairs with whitespace between some (what bytes.fromhex also reads), of a hash's length."""
    length = draw(st.sampled_from([4, 32, 40, 64]))
    pairs = [draw(st.sampled_from(["0a", "FF", "9b", "c3"])) for _ in range(length // 2)]
    for _ in range(draw(st.integers(1, 3))):
        at = draw(st.integers(0, len(pairs)))
        pairs.insert(at, draw(st.sampled_from([" ", "\t", "\n", "  "])))
    return "".join(pairs)[:length]


@settings(max_examples=2000, deadline=None)
@given(
    st.one_of(
        _NEAR_HEX, _spaced_hex(), st.text(max_size=66), st.none(), st.integers(), st.binary(max_size=4)
    ),
    st.sampled_from([4, 32, 40, 64]),
)
def test_a_hash_is_taken_as_the_rule_says(value: Any, length: int) -> None:
    assert _hash(value, length) == _rule(value, length)


def test_whitespace_inside_a_hash_of_the_right_length_is_not_taken() -> None:
    for value in ("ab cd ef", "abcdef 1", " abcdef1", "ab\tcd\nef"):
        assert _hash(value, 8) is None
    assert _hash("ABCDEF12", 8) == "abcdef12"
