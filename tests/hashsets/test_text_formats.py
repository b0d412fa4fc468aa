from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from netsafe.hashsets.formats import csv, hashdeep, threatexchange
from netsafe.hashsets.formats.base import MAX_LINE_BYTES, FormatError
from netsafe.hashsets.model import Entry
from netsafe.hashsets.profiles import load_profile

from .helpers import errors, read_bytes, to_bytes
from .strategies import SIGNAL_STRATEGIES, full_entries, hexes, unique_entries, words

MD5 = "d41d8cd98f00b204e9800998ecf8427e"
SHA1 = "da39a3ee5e6b4b0d3255bfef95601890afd80709"
SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
PDQ = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"
SETTINGS = settings(max_examples=25, suppress_health_check=[HealthCheck.too_slow])


def assert_same(before: list[Entry], after: list[Entry]) -> None:
    assert len(before) == len(after)
    for a, b in zip(before, after, strict=True):
        assert a.same_content(b), (a, b)


# ------------------------------------------------------------------------------------------------ CSV


def test_csv_auto_detects_common_headers() -> None:
    data = (
        "MediaID;MD5 Hash;SHA-1;Category;Notes;File Name;Colour\n"
        f"7;{MD5.upper()};{SHA1};Cat B;hello;a.jpg;blue\n"
        f"8;{MD5.replace('d', 'e')};;;;;\n"
    ).encode()
    entries, issues = read_bytes(csv.read, data, profile="uk-caid")
    assert issues == []
    first, second = entries
    assert first.signals == {"md5": MD5, "sha1": SHA1} and first.source_id == "7"
    assert first.category == "B" and first.comments == "hello"
    assert first.media_files == [{"FileName": "a.jpg"}] and first.extra == {"Colour": "blue"}
    assert (first.origin_record, second.origin_record) == (2, 3)
    assert second.category is None and second.signals == {"md5": MD5.replace("d", "e")}


def test_csv_configurable_columns() -> None:
    data = f"Perceptual,Grade\n{PDQ},1\n".encode()
    entries, issues = read_bytes(csv.read, data, profile="vic-us", columns={"pdq": "perceptual"})
    assert issues == [] and entries[0].signals == {"pdq": PDQ} and entries[0].category == "1"
    _, issues = read_bytes(csv.read, data, columns={"pdq": "Nope"})
    assert "columns not found" in issues[0].message
    with pytest.raises(FormatError, match="unknown CSV field"):
        list(csv.read(io.BytesIO(data), columns={"colour": "x"}))


@pytest.mark.parametrize(
    ("row", "field", "words"),
    [
        (f"{'a' * 32},", "pdq", "expected 64 hex characters, got 32"),
        (f"{PDQ},Z", "category", "unknown category"),
        (f"{PDQ},A,extra", None, "3 cells"),
        ("xyz,A", "pdq", "not a hexadecimal"),
        (",A", "hash", "no hash"),
    ],
)
def test_csv_bad_rows(row: str, field: str | None, words: str) -> None:
    data = f"pdq,category\n{PDQ.replace('f', 'e')},C\n{row}\n".encode()
    entries, issues = read_bytes(csv.read, data)
    assert len(entries) == 1
    (problem,) = issues
    assert (problem.record, problem.field) == (3, field) and words in problem.message
    assert problem.raw is not None


def test_csv_without_hash_column_or_empty() -> None:
    _, issues = read_bytes(csv.read, b"colour,size\nred,3\n")
    assert issues[0].record == 1 and "no hash column" in issues[0].message
    _, issues = read_bytes(csv.read, b"")
    assert issues[0].record == 0 and "empty" in issues[0].message


@pytest.mark.parametrize("profile", ["uk-caid", "vic-us"])
@SETTINGS
@given(data=st.data())
def test_csv_round_trip(profile: str, data: st.DataObject) -> None:
    entries = data.draw(unique_entries(full_entries(load_profile(profile).codes)))
    first = to_bytes(csv.write, entries, profile=profile)
    again, issues = read_bytes(csv.read, first, profile=profile)
    assert errors(issues) == [], issues
    assert_same(entries, again)
    assert to_bytes(csv.write, again, profile=profile) == first


