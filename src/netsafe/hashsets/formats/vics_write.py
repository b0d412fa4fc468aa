"""The VICS writer: 2.0 ``#Media`` with the grading profile's region in the context URL, one Media object
per line; fields netsafe does not model are written back from ``Entry.extra`` unchanged.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any, Literal, TextIO

from netsafe.hashsets.formats.base import FormatError, Sink, fold_name, open_sink
from netsafe.hashsets.model import Entry, format_time
from netsafe.hashsets.profiles import DEFAULT_PROFILE, GradingProfile, load_profile

CONTEXT_TEMPLATE = "http://github.com/VICSDATAMODEL/ProjectVic/DataModels/2.0.xml/{region}/$metadata#Media"

_NUMERIC_ID = re.compile(r"0|[1-9]\d{0,17}")
_WRITTEN = {
    fold_name(k)
    for k in (
        "MediaID",
        "Category",
        "MD5",
        "SHA1",
        "SHA256",
        "PDQ",
        "PhotoDNA",
        "MediaSize",
        "MimeType",
        "VictimIdentified",
        "OffenderIdentified",
        "IsDistributed",
        "Series",
        "Tags",
        "Comments",
        "AlternativeHashes",
        "MediaFiles",
        "FirstSeen",
        "LastSeen",
        "vPDQ",
    )
}


def context_url(profile: GradingProfile) -> str:
    return CONTEXT_TEMPLATE.format(region=profile.region)


def media_object(entry: Entry, profile: GradingProfile, media_id: int | str | None = None) -> dict[str, Any]:
    """The VICS 2.0 Media object for an entry (netsafe extensions: FirstSeen, LastSeen, vPDQ)."""
    obj: dict[str, Any] = {}
    ident = media_id if media_id is not None else entry.source_id
    if ident is not None:
        obj["MediaID"] = int(ident) if isinstance(ident, str) and _NUMERIC_ID.fullmatch(ident) else ident
    category = profile.vics_code(entry.category)
    if category is not None:
        obj["Category"] = category
    signals = entry.signals
    if "md5" in signals:
        obj["MD5"] = signals["md5"].upper()
    if "sha1" in signals:
        obj["SHA1"] = signals["sha1"].upper()
    if "photodna" in signals:
        obj["PhotoDNA"] = signals["photodna"]
    if entry.media_size is not None:
        obj["MediaSize"] = entry.media_size
    if entry.mime_type is not None:
        obj["MimeType"] = entry.mime_type
    for key, value in (
        ("VictimIdentified", entry.victim_identified),
        ("OffenderIdentified", entry.offender_identified),
        ("IsDistributed", entry.distributed),
    ):
        if value is not None:
            obj[key] = value
    if entry.series is not None:
        obj["Series"] = entry.series
    if entry.tags:
        plain = all(t and t == t.strip() and not re.search(r"[,;]", t) for t in entry.tags)
        obj["Tags"] = ",".join(entry.tags) if plain else list(entry.tags)
    if entry.comments is not None:
        obj["Comments"] = entry.comments
    alternatives = [{"HashName": "SHA256", "HashValue": signals["sha256"]}] if "sha256" in signals else []
    if "pdq" in signals:
        alternatives.append({"HashName": "PDQ", "HashValue": signals["pdq"]})
    alternatives.extend({"HashName": k, "HashValue": v} for k, v in entry.alternative_hashes.items())
    if alternatives:
        obj["AlternativeHashes"] = alternatives
    if entry.media_files:
        obj["MediaFiles"] = entry.media_files
    if entry.first_seen is not None:
        obj["FirstSeen"] = format_time(entry.first_seen)
    if entry.last_seen is not None:
        obj["LastSeen"] = format_time(entry.last_seen)
    if entry.vpdq:
        obj["vPDQ"] = [
            {"Frame": f.frame, "Timestamp": f.timestamp, "Quality": f.quality, "PDQ": f.pdq}
            for f in entry.vpdq
        ]
    for key, value in entry.extra.items():
        if fold_name(key) not in _WRITTEN and key not in obj:
            obj[key] = value
    return obj


def write(
    entries: Iterable[Entry],
    out: Sink,
    profile: str | GradingProfile = DEFAULT_PROFILE,
    *,
    media_ids: Literal["keep", "number"] = "keep",
) -> int:
    """Write VICS 2.0 ``#Media``, one Media object per line; returns the number written.

    ``media_ids="number"`` gives entries without an id of their own a MediaID (1, 2, ...) for tools that
    require one; by default an entry without an id is written without MediaID. Raises :class:`FormatError`
    for a value JSON cannot hold and :class:`ProfileError` for a category the profile does not know.
    """
    grading = load_profile(profile)
    with open_sink(out) as sink:
        return _write(entries, sink, grading, media_ids)


def _write(entries: Iterable[Entry], sink: TextIO, profile: GradingProfile, media_ids: str) -> int:
    sink.write('{"@odata.context":' + json.dumps(context_url(profile)) + ',"value":[')
    count = 0
    for entry in entries:
        number = count + 1 if media_ids == "number" and not entry.source_id else None
        obj = media_object(entry, profile, number)
        try:
            text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
        except (TypeError, ValueError) as err:
            raise FormatError(f"entry {count + 1}: cannot be written as JSON: {err}") from None
        sink.write(("\n" if count == 0 else ",\n") + text)
        count += 1
    sink.write("\n]}\n")
    return count
