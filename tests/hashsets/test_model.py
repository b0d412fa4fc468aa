from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from netsafe.hashsets.model import (
    Entry,
    EntryError,
    ImportIssue,
    Vote,
    consensus,
    normalise_signal,
    parse_bool,
    parse_time,
    photodna_bytes,
)
from netsafe.signals.codecs import HashFormatError
from netsafe.signals.vpdq import VpdqFrame

T0 = datetime(2024, 1, 1, tzinfo=UTC)
MD5 = "0123456789abcdef0123456789abcdef"
SHA1 = "0123456789abcdef0123456789abcdef01234567"
SHA256 = "ab" * 32


def vote(grader: str, category: str | None, minutes: int = 0, disputed: bool = False) -> Vote:
    return Vote(grader=grader, category=category, at=T0 + timedelta(minutes=minutes), disputed=disputed)


def test_key_prefers_source_id_then_strongest_hash() -> None:
    assert Entry(source_id="42", signals={"md5": MD5}).key() == ("id", "42")
    assert Entry(signals={"md5": MD5, "sha1": SHA1}).key() == ("sha1", SHA1)
    assert Entry(signals={"md5": MD5, "sha1": SHA1, "sha256": SHA256}).key() == ("sha256", SHA256)
    assert Entry(signals={"pdq": "f" * 64}).key() == ("pdq", "f" * 64)
    frames = [VpdqFrame(0, 0.0, 100, "0" * 64)]
    assert Entry(vpdq=frames).key()[0] == "vpdq"
    with pytest.raises(EntryError):
        Entry().key()


def test_photodna_hex_and_base64_are_one_identity() -> None:
    raw = bytes(range(144))
    as_hex = raw.hex().upper()
    import base64

    as_b64 = base64.b64encode(raw).decode()
    assert normalise_signal("photodna", as_hex) == as_hex  # verbatim, case kept
    assert normalise_signal("photodna", as_b64) == as_b64
    assert photodna_bytes(as_b64) == raw
    assert Entry(signals={"photodna": as_hex}).key() == Entry(signals={"photodna": as_b64}).key()


@pytest.mark.parametrize(
    ("signal", "value"),
    [("pdq", "a" * 32), ("md5", "z" * 32), ("sha1", "a" * 41), ("photodna", "a" * 100), ("foo", "aa")],
)
def test_bad_signal_values_are_rejected(signal: str, value: str) -> None:
    with pytest.raises(HashFormatError):
        normalise_signal(signal, value)


def test_problems_lists_every_bad_field() -> None:
    entry = Entry(signals={"md5": "xyz", "pdq": "a" * 32}, media_size=-1)
    fields = [f for f, _ in entry.problems()]
    assert fields == ["md5", "pdq", "media_size"]
    assert Entry(signals={"md5": MD5}).problems() == []
    assert Entry().problems() == [("signals", "entry has no hash and no id")]


def test_same_content_ignores_provenance_only() -> None:
    a = Entry(signals={"md5": MD5}, origin_file="a.json", origin_record=1)
    b = Entry(signals={"md5": MD5}, origin_file="b.csv", origin_record=9)
    assert a.same_content(b)
    b.tags.append("x")
    assert not a.same_content(b)


def test_import_issue_text() -> None:
    issue = ImportIssue("list.json", 17, "PDQ", "expected 64 hex characters")
    assert str(issue) == "list.json:17: field PDQ: expected 64 hex characters"
    assert str(ImportIssue("x.txt", 0, None, "empty file")) == "x.txt:0: empty file"
    assert "warning:" in str(ImportIssue("x", 1, "Foo", "unknown field", severity="warning"))


def test_three_independent_undisputed_votes_are_trusted() -> None:
    result = consensus([vote("ann", "A"), vote("bob", "A", 1), vote("cat", "A", 2)])
    assert result.trusted and result.category == "A" and result.agreeing == 3
    assert result.disagreements == []


def test_same_grader_counts_once_and_latest_vote_wins() -> None:
    votes = [vote("ann", "A"), vote("ann", "A", 1), vote("bob", "A", 2)]
    assert not consensus(votes).trusted
    changed = [vote("ann", "B"), vote("bob", "A", 1), vote("cat", "A", 2), vote("ann", "A", 3)]
    assert consensus(changed).trusted