def test_csv_writer_renames_and_selects() -> None:
    entry = Entry(signals={"md5": MD5}, category="A", first_seen=datetime(2024, 5, 1, tzinfo=UTC))
    text = to_bytes(csv.write, [entry], fields=["md5", "category", "first_seen"], columns={"md5": "MD5"})
    assert text.decode() == f"MD5,category,first_seen\r\n{MD5},A,2024-05-01T00:00:00Z\r\n"
    with pytest.raises(FormatError):
        to_bytes(csv.write, [entry], fields=["colour"])


# ------------------------------------------------------------------------------------------------ sums


def test_md5sum_lines_all_forms() -> None:
    data = (
        f"{MD5}  photo one.jpg\n"
        f"{SHA1} *bin/file\n"
        f"\\{SHA256}  dir\\\\with\\nnewline\n"
        f"MD5 (bsd name.png) = {MD5.upper()}\n"
        f"{MD5}\n"
        "# comment\n\n"
    ).encode()
    entries, issues = read_bytes(hashdeep.read_sums, data)
    assert issues == []
    assert [next(iter(e.signals)) for e in entries] == ["md5", "sha1", "sha256", "md5", "md5"]
    names = [e.media_files[0]["FileName"] if e.media_files else None for e in entries]
    assert names == ["photo one.jpg", "bin/file", "dir\\with\nnewline", "bsd name.png", None]
    assert [e.origin_record for e in entries] == [1, 2, 3, 4, 5]


def test_md5sum_bad_lines() -> None:
    data = f"{MD5[:-1]}  short\nnot a hash line\n{'g' * 32}  x\n".encode()
    entries, issues = read_bytes(hashdeep.read_sums, data)
    assert entries == []
    assert [(i.record, i.field) for i in issues] == [(1, "hash"), (2, None), (3, None)]
    entries, issues = read_bytes(hashdeep.read_sums, f"{PDQ}  x\n".encode(), signal="pdq")
    assert entries[0].signals == {"pdq": PDQ}
    _, issues = read_bytes(hashdeep.read_sums, f"{MD5}  x\n".encode(), signal="sha1")
    assert issues[0].field == "sha1" and "expected 40" in issues[0].message


@SETTINGS
@given(
    signal=st.sampled_from(["md5", "sha1", "sha256"]),
    binary=st.booleans(),
    data=st.data(),
)
def test_sums_round_trip(signal: str, binary: bool, data: st.DataObject) -> None:
    names = st.none() | words.filter(lambda s: s != "-" and not s.startswith(("(", " ")))
    entries = data.draw(
        unique_entries(
            st.builds(
                lambda h, n: Entry(signals={signal: h}, media_files=[{"FileName": n}] if n else []),
                SIGNAL_STRATEGIES[signal],
                names,
            )
        )
    )
    first = to_bytes(hashdeep.write_sums, entries, signal=signal, binary=binary)
    again, issues = read_bytes(hashdeep.read_sums, first, signal=signal)
    assert issues == []
    assert_same(entries, again)


# ------------------------------------------------------------------------------------------------ hashdeep

HASHDEEP = f"""%%%% HASHDEEP-1.0
%%%% size,md5,sha256,filename
## Invoked from: /home/user
## $ hashdeep -r pictures
##
2835,{MD5},{SHA256},/home/user/pictures/a, b.jpg
0,{MD5.replace("d", "a")},,/home/user/empty
""".encode()


def test_hashdeep_reads_header_columns_and_commas_in_names() -> None:
    entries, issues = read_bytes(hashdeep.read, HASHDEEP)
    assert issues == []
    first, second = entries
    assert first.signals == {"md5": MD5, "sha256": SHA256} and first.media_size == 2835
    assert first.media_files == [{"FileName": "/home/user/pictures/a, b.jpg"}]
    assert second.signals == {"md5": MD5.replace("d", "a")} and second.origin_record == 7


