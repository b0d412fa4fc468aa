"""The CSV reader: the delimiter sniffed from the header line unless given, columns found by name
(:mod:`netsafe.hashsets.formats.csv_columns`), one issue per bad cell, and columns netsafe does not know
kept in ``extra``.
"""

from __future__ import annotations

import csv as _csv
import io
import json
import re
from collections.abc import Iterator, Mapping
from typing import Any

from netsafe.hashsets.formats.base import (
    PROGRESS_EVERY,
    Progress,
    ReadItem,
    Source,
    clip,
    consumed,
    control_characters,
    decode_legacy,
    fold_name,
    issue,
    iter_lines,
    json_text,
    open_source,
)
from netsafe.hashsets.formats.csv_columns import DEFAULT_HEADERS, SYNONYMS, map_columns
from netsafe.hashsets.formats.jsonguard import MAX_JSON_DEPTH, check_json_text
from netsafe.hashsets.model import SIGNALS, Entry, ImportIssue, normalise_signal, parse_bool, parse_time
from netsafe.hashsets.profiles import DEFAULT_PROFILE, GradingProfile, ProfileError, load_profile
from netsafe.signals.codecs import HashFormatError
from netsafe.signals.frames import VpdqFrame
from netsafe.textsafe import formula_unescaped

_DELIMITERS = ",;\t|"


def _sniff(line: str) -> str:
    counts = {d: line.count(d) for d in _DELIMITERS}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def read(
    source: Source,
    *,
    profile: str | GradingProfile = DEFAULT_PROFILE,
    name: str | None = None,
    columns: Mapping[str, str] | None = None,
    delimiter: str | None = None,
    progress: Progress | None = None,
) -> Iterator[ReadItem]:
    """Entries of a CSV file with a header; one issue per bad cell, located by line and column header."""
    grading = load_profile(profile)
    with open_source(source, name) as (stream, display):
        yield from _read(stream, display, grading, columns, delimiter, progress)


def _read(
    stream: io.BufferedReader,
    display: str,
    profile: GradingProfile,
    columns: Mapping[str, str] | None,
    delimiter: str | None,
    progress: Progress | None,
) -> Iterator[ReadItem]:
    pending: list[ImportIssue] = []
    state: dict[str, str | None] = {"delimiter": delimiter, "legacy": None}

    def lines() -> Iterator[str]:
        for number, raw in iter_lines(stream, keep_ends=True):
            if raw is None:
                pending.append(issue(display, number, None, "line too long (over 1 MiB); skipped"))
                yield "\n"
                continue
            text, legacy = decode_legacy(raw, number == 1)
            if legacy is not None and state["legacy"] is None:
                state["legacy"] = legacy
                pending.append(
                    issue(
                        display,
                        number,
                        None,
                        f"not UTF-8: this line and any later one that is not UTF-8 are read as {legacy}; "
                        "save the file as UTF-8 if that is wrong",
                        warning=True,
                    )
                )
            if state["delimiter"] is None and text.strip():
                state["delimiter"] = _sniff(text)
            yield text

    source_lines = lines()
    # Peek the first non-empty line so the delimiter is known before csv sees it.
    buffered: list[str] = []
    for text in source_lines:
        buffered.append(text)
        if text.strip():
            break

    def chained() -> Iterator[str]:
        yield from buffered
        yield from source_lines

    # strict: a quote in the wrong place is an error, not silently dropped ("a"b read as ab), and a quoted
    # cell still open at the end of the file is reported instead of swallowing every line after it.
    reader = _csv.reader(chained(), delimiter=state["delimiter"] or ",", strict=True)
    header: list[str] | None = None
    mapping: dict[int, str] = {}
    last_line = -1
    done = 0  # the last line of the last row read
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except _csv.Error as err:
            yield from pending
            pending.clear()
            if str(err) == "unexpected end of data":
                yield issue(
                    display,
                    done + 1,
                    None,
                    f"a quoted cell opened after line {done} is never closed: lines {done + 1}-"
                    f"{reader.line_num} were not read (look for a stray or missing quote)",
                )
                break
            yield issue(display, reader.line_num, None, f"CSV syntax: {err}")
            if reader.line_num == last_line:
                return
            last_line = done = reader.line_num
            continue
        yield from pending
        pending.clear()
        line = reader.line_num
        if line - done > 1 and header is not None:
            yield from _swallowed(display, done + 1, line, row)
        done = line
        if progress is not None and line % PROGRESS_EVERY == 0:
            progress(consumed(stream))
        if not row or all(not cell.strip() for cell in row):
            continue
        if header is None:
            row = [formula_unescaped(title) for title in row]
            twice = _repeated_columns(row, columns)
            if twice:
                yield issue(display, line, None, twice)
                return
            header = _distinct(row)
            mapping = map_columns(header, columns)
            missing = [f"{f}={c!r}" for f, c in (columns or {}).items() if f not in mapping.values()]
            if missing:
                yield issue(display, line, None, f"columns not found in the header: {', '.join(missing)}")
                return
            if not any(f in SIGNALS for f in mapping.values()):
                found = ", ".join(clip(h, 20) for h in header[:8])
                yield issue(
                    display,
                    line,
                    None,
                    f"no hash column in the header ({found}): name the column that holds the hashes "
                    "(netsafe hashset import --column md5=HEADER) or check the delimiter",
                )
                return
            continue
        yield from _row(display, line, row, header, mapping, profile)
    yield from pending
    if header is None:
        yield issue(display, 0, None, "empty CSV file: expected a header row")
    if progress is not None:
        progress(consumed(stream))