def test_a_dispute_or_disagreement_blocks_trust_and_is_listed() -> None:
    disputed = [
        vote("ann", "A"),
        vote("bob", "A", 1),
        vote("cat", "A", 2),
        vote("dan", "A", 3, disputed=True),
    ]
    result = consensus(disputed)
    assert not result.trusted
    assert [v.grader for v in result.disagreements] == ["dan"]
    other = [vote("ann", "A"), vote("bob", "A", 1), vote("cat", "A", 2), vote("dan", "B", 3)]
    result = consensus(other)
    assert not result.trusted and result.category == "A"
    assert [v.category for v in result.disagreements] == ["B"]
    assert consensus(other, tolerated_disagreements=1).trusted


def test_configurable_threshold_and_ties() -> None:
    assert consensus([vote("ann", "C"), vote("bob", "C", 1)], required=2).trusted
    tie = consensus([vote("ann", "A"), vote("bob", "B", 1)], required=1)
    assert not tie.trusted and tie.category is None and len(tie.disagreements) == 2
    assert not consensus([vote(g, None, i) for i, g in enumerate("abc")]).trusted
    assert consensus([]).trusted is False
    with pytest.raises(ValueError):
        consensus([], required=0)


def test_mixed_timezones_compare() -> None:
    later = Vote("ann", "B", datetime(2024, 1, 1, 5, tzinfo=timezone(timedelta(hours=1))))
    earlier = Vote("ann", "A", datetime(2024, 1, 1, 3))
    result = consensus([later, earlier], required=1)
    assert result.category == "B"


@given(st.lists(st.tuples(st.sampled_from("abcdef"), st.sampled_from(["A", "B", None]), st.booleans())))
def test_consensus_invariants(raw: list[tuple[str, str | None, bool]]) -> None:
    votes = [vote(g, c, i, d) for i, (g, c, d) in enumerate(raw)]
    result = consensus(votes)
    if result.trusted:
        assert result.category is not None and result.agreeing >= 3 and not result.disagreements
    assert result.graders == len({g for g, _, _ in raw})


def test_parse_bool_and_time() -> None:
    assert parse_bool("TRUE") is True and parse_bool("false") is False and parse_bool(True) is True
    assert parse_bool(None) is None and parse_bool("") is None and parse_bool(0) is False
    with pytest.raises(ValueError):
        parse_bool("maybe")
    stamp = parse_time("2023-06-07T02:31:49.8300123Z")
    assert stamp == datetime(2023, 6, 7, 2, 31, 49, 830012, tzinfo=UTC)
    assert parse_time("2023-06-07T02:31:49+02:00") == datetime(2023, 6, 7, 0, 31, 49, tzinfo=UTC)
    with pytest.raises(ValueError):
        parse_time("yesterday")


def test_merged_with_keeps_what_is_known() -> None:
    old = Entry(
        signals={"md5": MD5},
        source_id="7",
        category="B",
        tags=["a"],
        comments="first",
        first_seen=T0,
        last_seen=T0,
        media_files=[{"FileName": "x.jpg"}],
        extra={"k": 1},
    )
    new = Entry(
        signals={"md5": "f" * 32, "sha256": SHA256},
        category=None,
        distributed=True,
        tags=["b", "a"],
        first_seen=T0 + timedelta(days=1),
        last_seen=T0 + timedelta(days=2),
        media_files=[{"FileName": "x.jpg"}, {"FileName": "y.jpg"}],
        origin_file="new.json",
        origin_record=3,
        extra={"k": 2},
    )
    merged = old.merged_with(new)
    assert merged.signals == {"md5": MD5, "sha256": SHA256}
    assert merged.category == "B" and merged.distributed is True and merged.comments == "first"
    assert merged.tags == ["a", "b"] and merged.source_id == "7"
    assert (merged.first_seen, merged.last_seen) == (T0, T0 + timedelta(days=2))
    assert merged.media_files == [{"FileName": "x.jpg"}, {"FileName": "y.jpg"}]
    assert (merged.origin_file, merged.origin_record, merged.extra) == ("new.json", 3, {"k": 2})
    assert old.merged_with(Entry(signals={"md5": MD5}, category="A")).category == "A"
