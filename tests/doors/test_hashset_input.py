"""Untrusted input of the hash-set doors: names and ``hashset add --entries`` lines (hypothesis)."""

from __future__ import annotations

import json
import re
import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from netsafe.cli.hashset_edit_cmd import _read_entries
from netsafe.errors import InvalidInput
from netsafe.services.hashset_rules import InvalidNameError, check_new_name, name_ok

RULE = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]{0,199}")


@given(st.text(max_size=250) | st.from_regex(RULE, fullmatch=True))
def test_the_name_rule_is_one_regular_language(name: str) -> None:
    assert name_ok(name) == bool(RULE.fullmatch(name))
    if name_ok(name):
        assert check_new_name(name) == name
    else:
        with pytest.raises(InvalidNameError) as caught:
            check_new_name(name)
        assert "\n" not in str(caught.value) and len(str(caught.value)) < 300


@pytest.mark.parametrize("name", ["a/b", "..", ".hidden", "a b", "", "x" * 201, "é", "a\x00b", "a\\b"])
def test_names_a_url_cannot_carry_are_refused(name: str) -> None:
    assert not name_ok(name)


@pytest.mark.parametrize("name", ["caid", "IWF-2026.11", "bank_1", "-x", "a.", "x" * 200])
def test_ordinary_names_are_allowed(name: str) -> None:
    assert name_ok(name)


entry_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=40),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12,
)
lines = st.one_of(
    st.text(max_size=200),
    st.dictionaries(
        st.sampled_from(["signals", "category", "source_id", "series", "tags", "comments", "other"]),
        entry_values,
        max_size=6,
    ).map(json.dumps),
    st.just("[" * 5000 + "]" * 5000),
)


@settings(max_examples=200, deadline=None)
@given(st.lists(lines, max_size=6))
def test_entry_lines_are_read_or_refused_with_one_line(found: list[str]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "entries.jsonl"
        path.write_text(
            "\n".join(x.replace("\n", " ") for x in found) + "\n", encoding="utf-8", errors="replace"
        )
        try:
            entries = _read_entries(path)
        except InvalidInput as err:
            text = str(err)
            assert "\n" not in text and text.startswith(("entries.jsonl", str(path)))
            return
    for entry in entries:
        assert isinstance(entry.signals, dict) and entry.where.startswith("entries.jsonl:")
