from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from netsafe.hashsets import formats
from netsafe.hashsets.formats import FormatError, detect, detect_bytes
from netsafe.hashsets.model import Entry, ImportIssue

MD5 = "d41d8cd98f00b204e9800998ecf8427e"
PDQ = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"
FUZZ = settings(max_examples=100, suppress_health_check=[HealthCheck.too_slow], deadline=None)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b'\xef\xbb\xbf  {"@odata.context": "x", "value": []}', "vics"),
        (b'[{"MD5": "x"}]', "vics"),
        (b"%%%% HASHDEEP-1.0\n%%%% size,md5,filename\n", "hashdeep"),
        (f"{MD5}  a.jpg\n{MD5} *b.jpg\n".encode(), "md5sum"),
        (f"MD5 (a.jpg) = {MD5}\n".encode(), "md5sum"),
        (f"# list\npdq {PDQ}\npdq {PDQ}\n".encode(), "tx"),
        (f"{PDQ}\n{PDQ}\n".encode(), "tx"),
        (f"MediaID,MD5,Category\n1,{MD5},A\n".encode(), "csv"),
        (b'"SHA1";"Notes"\n"x";"y"\n', "csv"),
    ],
)
def test_detect(content: bytes, expected: str, tmp_path: Path) -> None:
    assert detect_bytes(content) == expected
    path = tmp_path / "list"
    path.write_bytes(content)
    assert detect(path) == expected
    stream = io.BytesIO(b"skip" + content)
    stream.seek(4)
    assert detect(stream) == expected
    assert stream.tell() == 4  # rewound to where it was


@pytest.mark.parametrize("content", [b"", b"   \n", b"# only comments\n", b"hello world\n", b"a,b\n1,2\n"])
def test_detect_refuses_to_guess(content: bytes) -> None:
    with pytest.raises(FormatError, match="format"):
        detect_bytes(content, "x.txt")


def test_registry() -> None:
    assert {"vics", "csv", "hashdeep", "md5sum", "sha1sum", "sha256sum", "tx"} <= set(formats.FORMATS)
    assert formats.get("ThreatExchange").name == "tx"
    with pytest.raises(FormatError, match="unknown format"):
        formats.get("xml")
    out = io.StringIO()
    assert formats.write("sha1sum", [Entry(signals={"sha1": "a" * 40})], out) == 1
    items = list(formats.read("sha1sum", io.BytesIO(out.getvalue().encode())))
    assert [type(i) for i in items] == [Entry]


def test_missing_file_is_a_format_error(tmp_path: Path) -> None:
    for name in formats.FORMATS:
        with pytest.raises(FormatError, match="cannot open"):
            list(formats.read(name, tmp_path / "missing"))


def _check(items: list[Any]) -> None:
    for item in items:
        assert isinstance(item, Entry | ImportIssue)
        if isinstance(item, ImportIssue):
            assert "\n" not in str(item).replace(repr(item.raw or ""), "")
            assert "\n" not in item.message


READERS = sorted(formats.FORMATS)


@pytest.mark.parametrize("name", READERS)
@FUZZ
@given(data=st.binary(max_size=2000))
def test_readers_never_raise_on_bytes(name: str, data: bytes) -> None:
    _check(list(formats.read(name, io.BytesIO(data), name="fuzz")))


@pytest.mark.parametrize("name", READERS)
@FUZZ
@given(
    lines=st.lists(
        st.one_of(
            st.text(max_size=80),
            st.sampled_from([MD5, PDQ, f"pdq {PDQ}", f"{MD5}  x", "%%%% HASHDEEP-1.0", "%%%% md5,filename"]),
            st.just("md5,category,pdq"),
        ),
        max_size=12,
    )
)
def test_readers_never_raise_on_text(name: str, lines: list[str]) -> None:
    data = "\n".join(lines).encode("utf-8", errors="surrogatepass")
    _check(list(formats.read(name, io.BytesIO(data), name="fuzz")))


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=20,
)
media_like = st.dictionaries(
    st.sampled_from(
        [
            "MediaID",
            "Category",
            "MD5",
            "SHA1",
            "PhotoDNA",
            "Tags",
            "IsDistributed",
            "MediaSize",
            "MediaFiles",
            "AlternativeHashes",
            "vPDQ",
            "FirstSeen",
            "VictimIdentified",
            "Series",
            "Comments",
            "Other",
        ]
    ),
    json_values | st.sampled_from([MD5, PDQ, "true", [{"HashName": "PDQ", "HashValue": PDQ}]]),
)


@FUZZ
@given(
    media=st.lists(media_like | json_values, max_size=6),
    cases=st.booleans(),
    context=st.sampled_from(
        [
            None,
            "x/DataModels/2.0.xml/UK/$metadata#Media",
            "x/DataModels/2.0.xml/US/$metadata#Cases",
            "y#Media",
        ]
    ),
    cut=st.none() | st.integers(0, 4000),
)
def test_vics_reader_never_raises_on_json_shaped_input(
    media: list[Any], cases: bool, context: str | None, cut: int | None
) -> None:
    value: Any = [{"CaseID": "1", "Media": media}] if cases else media
    document: dict[str, Any] = {"value": value}
    if context is not None:
        document["@odata.context"] = context
    data = json.dumps(document).encode()
    if cut is not None:
        data = data[:cut]
    _check(list(formats.read("vics", io.BytesIO(data), name="fuzz")))


def test_options_a_format_does_not_take_are_refused() -> None:
    with pytest.raises(FormatError, match="reading vics does not take signal"):
        formats.read("vics", io.BytesIO(b"{}"), signal="pdq")
    with pytest.raises(FormatError, match="writing csv does not take bare"):
        formats.write("csv", [], io.StringIO(), bare=True)
    assert formats.get("tx").read is not None
    items = list(formats.read("tx", io.BytesIO(f"{PDQ}\n".encode()), signal="pdq", profile="vic-us"))
    assert isinstance(items[0], Entry)


def test_every_format_has_its_module() -> None:
    assert set(formats.MODULES) == set(formats.FORMATS)
    assert formats.MODULES["vics"].NAME == "vics"
    assert formats.MODULES["md5sum"] is formats.MODULES["hashdeep"]
