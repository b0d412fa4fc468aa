"""Imported data is never lost or changed in silence (issue 18, item 10): each case is read correctly, or
gives an error or a warning with its line."""

from __future__ import annotations

import io

import pytest

from netsafe.hashsets import formats
from netsafe.hashsets.model import Entry, ImportIssue

from .helpers import errors, split

A = "d41d8cd98f00b204e9800998ecf8427e"
B = "0123456789abcdef0123456789abcdef"
C = "ffffffffffffffffffffffffffffffff"


def doc(template: str, *hashes: str) -> bytes:
    """JSON from a template with ``@`` for each hash in turn (JSON braces written as they are)."""
    parts = template.split("@")
    return (parts[0] + "".join(h + p for h, p in zip(hashes, parts[1:], strict=True))).encode()


def read(fmt: str, data: bytes) -> tuple[list[Entry], list[ImportIssue]]:
    return split(formats.get(fmt).read(io.BytesIO(data), name="t"))


def one_line(issues: list[ImportIssue]) -> None:
    assert all("\n" not in str(i) for i in issues)


def test_csv_unterminated_quote_is_an_error_not_one_long_comment() -> None:
    entries, issues = read("csv", f'md5,comments\n{A},"never closed\n{B},b\n{C},c\n'.encode())
    assert entries == []  # before: one entry whose comment held the three lines after it
    (problem,) = issues
    assert (problem.record, problem.severity) == (2, "error")
    assert "never closed" in problem.message and "lines 2-4 were not read" in problem.message


def test_csv_quote_closed_by_a_later_line_is_a_warning_naming_the_lines() -> None:
    entries, issues = read("csv", f'md5,comments\n{A},"opened\n{B},"\n{C},c\n'.encode())
    assert [e.signals["md5"] for e in entries] == [A, C]
    (problem,) = issues
    assert (problem.record, problem.severity) == (2, "warning") and "lines 2-3" in problem.message


def test_csv_quote_in_the_middle_of_a_cell_is_an_error() -> None:
    # Before: "a"b was read as ab, the quotes dropped.
    entries, issues = read("csv", f'md5,comments\n{A},"a"b\n{B},x\n'.encode())
    assert [e.signals["md5"] for e in entries] == [B]
    assert [(i.record, i.severity) for i in issues] == [(2, "error")]


def test_csv_multi_line_comments_are_still_read() -> None:
    entries, issues = read("csv", f'md5,comments\n{A},"two\nlines"\n{B},x\n'.encode())
    assert issues == [] and [e.comments for e in entries] == ["two\nlines", "x"]


@pytest.mark.parametrize("second", ["md5", "MD5 Hash", "hash_md5"])
def test_csv_two_columns_for_one_field_is_an_error(second: str) -> None:
    entries, issues = read("csv", f"md5,{second},comments\n{A},{B},x\n".encode())
    assert entries == []  # before: the second md5 went to extra and the entry was imported
    (problem,) = issues
    assert (
        problem.record == 1
        and "columns 1 (md5) and 2" in problem.message
        and "both hold md5" in problem.message
    )


def test_csv_repeated_unknown_columns_keep_both_cells() -> None:
    entries, issues = read("csv", f"md5,Ref,Ref,,\n{A},r1,r2,e1,e2\n".encode())
    assert issues == []
    assert entries[0].extra == {"Ref": "r1", "Ref (2)": "r2", "": "e1", " (2)": "e2"}


@pytest.mark.parametrize(
    ("column", "cell"),
    [
        ("extra", '{""a"":1,""a"":2}'),
        ("alternative_hashes", '{""TLSH"":""x"",""TLSH"":""y""}'),
        ("media_files", '[{""FileName"":""a"",""FileName"":""b""}]'),
        ("extra", '{""Ref"":""other""}'),
    ],
)
def test_csv_json_cells_that_would_lose_a_value_are_errors(column: str, cell: str) -> None:
    entries, issues = read("csv", f'md5,Ref,{column}\n{A},r,"{cell}"\n{B},r,\n'.encode())
    assert [e.signals["md5"] for e in entries] == [B]
    assert [(i.record, i.field, i.severity) for i in issues] == [(2, column, "error")]


