"""Checksum lists: md5sum / sha1sum / sha256sum lines and hashdeep files.

md5sum lines are ``<hex>  <name>`` (text mode) or ``<hex> *<name>`` (binary mode); GNU coreutils starts a
line with ``\\`` when the name holds a backslash or newline and escapes them. BSD ``MD5 (name) = <hex>``
lines and bare hashes are read too. The signal comes from the hash length (32 md5, 40 sha1, 64 sha256)
unless one is given: a 64-character hash is read as SHA-256, never PDQ, in a checksum list.

hashdeep files start with ``%%%% HASHDEEP-1.0`` and a ``%%%% size,md5,sha256,filename`` line naming the
columns; ``##`` lines are comments. The file name is the last column and may itself contain commas.

The file name of each line is kept as ``media_files=[{"FileName": name}]``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from typing import TextIO

from netsafe.hashsets.formats.base import (
    LEGACY_NOTE,
    FormatError,
    Progress,
    ReadItem,
    Sink,
    Source,
    clip,
    issue,
    open_sink,
    open_source,
    signal_for,
    text_lines,
)
from netsafe.hashsets.model import SIGNALS, Entry, ImportIssue, normalise_signal
from netsafe.hashsets.profiles import DEFAULT_PROFILE, GradingProfile
from netsafe.signals.codecs import HashFormatError
from netsafe.signals.types import CRYPTO_SIGNALS

NAME = "hashdeep"
SUMS_NAME = "md5sum"
HASHDEEP_MAGIC = "%%%% HASHDEEP-1.0"
NO_NAME = "-"

_BY_LENGTH = {32: "md5", 40: "sha1", 64: "sha256"}
_SUM_RE = re.compile(r"(\\?)([0-9a-fA-F]+) ([ *])(.*)", re.DOTALL)
_BSD_RE = re.compile(r"(\\?)(MD5|SHA1|SHA256|SHA-1|SHA-256)\s*\((.*)\)\s*=\s*([0-9a-fA-F]+)", re.DOTALL)
_BARE_RE = re.compile(r"[0-9a-fA-F]+")


def _unescape(name: str) -> str:
    out = []
    i = 0
    while i < len(name):
        ch = name[i]
        if ch == "\\" and i + 1 < len(name):
            nxt = name[i + 1]
            out.append({"\\": "\\", "n": "\n", "r": "\r"}.get(nxt, "\\" + nxt))
            i += 2
            continue
        out.append(ch)
        i += 1
    return "".join(out)


def _escape(name: str) -> tuple[str, bool]:
    if not any(c in name for c in "\\\n\r"):
        return name, False
    return name.replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r"), True


def _with_name(entry: Entry, name: str | None) -> Entry:
    if name and name != NO_NAME:
        entry.media_files = [{"FileName": name}]
    return entry


def read_sums(
    source: Source,
    *,
    profile: str | GradingProfile = DEFAULT_PROFILE,
    name: str | None = None,
    signal: str | None = None,
    progress: Progress | None = None,
) -> Iterator[ReadItem]:
    """Entries of an md5sum/sha1sum/sha256sum list; ``signal`` forces the hash type of every line."""
    if signal is not None and signal not in SIGNALS:
        raise FormatError(f"unknown signal {signal!r} (known: {', '.join(SIGNALS)})")
    with open_source(source, name) as (stream, display):
        for line in text_lines(stream, display, progress):
            if isinstance(line, ImportIssue):
                yield line
                continue
            number, text, lossy = line
            raw_text = text
            escaped, hex_value, file_name = _split_sum_line(text)
            if hex_value is None:
                yield issue(display, number, None, f"not a checksum line: {clip(text)}", raw_text)
                continue
            if escaped and file_name is not None:
                file_name = _unescape(file_name)
            kind = signal or _BY_LENGTH.get(len(hex_value))
            if kind is None:
                yield issue(
                    display,
                    number,
                    "hash",
                    f"{len(hex_value)} hex characters is not MD5 (32), SHA-1 (40) or SHA-256 (64)",
                    raw_text,
                )
                continue
            try:
                value = normalise_signal(kind, hex_value)
            except HashFormatError as err:
                yield issue(display, number, kind, str(err), raw_text)
                continue
            if lossy:
                yield issue(display, number, "name", f"file name is {LEGACY_NOTE}", warning=True)
            entry = Entry(signals={kind: value}, origin_file=display, origin_record=number)
            yield _with_name(entry, file_name)


def _split_sum_line(text: str) -> tuple[bool, str | None, str | None]:
    match = _SUM_RE.fullmatch(text)
    if match:
        return bool(match.group(1)), match.group(2), match.group(4)
    match = _BSD_RE.fullmatch(text)
    if match:
        return bool(match.group(1)), match.group(4), match.group(3)
    stripped = text.strip()
    if _BARE_RE.fullmatch(stripped):
        return False, stripped, None
    return False, None, None


def write_sums(
    entries: Iterable[Entry],
    out: Sink,
    profile: str | GradingProfile = DEFAULT_PROFILE,
    *,
    signal: str = "md5",
    binary: bool = False,
) -> int:
    """Write ``<hex>  <name>`` lines for ``signal``; entries without it are skipped. Returns lines written."""
    if signal not in CRYPTO_SIGNALS:
        raise FormatError(f"checksum lists hold {', '.join(CRYPTO_SIGNALS)}, not {signal!r}")
    marker = "*" if binary else " "
    count = 0
    with open_sink(out) as sink:
        for entry in entries:
            value = entry.signals.get(signal)
            if value is None:
                continue
            file_name = _file_name(entry)
            escaped, flagged = _escape(file_name)
            lead = "\\" if flagged else ""
            sink.write(f"{lead}{value} {marker}{escaped}\n")
            count += 1
    return count


def _file_name(entry: Entry) -> str:
    if entry.media_files:
        name = entry.media_files[0].get("FileName")
        if isinstance(name, str) and name:
            return name
    return NO_NAME


def read(
    source: Source,
    *,
    profile: str | GradingProfile = DEFAULT_PROFILE,
    name: str | None = None,
    progress: Progress | None = None,
) -> Iterator[ReadItem]:
    """Entries of a hashdeep file (``size`` becomes ``media_size``; other hash columns kept verbatim)."""
    with open_source(source, name) as (stream, display):
        columns: list[str] | None = None
        magic = False
        for line in text_lines(stream, display, progress, comment="##"):
            if isinstance(line, ImportIssue):
                yield line
                continue
            number, text, lossy = line
            if text.startswith("%%%%"):
                body = text[4:].strip()
                if body.upper().startswith("HASHDEEP-"):
                    magic = True
                else:
                    columns = [c.strip().lower() for c in body.split(",")]
                    if not columns or columns[-1] != "filename":
                        yield issue(display, number, None, "hashdeep column line must end with 'filename'")
                        return
                    twice = _repeated(columns)
                    if twice:
                        yield issue(display, number, None, twice)
                        return
                continue
            if not magic or columns is None:
                yield issue(
                    display,
                    number,
                    None,
                    f"not a hashdeep file: expected '{HASHDEEP_MAGIC}' and a "
                    "'%%%% size,...,filename' line first",
                )
                return
            yield from _hashdeep_line(display, number, text, columns, lossy)
        if columns is None:
            yield issue(display, 0, None, "no hashdeep header found: is this an md5sum list or a CSV file?")


def _repeated(columns: list[str]) -> str | None:
    """The message for a column line naming one hash twice (the second value would replace the first)."""
    seen: dict[str, str] = {}
    for column in columns:
        key = signal_for(column) or column
        if key in seen:
            return f"hashdeep column line names {key} twice ({seen[key]}, {column}): remove one"
        seen[key] = column
    return None


def _hashdeep_line(
    display: str, number: int, text: str, columns: list[str], lossy: bool
) -> Iterator[ReadItem]:
    parts = text.split(",", len(columns) - 1)
    if len(parts) != len(columns):
        yield issue(
            display, number, None, f"expected {len(columns)} comma-separated fields, got {len(parts)}", text
        )
        return
    entry = Entry(origin_file=display, origin_record=number)
    problems: list[tuple[str, str]] = []
    for column, value in zip(columns, parts, strict=True):
        if column == "filename":
            _with_name(entry, value)
        elif column == "size":
            if value.strip():
                if not value.strip().isdigit():
                    problems.append(("size", f"not a size in bytes: {clip(value)}"))
                else:
                    entry.media_size = int(value)
        elif value.strip():
            signal = signal_for(column)
            if signal is None:
                entry.alternative_hashes[column] = value.strip()
                continue
            try:
                entry.signals[signal] = normalise_signal(signal, value)
            except HashFormatError as err:
                problems.append((column, str(err)))
    if not problems and not entry.signals and not entry.alternative_hashes:
        problems.append(("hash", "line has no hash"))
    for field_name, message in problems:
        yield issue(display, number, field_name, message, text)
    if not problems:
        if lossy:
            yield issue(display, number, "filename", f"file name is {LEGACY_NOTE}", warning=True)
        yield entry


def write(
    entries: Iterable[Entry],
    out: Sink,
    profile: str | GradingProfile = DEFAULT_PROFILE,
    *,
    signals: Sequence[str] = ("md5", "sha256"),  # signal-list: ok, the columns hashdeep writes by default
    command: str | None = None,
) -> int:
    """Write a hashdeep file with ``size`` then the given hash columns then ``filename``."""
    for signal in signals:
        if signal not in CRYPTO_SIGNALS:
            raise FormatError(f"hashdeep columns are {', '.join(CRYPTO_SIGNALS)}, not {signal!r}")
    with open_sink(out) as sink:
        return _write(entries, sink, list(signals), command)


def _write(entries: Iterable[Entry], sink: TextIO, signals: list[str], command: str | None) -> int:
    sink.write(f"{HASHDEEP_MAGIC}\n%%%% size,{','.join(signals)},filename\n")
    sink.write("## Written by netsafe\n")
    if command:
        sink.write(f"## $ {command}\n")
    sink.write("##\n")
    count = 0
    for entry in entries:
        size = "" if entry.media_size is None else str(entry.media_size)
        hashes = [entry.signals.get(s, "") for s in signals]
        name = _file_name(entry).replace("\n", " ").replace("\r", " ")
        sink.write(",".join([size, *hashes, name]) + "\n")
        count += 1
    return count
