"""List files under hypothesis: any text gives entries or one ListFileError line, never anything else."""

from __future__ import annotations

import csv
import io
import json
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from netsafe.deterrence.importers import ListFileError, read_entries
from netsafe.deterrence.keywords import KeywordError, KeywordMatcher, pattern
from netsafe.deterrence.textnorm import normalise

texts = st.text(max_size=300)
entries = st.text(
    st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp")), min_size=1, max_size=40
).filter(lambda s: s.strip() and s.isprintable() and not s.strip().startswith("#"))


@settings(max_examples=200, deadline=None)
@given(text=texts, fmt=st.sampled_from(["txt", "csv", "json"]), kind=st.sampled_from(["url", "keyword"]))
def test_any_text_is_entries_or_one_line(text: str, fmt: str, kind: str) -> None:
    try:
        got = read_entries(text, fmt, kind, where="list.txt")
    except ListFileError as err:
        message = str(err)
        assert "\n" not in message and message.startswith("list.txt")
        return
    for entry in got:
        assert entry.text == entry.text.strip() and entry.text


@settings(max_examples=100, deadline=None)
@given(values=st.lists(entries, min_size=1, max_size=20))
def test_every_format_reads_back_what_was_written(values: list[str]) -> None:
    expected = [v.strip() for v in values]
    txt = "\n".join(values)
    assert [e.text for e in read_entries(txt, "txt", "keyword")] == expected
    data = json.dumps([{"term": v, "source": "s", "date": "2026-01-02"} for v in values])
    got = read_entries(data, "json", "keyword")
    assert [e.text for e in got] == expected
    assert all(e.source == "s" and e.listed == date(2026, 1, 2) for e in got)
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(["term", "date", "source", "match"])
    writer.writerows([v, "2026-01-02", "s", "inside"] for v in values)
    got = read_entries(buf.getvalue(), "csv", "keyword")
    assert [e.text for e in got] == expected and all(e.inside for e in got)


@pytest.mark.parametrize(
    ("text", "fmt", "message"),
    [
        ("url,date\nhttp://x.example/,yesterday\n", "csv", "list.csv:2: date: give a date as YYYY-MM-DD"),
        ("host,date\nx.example,\n,2026-01-01\n", "csv", "list.csv:3: host: empty"),
        ("when,who\n", "csv", "list.csv:1: no column named url or entry or host in the header"),
        ('{"url": 1}', "json", "list.csv: a JSON list file is an array of strings or objects"),
        ('["a", 3]', "json", "list.csv:2: an entry is a string or an object"),
        ('[{"url": "x", "match": "all"}]', "json", "list.csv:1: match: word or inside"),
    ],
)
def test_bad_files_name_the_line(text: str, fmt: str, message: str) -> None:
    with pytest.raises(ListFileError) as caught:
        read_entries(text, fmt, "url", where="list.csv")
    assert str(caught.value) == message


@settings(max_examples=300, deadline=None)
@given(text=st.text(max_size=200))
def test_normalise_is_total_and_stable(text: str) -> None:
    got = normalise(text)
    assert got.startswith(" ") and got.endswith(" ") and "  " not in got
    assert normalise(got) == got


@settings(max_examples=200, deadline=None)
@given(term=st.text(min_size=1, max_size=30))
def test_a_term_is_found_as_words_between_others(term: str) -> None:
    try:
        pat = pattern(term)
    except KeywordError:
        return
    if all(len(w) > 1 for w in pat.split()):  # else neighbouring single letters would join it
        assert KeywordMatcher([(1, 1, pat)]).find(f"xx {term} yy") is not None