_HASH_LIKE = re.compile(r"(?m)^[^\n]*\b[0-9a-fA-F]{32,}\b")


def _swallowed(display: str, first: int, last: int, row: list[str]) -> Iterator[ImportIssue]:
    """A warning for a row whose quoted cell spans lines that look like rows of their own (a quote left
    open that a later quote happened to close)."""
    for cell in row:
        if "\n" in cell and _HASH_LIKE.search(cell.split("\n", 1)[1]):
            yield issue(
                display,
                first,
                None,
                f"a quoted cell runs over lines {first}-{last} and holds what look like rows with hashes; "
                "they were read as text of this row (look for a stray quote)",
                warning=True,
            )
            return


def _repeated_columns(header: list[str], columns: Mapping[str, str] | None) -> str | None:
    """The message for two header cells that would fill the same field (the second would be lost)."""
    explicit = dict(columns or {})
    mapping = map_columns(header, explicit)
    fields = set(mapping.values())
    for index, title in enumerate(header):
        if index in mapping:
            continue
        folded = fold_name(title)
        for field in fields:
            names = (fold_name(explicit[field]),) if field in explicit else SYNONYMS[field]
            if folded in names or folded == fold_name(DEFAULT_HEADERS[field]):
                first = next(i for i, f in mapping.items() if f == field)
                return (
                    f"columns {first + 1} ({clip(header[first], 20)}) and {index + 1} ({clip(title, 20)}) "
                    f"both hold {field}: rename or remove one"
                )
    return None


def _distinct(header: list[str]) -> list[str]:
    """Header titles made unique ("Note", "Note (2)") so that cells kept in ``extra`` under their title
    cannot overwrite each other."""
    seen: dict[str, int] = {}
    titles = []
    for title in header:
        count = seen.get(title, 0) + 1
        seen[title] = count
        titles.append(title if count == 1 else f"{title} ({count})")
    return titles


