"""The fast reading of common VICS records (``vics_fast``) against the general conversion: same entries,
same issues, for any record; and it is really taken for the common shape."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from netsafe.hashsets.formats import vics_fast
from netsafe.hashsets.formats.vics import read
from netsafe.hashsets.model import Entry, entry_values

from .strategies import hexes

CONTEXT = "http://github.com/VICSDATAMODEL/ProjectVic/DataModels/2.0.xml/UK/$metadata#Media"


def _file(records: list[Any]) -> io.BytesIO:
    return io.BytesIO(json.dumps({"@odata.context": CONTEXT, "value": records}).encode())


def _both(records: list[Any]) -> tuple[list[Any], list[Any]]:
    """What the general reading gives (entries as their values) and what the import's reading gives."""
    general = [
        entry_values(item) if isinstance(item, Entry) else item
        for item in read(_file(records), name="l.json", check_duplicates=False)
    ]
    fast = list(read(_file(records), name="l.json", check_duplicates=False, values=True))
    return general, fast


def _hash(nbytes: int) -> st.SearchStrategy[Any]:
    good = hexes(nbytes)
    return st.one_of(
        good,
        good.map(str.upper),
        hexes(nbytes + 1),  # too long
        good.map(lambda h: f" {h}"),
        st.sampled_from([None, "", 0, 12, True, "zz" * nbytes, [], {}]),
    )


_ANY = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 5),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from(["", "true", "false", "True", "yes", "0", "3", " 2 ", "a;b, c", "x\u0001y"]),
    st.text(max_size=8),
    st.lists(st.text(max_size=4), max_size=2),
    st.dictionaries(st.sampled_from(["FileName", "FilePath"]), st.text(max_size=4), max_size=2),
)
_ALT_NAMES = ["PDQ", "MD5", "SHA1", "SHA-256", "sha256", "TLSH", "PhotoDNA", ""]
_ALT = st.lists(
    st.one_of(
        st.fixed_dictionaries(
            {
                "HashName": st.sampled_from(_ALT_NAMES),
                "HashValue": st.one_of(hexes(16), hexes(20), hexes(32), hexes(32).map(str.upper), _ANY),
            }
        ),
        st.fixed_dictionaries({"hashName": st.just("PDQ"), "hashValue": hexes(32)}),
        st.fixed_dictionaries({"HashName": st.just("PDQ"), "HashValue": hexes(32), "Quality": st.just(90)}),
        _ANY,
    ),
    max_size=3,
)
_FIELDS: dict[str, st.SearchStrategy[Any]] = {
    "MediaID": st.one_of(st.integers(0, 10), st.sampled_from(["", "a-1", None, True, 1.5])),
    "Category": st.one_of(st.integers(-1, 6), st.sampled_from(["", None, 2.0, "3", True, False, "A"]), _ANY),
    "MD5": _hash(16),
    "SHA1": _hash(20),
    "SHA256": _hash(32),
    "PDQ": _hash(32),
    "VictimIdentified": _ANY,
    "OffenderIdentified": _ANY,
    "IsDistributed": _ANY,
    "Series": _ANY,
    "Tags": _ANY,
    "Comments": _ANY,
    "MediaSize": _ANY,
    "MimeType": _ANY,
    "MediaFiles": st.one_of(_ANY, st.lists(st.one_of(_ANY, st.just({"FileName": "a.jpg"})), max_size=2)),
    "AlternativeHashes": st.one_of(_ALT, _ANY),
    # Names the fast reading leaves to the general one, or keeps as they are.
    "md5": _hash(16),
    "@MD5": _hash(16),
    "PhotoDNA": _ANY,
    "FirstSeen": st.sampled_from(["2024-01-02T03:04:05Z", "yesterday", None]),
    "IsPrecategorized": _ANY,
    "@odata.id": _ANY,
    "Unknown": _ANY,
}


_GOOD: dict[str, st.SearchStrategy[Any]] = {
    "MediaID": st.one_of(st.integers(0, 10), st.just("a-1")),
    "Category": st.integers(0, 3),
    "MD5": hexes(16),
    "SHA1": hexes(20).map(str.upper),
    "SHA256": hexes(32),
    "PDQ": hexes(32),
    "VictimIdentified": st.sampled_from(["true", "false", True, None]),
    "OffenderIdentified": st.sampled_from(["true", "false", False, None]),
    "IsDistributed": st.sampled_from(["true", "false"]),
    "Series": st.text(max_size=6),
    "Tags": st.sampled_from(["a;b", "a, b", "", " ;x"]),
    "Comments": st.one_of(st.none(), st.text(max_size=6)),
    "MediaSize": st.integers(0, 10**6),
    "MimeType": st.just("image/jpeg"),
    "MediaFiles": st.lists(
        st.fixed_dictionaries({"FileName": st.sampled_from(["a.jpg", "b.png"]), "FilePath": st.just("/p/")}),
        max_size=2,
    ),
    "AlternativeHashes": st.lists(
        st.fixed_dictionaries(
            {
                "HashName": st.sampled_from(["PDQ", "MD5", "SHA1", "SHA-256", "TLSH"]),
                "HashValue": st.one_of(hexes(16), hexes(20), hexes(32)),
            }
        ),
        max_size=3,
    ),
    "IsPrecategorized": st.booleans(),
}