def test_hashdeep_problems() -> None:
    _, issues = read_bytes(hashdeep.read, f"{MD5}  x\n".encode())
    assert issues[0].record == 1 and "not a hashdeep file" in issues[0].message
    bad = HASHDEEP.replace(b"2835,", b"big,").replace(MD5.encode(), b"zz", 1)
    entries, issues = read_bytes(hashdeep.read, bad)
    assert len(entries) == 1
    assert [(i.record, i.field) for i in issues] == [(6, "size"), (6, "md5")]
    _, issues = read_bytes(hashdeep.read, b"%%%% HASHDEEP-1.0\n%%%% size,md5,filename\n12\n")
    assert "expected 3 comma-separated fields" in issues[0].message
    _, issues = read_bytes(hashdeep.read, b"## only\n")
    assert "no hashdeep header" in issues[0].message


@SETTINGS
@given(data=st.data())
def test_hashdeep_round_trip(data: st.DataObject) -> None:
    names = st.none() | words.filter(lambda s: s != "-" and "\n" not in s and "\r" not in s)
    entry = st.builds(
        lambda md5, sha, size, n: Entry(
            signals={"md5": md5, "sha256": sha}, media_size=size, media_files=[{"FileName": n}] if n else []
        ),
        hexes(16),
        hexes(32),
        st.none() | st.integers(0, 2**40),
        names,
    )
    entries = data.draw(unique_entries(entry))
    first = to_bytes(hashdeep.write, entries, signals=["md5", "sha256"], command="netsafe export")
    again, issues = read_bytes(hashdeep.read, first)
    assert issues == []
    assert_same(entries, again)


# ------------------------------------------------------------------------------------------------ tx


def test_threatexchange_lines() -> None:
    data = f"# benign test list\npdq {PDQ}\nPDQ {PDQ.upper()} q=100\nvideo_md5 {MD5}\n{SHA1}\n".encode()
    entries, issues = read_bytes(threatexchange.read, data)
    assert issues == []
    assert [e.signals for e in entries] == [{"pdq": PDQ}, {"pdq": PDQ}, {"md5": MD5}, {"sha1": SHA1}]
    assert entries[1].extra == {"tx_note": "q=100"}


def test_threatexchange_problems() -> None:
    data = f"pdq {MD5}\nurl http://example.invalid/x\n{PDQ}\n".encode()
    entries, issues = read_bytes(threatexchange.read, data)
    assert entries == []
    assert [(i.record, i.field) for i in issues] == [(1, "pdq"), (2, "signal"), (3, "signal")]
    assert "expected 64 hex characters, got 32" in issues[0].message
    assert "name the signal" in issues[2].message
    entries, _ = read_bytes(threatexchange.read, f"{PDQ}\n".encode(), signal="pdq")
    assert entries[0].signals == {"pdq": PDQ}
    _, issues = read_bytes(threatexchange.read, f"md5 {MD5}\n".encode(), signal="pdq")
    assert "asked for" in issues[0].message


@SETTINGS
@given(
    signal=st.sampled_from(["pdq", "md5", "sha1", "sha256", "photodna"]), bare=st.booleans(), data=st.data()
)
def test_threatexchange_round_trip(signal: str, bare: bool, data: st.DataObject) -> None:
    entries = data.draw(
        unique_entries(st.builds(lambda h: Entry(signals={signal: h}), SIGNAL_STRATEGIES[signal]))
    )
    first = to_bytes(threatexchange.write, entries, signal=signal, bare=bare)
    again, issues = read_bytes(threatexchange.read, first, signal=signal)
    assert issues == []
    assert_same(entries, again)


# ------------------------------------------------------------------------------------------------ limits


@pytest.mark.parametrize(
    "reader", [csv.read, hashdeep.read_sums, threatexchange.read, hashdeep.read], ids=lambda r: r.__module__
)
def test_an_endless_line_is_skipped_not_loaded(reader: object) -> None:
    header = b"%%%% HASHDEEP-1.0\n%%%% md5,filename\n" if reader is hashdeep.read else b"md5\n"
    line = f"{MD5},x\n" if reader is hashdeep.read else f"{MD5}\n"
    data = header + b"a" * (MAX_LINE_BYTES * 3) + b"\n" + line.encode()
    entries, issues = read_bytes(reader, data)  # type: ignore[arg-type]
    assert len(entries) == 1 and entries[0].signals == {"md5": MD5}
    assert any("too long" in i.message for i in issues)
