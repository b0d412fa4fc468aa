"""Issue 18 item 6: the hash-list CSV export is safe to open in a spreadsheet (no cell is a live formula)
and still re-imports to exactly the same entries."""

from __future__ import annotations

import csv as _csv
import io

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from netsafe.hashsets.formats import csv
from netsafe.hashsets.model import Entry
from netsafe.textsafe import formula_escaped, formula_unescaped

from .helpers import errors, read_bytes, to_bytes
from .strategies import SIGNAL_STRATEGIES, hexes

MD5 = "d41d8cd98f00b204e9800998ecf8427e"
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Text that starts like a formula, possibly behind quotes a spreadsheet user typed themselves.
_HEADS = st.sampled_from(["", "'", "''", "=", "+", "-", "@", "\t", "\r", "'=", "''+", "'@", "'\t"])
hostile_text = st.builds(lambda head, tail: head + tail, _HEADS, st.text(max_size=20)).filter(
    lambda s: s.strip() != ""
)


@st.composite
def hostile_entries(draw: st.DrawFn) -> Entry:
    return Entry(
        signals={"md5": draw(hexes(16)), "photodna": draw(SIGNAL_STRATEGIES["photodna"])},
        source_id=draw(st.none() | hostile_text),
        series=draw(st.none() | hostile_text),
        comments=draw(st.none() | hostile_text),
        mime_type=draw(st.none() | hostile_text),
        tags=draw(st.lists(hostile_text, max_size=3)),
        media_files=draw(st.lists(st.fixed_dictionaries({"FileName": hostile_text}), max_size=1)),
        extra=draw(st.dictionaries(hostile_text, hostile_text, max_size=2)),
    )


def _cells(data: bytes) -> list[str]:
    return [cell for row in _csv.reader(io.StringIO(data.decode())) for cell in row]


@SETTINGS
@given(entries=st.lists(hostile_entries(), max_size=4, unique_by=lambda e: e.key()))
def test_csv_export_has_no_formula_and_round_trips(entries: list[Entry]) -> None:
    data = to_bytes(csv.write, entries)
    assert not [c for c in _cells(data) if c.startswith(FORMULA_START)]
    again, issues = read_bytes(csv.read, data)
    assert errors(issues) == [], issues
    assert len(again) == len(entries)
    for before, after in zip(entries, again, strict=True):
        assert before.same_content(after), (before, after)
    assert to_bytes(csv.write, again) == data


def test_formula_comment_is_written_as_text() -> None:
    entry = Entry(signals={"md5": MD5}, comments='=HYPERLINK("http://127.0.0.1/x","click")', tags=["@SUM(1)"])
    data = to_bytes(csv.write, [entry])
    row = next(r for r in _csv.DictReader(io.StringIO(data.decode())))
    assert row["comments"] == '\'=HYPERLINK("http://127.0.0.1/x","click")'
    assert row["tags"] == "'@SUM(1)" and row["md5"] == MD5
    (again,), _ = read_bytes(csv.read, data)
    assert again.comments == entry.comments and again.tags == ["@SUM(1)"]


def test_quote_before_a_formula_character_round_trips() -> None:
    # The text itself starts with a quote: one more is added and exactly that one is taken off.
    assert formula_escaped("'=1") == "''=1" and formula_unescaped("''=1") == "'=1"
    assert formula_escaped("'hello") == "'hello" and formula_unescaped("'hello") == "'hello"
    assert formula_unescaped("'" + MD5) == "'" + MD5


@given(st.text())
def test_escape_is_exactly_reversed(text: str) -> None:
    escaped = formula_escaped(text)
    assert not escaped.startswith(FORMULA_START)
    assert formula_unescaped(escaped) == text
