"""The staging row of an entry's values (``stage_rows.stage_values``) against a plain reading of what each
column holds: its shortcuts (tags' JSON remembered by value, no time conversion without times) change
nothing, whatever the values and however often they repeat."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from netsafe.hashsets.model import SIGNALS, utc
from netsafe.hashsets.stage_rows import COLUMNS, dumps, dumps_parsed, photodna_key, stage_values

from .strategies import hexes


def _json(value: Any, empty: str) -> str:
    return json.JSONEncoder(ensure_ascii=True).encode(value) if value else empty


def _time(value: datetime | None, sqlite: bool) -> Any:
    value = utc(value)
    if value is None or not sqlite:
        return value
    return value.strftime("%Y-%m-%d %H:%M:%S.%f")


def _expected(values: tuple[Any, ...], set_id: int, sqlite: bool) -> tuple[Any, ...]:
    row = dict(zip(("key_kind", "key_value", *SIGNALS), values, strict=False))
    rest = values[2 + len(SIGNALS) :]
    names = COLUMNS[COLUMNS.index("vpdq") :]
    row.update(zip(names, rest, strict=True))
    row["key_digest"] = hashlib.sha256(f"{set_id}\x00{values[0]}\x00{values[1]}".encode()).hexdigest()
    row["photodna_key"] = photodna_key(row["photodna"])
    row["vpdq"] = None if row["vpdq"] is None else json.dumps(row["vpdq"])
    row["alternative_hashes"] = _json(row["alternative_hashes"], "{}")
    row["tags"] = _json(row["tags"], "[]")
    row["media_files"] = _json(row["media_files"], "[]")
    row["extra"] = _json(row["extra"], "{}")
    row["first_seen"] = _time(row["first_seen"], sqlite)
    row["last_seen"] = _time(row["last_seen"], sqlite)
    return tuple(row[c] for c in COLUMNS)


_TEXT = st.text(max_size=6)
# Few tag sets, drawn again and again: the remembered JSON of one must be right for the next.
_TAGS = st.lists(st.sampled_from(["a", "b", "é", "x\u0001", '"q"', "\ud800"]), max_size=3)
_TIMES = st.one_of(
    st.none(),
    st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2100, 1, 1)),
    st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2100, 1, 1)).map(
        lambda d: d.replace(tzinfo=timezone(timedelta(hours=2)))
    ),
    st.just(datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)),
)


@st.composite
def values(draw: st.DrawFn) -> tuple[Any, ...]:
    signals = {name: draw(st.one_of(st.none(), hexes(16))) for name in SIGNALS}
    return (
        draw(st.sampled_from(["id", "md5", "sha256"])),
        draw(_TEXT),
        *signals.values(),
        draw(st.one_of(st.none(), st.lists(st.fixed_dictionaries({"t": st.integers(0, 9)}), max_size=2))),
        draw(st.dictionaries(st.sampled_from(["TLSH", "X"]), _TEXT, max_size=2)),
        draw(st.one_of(st.none(), _TEXT)),
        draw(st.one_of(st.none(), st.sampled_from(["A", "B", "C"]))),
        draw(st.one_of(st.none(), _TEXT)),
        draw(st.one_of(st.none(), st.booleans())),
        draw(st.one_of(st.none(), st.booleans())),
        draw(st.one_of(st.none(), st.booleans())),
        draw(_TAGS),
        draw(st.one_of(st.none(), _TEXT)),
        draw(st.one_of(st.none(), st.integers(0, 10**12))),
        draw(st.one_of(st.none(), st.just("image/jpeg"))),
        draw(st.lists(st.dictionaries(st.sampled_from(["FileName", "FilePath"]), _TEXT), max_size=2)),
        draw(_TIMES),
        draw(_TIMES),
        draw(st.sampled_from(["l.json", "ü.json"])),
        draw(st.integers(1, 10**6)),
        draw(st.dictionaries(st.sampled_from(["@odata.id", "IsPrecategorized"]), _TEXT, max_size=2)),
    )


@settings(max_examples=300, deadline=None)
@given(st.lists(values(), min_size=1, max_size=6), st.integers(0, 50), st.booleans())
def test_a_staging_row_holds_each_column_as_it_reads(batch: list[Any], set_id: int, sqlite: bool) -> None:
    for item in batch:
        assert stage_values(item, set_id, sqlite) == _expected(item, set_id, sqlite)


def test_tags_that_are_not_strings_are_still_encoded() -> None:
    row = stage_values(_plain(tags=[["a"], 1]), 1, True)
    assert row[COLUMNS.index("tags")] == '[["a"], 1]'


def _plain(**fields: Any) -> tuple[Any, ...]:
    row: dict[str, Any] = dict.fromkeys(COLUMNS)
    row.update(key_kind="md5", key_value="0" * 32, tags=[], media_files=[], alternative_hashes={}, extra={})
    row.update(fields)
    names = ("key_kind", "key_value", *SIGNALS, *COLUMNS[COLUMNS.index("vpdq") :])
    return tuple(row[n] for n in names)


_JSON = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=5)),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=4), inner, max_size=3)
    ),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(_JSON)
def test_json_columns_are_json_dumps(value: Any) -> None:
    assert dumps(value) == json.dumps(value)
    assert dumps_parsed(value) == json.dumps(value)
