"""The JSON guard agrees with a reference (Python's json module and a walk of the value) on any document,
however the bytes are cut into chunks."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from netsafe.hashsets.formats.jsonguard import (
    MAX_JSON_DEPTH,
    MAX_SCALAR_BYTES,
    MAX_STRING_BYTES,
    JsonGuard,
    JsonLimitError,
)

BUDGET = settings(max_examples=150, deadline=2000, suppress_health_check=[HealthCheck.too_slow])

# Strings heavy in what makes string boundaries hard to find: backslashes, quotes, escapes, brackets.
tricky_text = st.text(alphabet=st.sampled_from('ab\\"[]{}:,\n\x00é'), max_size=20)
long_text = st.integers(MAX_STRING_BYTES - 8, MAX_STRING_BYTES + 8).map(lambda n: "x" * n)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**30), 10**30),
    st.integers(MAX_SCALAR_BYTES - 2, MAX_SCALAR_BYTES + 2).map(lambda n: int("9" * n)),
    tricky_text,
    long_text,
)


def nested(depth: int, inner: Any, kind: str) -> Any:
    for _ in range(depth):
        inner = [inner] if kind == "list" else {"k": inner}
    return inner


values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=3),
        st.dictionaries(tricky_text, children, max_size=3),
        st.builds(
            nested,
            st.integers(MAX_JSON_DEPTH - 4, MAX_JSON_DEPTH + 2),
            children,
            st.sampled_from(["list", "dict"]),
        ),
    ),
    max_leaves=6,
)


def breaks(value: Any, depth: int = 0) -> bool:
    """True if ``value`` written by json.dumps breaks a limit."""
    if isinstance(value, list | dict):
        if depth + 1 > MAX_JSON_DEPTH:
            return True
        items = list(value.values()) if isinstance(value, dict) else value
        keys = list(value) if isinstance(value, dict) else []
        return any(breaks(k, depth + 1) for k in keys) or any(breaks(v, depth + 1) for v in items)
    if isinstance(value, str):
        return len(json.dumps(value, ensure_ascii=False).encode()) - 2 > MAX_STRING_BYTES
    if isinstance(value, int) and not isinstance(value, bool):
        return len(str(value)) > MAX_SCALAR_BYTES
    return False


@BUDGET
@given(
    value=values,
    cuts=st.lists(st.integers(1, 70_000), max_size=6) | st.lists(st.integers(1, 9), max_size=40),
    indent=st.sampled_from([None, 1]),
)
def test_guard_agrees_with_the_reference(value: Any, cuts: list[int], indent: int | None) -> None:
    data = json.dumps(value, ensure_ascii=False, indent=indent).encode()
    guard = JsonGuard()
    position = 0
    refused = False
    try:
        for size in [*cuts, len(data)]:
            if position >= len(data):
                break
            guard.feed(data[position : position + size])
            position += size
    except JsonLimitError as err:
        refused = True
        assert 0 <= err.offset <= len(data)
        assert "\n" not in err.message
    assert refused == breaks(value)
