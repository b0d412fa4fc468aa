"""An entry's plain values as the row an import stages (the column order of ``store/bulk.py``).

Kept apart from the store (no SQLAlchemy here): the process that reads a large hash list for an import
(``services/import_feed.py``) makes the rows itself, so that the import's own process, which stages them
and merges them into ``entries`` as it goes, is not the slower of the two.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from json.encoder import c_make_encoder, encode_basestring_ascii  # type: ignore[attr-defined]
from typing import Any

from netsafe.hashsets.model import utc
from netsafe.signals.codecs import HashFormatError
from netsafe.signals.types import ENTRY_SIGNALS, REGISTRY

# Columns of ``entries`` an import writes (besides the set, the versions and the id), in staging order.
COLUMNS = (
    "key_kind",
    "key_value",
    "key_digest",
    *ENTRY_SIGNALS,
    "photodna_key",
    "vpdq",
    "alternative_hashes",
    "source_id",
    "category",
    "series",
    "victim_identified",
    "offender_identified",
    "distributed",
    "tags",
    "comments",
    "media_size",
    "mime_type",
    "media_files",
    "first_seen",
    "last_seen",
    "origin_file",
    "origin_record",
    "extra",
)


def photodna_key(value: str | None) -> str | None:
    """A PhotoDNA hash's key form (hex, whatever spelling it came in), None if it has none."""
    if value is None:
        return None
    try:
        return REGISTRY["photodna"].key(value)
    except HashFormatError:
        return None


def _encoder(check_circular: bool = True) -> Any:
    """``json.JSONEncoder(ensure_ascii=True).encode``'s C core, made once: ``encode`` builds a new one on
    every call, which was a third of the cost of a row's four JSON fields."""
    if c_make_encoder is None:  # an interpreter without the C accelerator
        encoder = json.JSONEncoder(ensure_ascii=True, check_circular=check_circular)
        return lambda value, _level: [encoder.encode(value)]
    base = json.JSONEncoder(ensure_ascii=True)
    markers: dict[int, Any] | None = {} if check_circular else None
    return c_make_encoder(
        markers, base.default, encode_basestring_ascii, None, ": ", ", ", False, False, True
    )


_encode = _encoder()
_encode_parsed = _encoder(check_circular=False)


def dumps(value: Any) -> str:
    """``json.dumps(value)`` (ASCII, the default separators), at a fraction of its cost."""
    return "".join(_encode(value, 0))


def dumps_parsed(value: Any) -> str:
    """:func:`dumps` of a value just read from JSON, which cannot hold itself: without the search for a
    cycle (a dict of every list and object being encoded), a fifth cheaper."""
    return "".join(_encode_parsed(value, 0))


def _sqlite_time(value: datetime | None) -> str | None:
    # SQLAlchemy's storage format for SQLite DATETIME (what the ORM path writes and reads back).
    if value is None:
        return None
    return value.strftime("%Y-%m-%d %H:%M:%S.%f")


def key_digest(hash_set_id: int, kind: str, value: str) -> str:
    return hashlib.sha256(f"{hash_set_id}\x00{kind}\x00{value}".encode()).hexdigest()


_SIGNALS = len(ENTRY_SIGNALS)
_PHOTODNA = ENTRY_SIGNALS.index("photodna")
# Tags as JSON by their values: a national list uses a handful of tag sets, and encoding one was a tenth of
# the cost of a row. Bounded, since a hostile file may give each record tags of its own.
_TAGS_JSON: dict[tuple[str, ...], str] = {}
_TAGS_CACHED = 4096


def _tags_json(tags: list[str]) -> str:
    if not tags:
        return "[]"
    key = tuple(tags)
    try:
        text = _TAGS_JSON.get(key)
    except TypeError:  # not strings after all: encoded as they are (or refused) by the encoder
        return dumps(tags)
    if text is None:
        text = dumps(tags)
        if len(_TAGS_JSON) < _TAGS_CACHED:
            _TAGS_JSON[key] = text
    return text


def stage_values(values: tuple[Any, ...], hash_set_id: int, sqlite: bool) -> tuple[Any, ...]:
    """A row of :data:`COLUMNS` from :func:`~netsafe.hashsets.model.entry_values`, ready for the
    backend's bulk path."""
    kind, value = values[0], values[1]
    signals = values[2 : 2 + _SIGNALS]
    (
        vpdq,
        alternative_hashes,
        source_id,
        category,
        series,
        victim_identified,
        offender_identified,
        distributed,
        tags,
        comments,
        media_size,
        mime_type,
        media_files,
        first_seen,
        last_seen,
        origin_file,
        origin_record,
        extra,
    ) = values[2 + _SIGNALS :]
    if first_seen is None and last_seen is None:  # most lists give neither: four calls saved per row
        first_out: Any = None
        last_out: Any = None
    else:
        first, last = utc(first_seen), utc(last_seen)
        if sqlite:
            first_out, last_out = _sqlite_time(first), _sqlite_time(last)
        else:
            first_out, last_out = first, last
    photodna = signals[_PHOTODNA]
    return (
        kind,
        value,
        key_digest(hash_set_id, kind, value),
        *signals,
        None if photodna is None else photodna_key(photodna),
        None if vpdq is None else dumps(vpdq),
        dumps(alternative_hashes) if alternative_hashes else "{}",
        source_id,
        category,
        series,
        victim_identified,
        offender_identified,
        distributed,
        _tags_json(tags),
        comments,
        media_size,
        mime_type,
        dumps(media_files) if media_files else "[]",
        first_out,
        last_out,
        origin_file,
        origin_record,
        dumps(extra) if extra else "{}",
    )
