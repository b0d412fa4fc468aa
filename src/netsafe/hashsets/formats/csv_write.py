"""The CSV writer: every field, with ``alternative_hashes``, ``media_files``, ``vpdq`` and ``extra`` as JSON
in their cells, so that a CSV export re-imports to the same entries.
"""

from __future__ import annotations

import csv as _csv
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from netsafe.hashsets.formats.base import FormatError, Sink, json_text, open_sink
from netsafe.hashsets.formats.csv_columns import DEFAULT_HEADERS, FIELDS, WRITE_FIELDS
from netsafe.hashsets.model import SIGNALS, Entry, format_time
from netsafe.hashsets.profiles import DEFAULT_PROFILE, GradingProfile, load_profile
from netsafe.textsafe import formula_escaped


def _cell(entry: Entry, field: str, profile: GradingProfile) -> str:
    # Comments, tags and ids come from whoever made the list: a spreadsheet must show them as text, not run
    # them as formulas (a PhotoDNA hash in base64 may start with "+" too). The reader takes the quote off
    # again; hex hashes never start with a formula character, so they are never touched.
    return formula_escaped(_text(entry, field, profile))


def _text(entry: Entry, field: str, profile: GradingProfile) -> str:
    if field in SIGNALS:
        return entry.signals.get(field, "")
    value: Any
    if field == "source_id":
        value = entry.source_id
    elif field == "category":
        return "" if entry.category is None else profile.category(entry.category).code
    elif field == "tags":
        if not entry.tags:
            return ""
        plain = all(t and t == t.strip() and "," not in t and ";" not in t for t in entry.tags)
        if plain and not entry.tags[0].startswith("["):
            return ";".join(entry.tags)
        return json_text(entry.tags)
    elif field == "alternative_hashes":
        return json_text(entry.alternative_hashes) if entry.alternative_hashes else ""
    elif field == "media_files":
        return json_text(entry.media_files) if entry.media_files else ""
    elif field == "extra":
        return json.dumps(entry.extra, ensure_ascii=False, allow_nan=False) if entry.extra else ""
    elif field == "vpdq":
        return json_text([f.as_dict() for f in entry.vpdq]) if entry.vpdq else ""
    else:
        value = getattr(entry, field)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if field in ("first_seen", "last_seen"):
        return format_time(value)
    return str(value)


def write(
    entries: Iterable[Entry],
    out: Sink,
    profile: str | GradingProfile = DEFAULT_PROFILE,
    *,
    fields: Sequence[str] = WRITE_FIELDS,
    columns: Mapping[str, str] | None = None,
    delimiter: str = ",",
) -> int:
    """Write a header and one row per entry; ``columns`` renames headers (field -> header)."""
    grading = load_profile(profile)
    unknown = [f for f in [*fields, *(columns or {})] if f not in FIELDS or f == "file_name"]
    if unknown:
        raise FormatError(f"cannot write CSV field(s) {unknown}: choose from {', '.join(WRITE_FIELDS)}")
    headers = {**DEFAULT_HEADERS, **(columns or {})}
    count = 0
    with open_sink(out) as sink:
        writer = _csv.writer(sink, delimiter=delimiter, lineterminator="\r\n")
        writer.writerow([formula_escaped(headers[f]) for f in fields])
        for entry in entries:
            try:
                writer.writerow([_cell(entry, f, grading) for f in fields])
            except (TypeError, ValueError) as err:
                raise FormatError(f"entry {count + 1}: cannot be written: {err}") from None
            count += 1
    return count