@st.composite
def records(draw: st.DrawFn) -> Any:
    """Mostly the common shape with good values (the fast reading's own), each now and then given a
    field of any value or name, or replaced by anything at all."""
    if draw(st.integers(0, 30)) == 0:
        return draw(_ANY)
    names = draw(st.lists(st.sampled_from(sorted(_GOOD)), unique=True, min_size=1, max_size=12))
    record = {name: draw(_GOOD[name]) for name in names}
    for _ in range(draw(st.integers(0, 2) if draw(st.booleans()) else st.just(0))):
        name = draw(st.sampled_from(sorted(_FIELDS)))
        record[name] = draw(_FIELDS[name])
    return record


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(records(), min_size=1, max_size=8))
def test_fast_reading_gives_what_the_general_one_gives(batch: list[Any]) -> None:
    general, fast = _both(batch)
    assert fast == general


def _standard(i: int, **fields: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "MediaID": i,
        "Category": 1,
        "MD5": f"{i:032X}",
        "SHA1": f"{i:040x}",
        "AlternativeHashes": [{"HashName": "PDQ", "HashValue": f"{i:064x}"}],
        "IsDistributed": "true",
        "Series": "s",
        "Tags": "a;b",
        "MediaSize": 10,
        "MediaFiles": [{"FileName": "f.jpg", "FilePath": "/x/"}],
        "IsPrecategorized": False,
    }
    record.update(fields)
    return record


def test_the_common_shape_is_read_fast(monkeypatch: Any) -> None:
    """Every record of the common shape but the first of its category goes through the fast reading (a
    check that the property above is not passing because the fast reading declines everything)."""
    taken: list[int] = []
    real = vics_fast.fast_values

    def counting(conv: Any, obj: Any, record: int, extras: Any) -> Any:
        row = real(conv, obj, record, extras)
        if row is not None:
            taken.append(record)
        return row

    monkeypatch.setattr("netsafe.hashsets.formats.vics_read.fast_values", counting)
    batch = [_standard(i) for i in range(1, 6)]
    general, fast = _both(batch)
    assert fast == general
    assert taken == [2, 3, 4, 5]  # the first one's category is read (and remembered) the general way
    assert fast[1][:4] == ("id", "2", f"{2:032x}", f"{2:040x}")
    assert fast[1][-1] == {"IsPrecategorized": False}


def test_a_control_character_or_a_repeated_key_sends_records_the_general_way(monkeypatch: Any) -> None:
    taken: list[int] = []
    real = vics_fast.fast_values

    def counting(conv: Any, obj: Any, record: int, extras: Any) -> Any:
        taken.append(record)
        return real(conv, obj, record, extras)

    monkeypatch.setattr("netsafe.hashsets.formats.vics_read.fast_values", counting)
    control = [_standard(1), _standard(2), _standard(3, Series="a\u0007b"), _standard(4)]
    general, fast = _both(control)
    assert fast == general
    assert any(getattr(i, "severity", None) == "warning" for i in fast)  # the control character's
    # From where the guard has seen the control character (here the file's first chunk), the general way.
    assert 3 not in taken and 4 not in taken
    taken.clear()
    text = json.dumps({"@odata.context": CONTEXT, "value": [_standard(1), _standard(2)]})
    repeated = text.replace('"Series": "s"', '"Series": "s", "Series": "t"', 1)
    fast = list(read(io.BytesIO(repeated.encode()), name="l.json", check_duplicates=False, values=True))
    assert any(getattr(i, "field", None) == "Series" for i in fast)
    assert taken == []


@pytest.mark.parametrize("ensure_ascii", [True, False])
@pytest.mark.parametrize("control", ["\u0007", "\x7f"])
def test_a_control_character_is_warned_about_either_way(control: str, ensure_ascii: bool) -> None:
    """Escaped (\\u0007, \\u007f) or raw (DEL may be written as it is), in the import's reading too."""
    records = [_standard(1), _standard(2, Series=f"a{control}b")]
    text = json.dumps({"@odata.context": CONTEXT, "value": records}, ensure_ascii=ensure_ascii)
    for values in (False, True):
        got = list(read(io.BytesIO(text.encode()), name="l.json", check_duplicates=False, values=values))
        warnings = [i for i in got if getattr(i, "severity", None) == "warning"]
        assert [(w.record, w.field) for w in warnings] == [(2, "series")], (control, ensure_ascii, values)
