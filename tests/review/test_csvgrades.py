"""grades.csv is untrusted input: every problem is one line naming the file, the line and the field."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from netsafe.review.csvgrades import GradeLine, GradesFileError, read_grades

SHA = "ab" * 32
MD5 = "cd" * 16


def test_reads_sha256_or_md5_with_any_header_case_and_a_bom() -> None:
    text = "\ufeffSHA256,MD5,Category\n" + f"{SHA.upper()},,A\n" + f",{MD5},category b\n" + ",,\n"
    assert read_grades(text, "g.csv") == [
        GradeLine(2, "sha256", SHA, "A"),
        GradeLine(3, "md5", MD5, "category b"),
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "g.csv:1: empty file"),
        ("sha256\n", "g.csv:1: field category: no category column"),
        ("name,category\n", "g.csv:1: field sha256: the header needs a sha256 or an md5 column"),
        ("sha256,category,sha256\n", "g.csv:1: field 'sha256': the column appears twice"),
        (f"sha256,category\n{SHA},A\nxyz,B\n", "g.csv:3: field sha256: 'xyz' is not 64 hex digits"),
        (f"md5,category\n{MD5}\n", "g.csv:2: 1 fields where the header has 2"),
        (f"sha256,category\n{SHA},\n", "g.csv:2: field category: empty"),
        ("sha256,category\n,A\n", "g.csv:2: field sha256: empty"),
        (f"sha256,category\n{SHA},{'x' * 2000}\n", "g.csv:2: field 'category': over 1000 characters"),
        ("sha256,category\n\x00\n", "g.csv:2: a NUL byte"),
    ],
)
def test_one_line_errors(text: str, message: str) -> None:
    with pytest.raises(GradesFileError) as err:
        read_grades(text, "g.csv")
    assert str(err.value).startswith(message)
    assert "\n" not in str(err.value)


def test_bytes_that_are_not_utf8() -> None:
    with pytest.raises(GradesFileError, match=r"^g.csv:2: not UTF-8"):
        read_grades(b"sha256,category\n\xff\xfe,A\n", "g.csv")


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400) | st.text(max_size=400).map(lambda t: t.encode("utf-8", "surrogatepass")))
def test_anything_is_read_or_refused_in_one_line(data: bytes) -> None:
    for payload in (data, b"sha256,category\n" + data):
        try:
            lines = read_grades(payload, "g.csv")
        except GradesFileError as err:
            text = str(err)
            assert text.startswith("g.csv:") and "\n" not in text and "\r" not in text
        else:
            for line in lines:
                assert line.signal in ("sha256", "md5") and line.category.strip() == line.category != ""