def _row(
    display: str,
    line: int,
    row: list[str],
    header: list[str],
    mapping: dict[int, str],
    profile: GradingProfile,
) -> Iterator[ReadItem]:
    raw = json_text(row)
    if len(row) > len(header):
        yield issue(display, line, None, f"{len(row)} cells but the header has {len(header)} columns", raw)
        return
    entry = Entry(origin_file=display, origin_record=line)
    problems: list[tuple[str, str]] = []
    file_name: str | None = None
    # Undo the writer's guard against spreadsheet formulas (netsafe's, and the same quote a spreadsheet
    # adds); hex hashes never start with one.
    for index, cell in enumerate(formula_unescaped(c) for c in row):
        field = mapping.get(index)
        title = header[index]
        if field is None:
            if cell != "":
                entry.extra[title] = cell
            continue
        if cell.strip() == "":
            continue
        try:
            if field == "file_name":
                file_name = cell
            else:
                _set(entry, field, cell, profile)
        except (ValueError, HashFormatError, ProfileError) as err:
            problems.append((title, str(err)))
    if file_name is not None and not entry.media_files:
        entry.media_files = [{"FileName": file_name}]
    if not problems and not entry.signals and not entry.vpdq:
        problems.append(("hash", "row has no hash"))
    for title, message in problems:
        yield issue(display, line, title, message, raw)
    if not problems:
        yield from control_characters(entry, display, line)
        yield entry


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object, refused if it gives a key twice (json.loads would keep the last in silence)."""
    result = dict(pairs)
    if len(result) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise ValueError(f"key {clip(key, 40)!r} given twice in the JSON")
            seen.add(key)
    return result


def _json_cell(cell: str, kind: type) -> Any:
    # json.loads recurses once per level (a RecursionError past about 1,000): the shape is checked first.
    check_json_text(cell)
    try:
        value = json.loads(cell, object_pairs_hook=_unique_keys)
    except json.JSONDecodeError as err:
        raise ValueError(f"not valid JSON: {err.msg} at character {err.pos}") from None
    except RecursionError:
        raise ValueError(f"JSON nested deeper than {MAX_JSON_DEPTH} levels") from None
    if not isinstance(value, kind):
        raise ValueError(f"expected a JSON {'object' if kind is dict else 'list'}")
    return value


def _set(entry: Entry, field: str, cell: str, profile: GradingProfile) -> None:
    if field in SIGNALS:
        entry.signals[field] = normalise_signal(field, cell)
    elif field == "source_id":
        entry.source_id = cell
    elif field == "category":
        entry.category = profile.parse(cell)
    elif field in ("victim_identified", "offender_identified", "distributed"):
        setattr(entry, field, parse_bool(cell))
    elif field in ("first_seen", "last_seen"):
        setattr(entry, field, parse_time(cell))
    elif field == "media_size":
        if not cell.strip().isdigit():
            raise ValueError(f"not a size in bytes: {clip(cell)}")
        entry.media_size = int(cell)
    elif field == "tags":
        if cell.lstrip().startswith("["):
            tags = _json_cell(cell, list)
            if not all(isinstance(t, str) for t in tags):
                raise ValueError("expected a list of strings")
            entry.tags = tags
        else:
            entry.tags = [t.strip() for t in cell.replace(",", ";").split(";") if t.strip()]
    elif field == "alternative_hashes":
        table = _json_cell(cell, dict)
        if not all(isinstance(v, str) for v in table.values()):
            raise ValueError("expected an object of hash name -> value")
        entry.alternative_hashes = table
    elif field == "media_files":
        files = _json_cell(cell, list)
        if not all(isinstance(f, dict) for f in files):
            raise ValueError("expected a list of objects")
        entry.media_files = files
    elif field == "vpdq":
        entry.vpdq = _frames(_json_cell(cell, list))
    elif field == "extra":
        for key, value in _json_cell(cell, dict).items():
            if key in entry.extra and entry.extra[key] != value:
                raise ValueError(f"{clip(key, 40)!r} is also a column of this file, with another value")
            entry.extra[key] = value
    else:  # series, comments, mime_type
        setattr(entry, field, cell)


def _frames(items: list[Any]) -> list[VpdqFrame]:
    frames = []
    for i, item in enumerate(items):
        try:
            frames.append(
                VpdqFrame(
                    frame=int(item["frame"]),
                    timestamp=float(item["timestamp"]),
                    quality=int(item["quality"]),
                    pdq=normalise_signal("pdq", str(item["pdq"])),
                )
            )
        except (KeyError, TypeError, ValueError, HashFormatError) as err:
            raise ValueError(f"frame {i}: {err}") from None
    return frames
