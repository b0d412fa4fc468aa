"""Reading list files: plain text (one entry a line), CSV (columns for the entry, date, source, match) and
JSON (a list of strings or of objects with the same keys). What an entry means is decided later (URL rules
in ``urls``, keyword rules in ``keywords``); here a file becomes rows, or a one-line error naming the line.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import date
from typing import Any

from netsafe.errors import InvalidInput

FORMATS = ("txt", "csv", "json")
MAX_SOURCE = 200
MAX_ENTRY = 4096
# The column or key that holds the entry, by list kind; the first one present is used.
ENTRY_KEYS = {"url": ("url", "entry", "host"), "keyword": ("term", "keyword", "phrase", "entry")}
DATE_KEYS = ("date", "listed", "added")


class ListFileError(InvalidInput, ValueError):
    pass


@dataclass(frozen=True, slots=True)
class RawEntry:
    line: int  # 1-based line (txt, csv) or item (json) of the file, for messages
    text: str
    source: str | None = None
    listed: date | None = None
    inside: bool = False  # keywords: match inside words too


def format_of(name: str, given: str | None = None) -> str:
    fmt = (given or name.rsplit(".", 1)[-1]).strip().lower()
    if fmt not in FORMATS:
        fmt = "txt" if given is None else fmt
    if fmt not in FORMATS:
        raise ListFileError(f"format: choose one of {', '.join(FORMATS)}")
    return fmt


def read_entries(text: str, fmt: str, kind: str, where: str = "file") -> list[RawEntry]:
    """Every entry of a file's text; ``ListFileError`` ("<where>:<line>: ...") at the first bad one."""
    if fmt == "txt":
        return _txt(text, where)
    if fmt == "csv":
        return _csv(text, kind, where)
    if fmt == "json":
        return _json(text, kind, where)
    raise ListFileError(f"format: choose one of {', '.join(FORMATS)}")


def _entry(text: str, where: str, line: int) -> str:
    value = text.strip()
    if len(value) > MAX_ENTRY:
        raise ListFileError(f"{where}:{line}: entry longer than {MAX_ENTRY} characters")
    if any(not ch.isprintable() and not ch.isspace() for ch in value) or "\n" in value or "\r" in value:
        raise ListFileError(f"{where}:{line}: entry has control characters")
    return value


def _txt(text: str, where: str) -> list[RawEntry]:
    out = []
    for number, line in enumerate(text.splitlines(), 1):
        value = line.strip()
        if not value or value.startswith("#"):
            continue
        out.append(RawEntry(number, _entry(value, where, number)))
    return out


def _csv(text: str, kind: str, where: str) -> list[RawEntry]:
    try:
        rows = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as err:
        raise ListFileError(f"{where}: not valid CSV ({err})") from None
    if not rows:
        return []
    header = [h.strip().lower() for h in rows[0]]
    col = next((header.index(k) for k in ENTRY_KEYS[kind] if k in header), None)
    if col is None:
        raise ListFileError(f"{where}:1: no column named {' or '.join(ENTRY_KEYS[kind])} in the header")
    out = []
    for number, row in enumerate(rows[1:], 2):
        if not any(cell.strip() for cell in row):
            continue
        record = dict(zip(header, row, strict=False))
        if col >= len(row) or not row[col].strip():
            raise ListFileError(f"{where}:{number}: {header[col]}: empty")
        out.append(_from_record(record, row[col], where, number))
    return out


def _json(text: str, kind: str, where: str) -> list[RawEntry]:
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as err:
        raise ListFileError(f"{where}: not valid JSON ({type(err).__name__})") from None
    if not isinstance(data, list):
        raise ListFileError(f"{where}: a JSON list file is an array of strings or objects")
    out = []
    for number, item in enumerate(data, 1):
        if isinstance(item, str):
            if not item.strip():
                raise ListFileError(f"{where}:{number}: empty entry")
            out.append(RawEntry(number, _entry(item, where, number)))
        elif isinstance(item, dict):
            key = next((k for k in ENTRY_KEYS[kind] if k in item), None)
            value = item.get(key) if key else None
            if not isinstance(value, str) or not value.strip():
                raise ListFileError(f"{where}:{number}: give {' or '.join(ENTRY_KEYS[kind])} as text")
            out.append(_from_record(item, value, where, number))
        else:
            raise ListFileError(f"{where}:{number}: an entry is a string or an object")
    return out


def _from_record(record: dict[str, Any], value: str, where: str, number: int) -> RawEntry:
    source = record.get("source")
    if source is not None and not isinstance(source, str):
        raise ListFileError(f"{where}:{number}: source: give text")
    source = (source or "").strip() or None
    if source is not None and (len(source) > MAX_SOURCE or not source.isprintable()):
        raise ListFileError(f"{where}:{number}: source: up to {MAX_SOURCE} printable characters")
    listed = None
    for key in DATE_KEYS:
        raw = record.get(key)
        if raw is None or raw == "":
            continue
        if not isinstance(raw, str):
            raise ListFileError(f"{where}:{number}: {key}: give a date as YYYY-MM-DD")
        try:
            listed = date.fromisoformat(raw.strip()[:10])
        except ValueError:
            raise ListFileError(f"{where}:{number}: {key}: give a date as YYYY-MM-DD") from None
        break
    match = record.get("match")
    if match not in (None, "", "word", "inside"):
        raise ListFileError(f"{where}:{number}: match: word or inside")
    return RawEntry(number, _entry(value, where, number), source, listed, match == "inside")