def test_csv_in_windows_1252_is_read_with_a_warning() -> None:
    data = f"md5,comments\n{A},café €\n{B},plain\n{C},naïve\n".encode("cp1252")
    entries, issues = read("csv", data)
    assert [e.comments for e in entries] == ["café €", "plain", "naïve"]  # before: "caf\ufffd \ufffd"
    (problem,) = issues
    assert (problem.record, problem.severity) == (2, "warning") and "Windows-1252" in problem.message


def test_csv_bytes_windows_1252_leaves_undefined_are_kept() -> None:
    entries, issues = read("csv", f"md5,comments\n{A},\x81\x8d\n".encode("latin-1"))
    assert entries[0].comments == "\x81\x8d" and [i.severity for i in issues] == ["warning"]


def test_hashdeep_naming_a_hash_twice_is_an_error() -> None:
    data = f"%%%% HASHDEEP-1.0\n%%%% size,md5,MD5,filename\n1,{A},{B},x.jpg\n".encode()
    entries, issues = read("hashdeep", data)
    assert entries == []  # before: one entry with only the second md5
    (problem,) = issues
    assert problem.record == 2 and "names md5 twice" in problem.message


def test_sums_file_names_not_utf8_keep_every_byte() -> None:
    entries, issues = read("md5sum", f"{A}  caf\xe9.jpg\n".encode("latin-1"))
    assert entries[0].media_files == [{"FileName": "café.jpg"}]  # before: "caf\ufffd.jpg"
    assert [(i.record, i.severity) for i in issues] == [(1, "warning")]


def test_tx_note_not_utf8_is_a_warning() -> None:
    entries, issues = read("tx", f"md5 {A} caf\xe9\n".encode("latin-1"))
    assert entries[0].extra == {"tx_note": "café"}
    assert [(i.record, i.severity) for i in issues] == [(1, "warning")]


def test_vics_key_given_twice_with_different_values_is_an_error() -> None:
    data = doc('{"value":[{"MD5":"@","MD5":"@"},{"MD5":"@"}]}', A, B, C)
    entries, issues = read("vics", data)
    assert [e.signals["md5"] for e in entries] == [C]  # before: record 1 imported with B only
    (problem,) = errors(issues)
    assert (problem.record, problem.field) == (1, "MD5") and A in problem.message and B in problem.message
    one_line(issues)


def test_vics_key_given_twice_with_the_same_value_is_a_warning() -> None:
    entries, issues = read("vics", doc('[{"MD5":"@","Series":"same","Series":"same"}]', A))
    assert entries[0].series == "same"
    assert [(i.record, i.field, i.severity) for i in issues] == [(1, "Series", "warning")]


def test_vics_key_given_twice_inside_a_record_is_an_error() -> None:
    data = doc('[{"MD5":"@","MediaFiles":[{"FileName":"a.jpg","FileName":"b.jpg"}]},{"MD5":"@"}]', A, B)
    entries, issues = read("vics", data)
    assert [e.signals["md5"] for e in entries] == [B]  # before: record 1 imported with b.jpg only
    assert [(i.record, i.field, i.severity) for i in issues] == [(1, "MediaFiles.FileName", "error")]


def test_vics_two_spellings_of_one_field_must_agree() -> None:
    entries, issues = read("vics", doc('[{"MD5":"@","md5":"@"}]', A, B))
    assert entries == [] and [(i.record, i.severity) for i in issues] == [(1, "error")]
    entries, issues = read("vics", doc('[{"MD5":"@","md5":"@"}]', A, A.upper()))
    assert issues == [] and entries[0].signals == {"md5": A}


@pytest.mark.parametrize("fmt", ["csv", "vics"])
def test_a_nul_in_free_text_is_kept_and_reported(fmt: str) -> None:
    if fmt == "csv":
        data = f"md5,comments\n{A},a\x00b\n".encode()
    else:
        data = doc('[{"MD5":"@","Comments":"a\\u0000b"}]', A)
    entries, issues = read(fmt, data)
    assert entries[0].comments == "a\x00b"
    (problem,) = issues
    assert problem.severity == "warning" and problem.field in ("comments", "Comments")
    assert "control character" in problem.message
