"""Hash-list file formats: a registry of readers and writers, and detection from content.

Every reader is ``read(source, *, profile=..., name=None, progress=None, **options)`` and yields
:class:`~netsafe.hashsets.model.Entry` objects and :class:`~netsafe.hashsets.model.ImportIssue` problems
(record or line numbered); it raises only :class:`FormatError` (file cannot be opened, bad option) and
:class:`~netsafe.hashsets.profiles.ProfileError` (unknown profile). Every writer is
``write(entries, out, profile, **options) -> count``.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from types import ModuleType
from typing import Any, cast

from netsafe.hashsets.formats import csv, hashdeep, threatexchange, vics
from netsafe.hashsets.formats.base import FormatError, ReadItem, Sink, Source, fold_name, open_source
from netsafe.hashsets.model import Entry, ImportIssue

__all__ = [
    "FORMATS",
    "MODULES",
    "Format",
    "FormatError",
    "detect",
    "get",
    "read",
    "write",
]


@dataclass(frozen=True, slots=True)
class Format:
    name: str
    description: str
    # Entries (or, for a reader taking ``values=True``, their plain values) and issues.
    read: Callable[..., Iterator[ReadItem | tuple[Any, ...]]]
    write: Callable[..., int]
    extensions: tuple[str, ...] = ()


FORMATS: dict[str, Format] = {
    "vics": Format("vics", "VICS JSON 1.x/2.0 (Project VIC, CAID)", vics.read, vics.write, (".json",)),
    "csv": Format("csv", "CSV with a header row", csv.read, csv.write, (".csv", ".tsv")),
    "hashdeep": Format("hashdeep", "hashdeep file", hashdeep.read, hashdeep.write, (".hashdeep", ".hsh")),
    "md5sum": Format(
        "md5sum",
        "md5sum lines (<hex>  <name>)",
        partial(hashdeep.read_sums),
        partial(hashdeep.write_sums, signal="md5"),
        (".md5",),
    ),
    "sha1sum": Format(
        "sha1sum",
        "sha1sum lines",
        partial(hashdeep.read_sums, signal="sha1"),
        partial(hashdeep.write_sums, signal="sha1"),
        (".sha1",),
    ),
    "sha256sum": Format(
        "sha256sum",
        "sha256sum lines",
        partial(hashdeep.read_sums, signal="sha256"),
        partial(hashdeep.write_sums, signal="sha256"),
        (".sha256",),
    ),
    "tx": Format(
        "tx",
        "ThreatExchange text (<signal> <value> per line)",
        threatexchange.read,
        threatexchange.write,
        (".txt",),
    ),
}
# The module behind each format name (the md5sum family lives with hashdeep).
MODULES: dict[str, ModuleType] = {
    "vics": vics,
    "csv": csv,
    "hashdeep": hashdeep,
    "md5sum": hashdeep,
    "sha1sum": hashdeep,
    "sha256sum": hashdeep,
    "tx": threatexchange,
}
ALIASES = {"threatexchange": "tx", "json": "vics", "sums": "md5sum"}

DETECT_BYTES = 64 * 1024
_SUM_LINE = re.compile(r"\\?[0-9a-fA-F]{32,64} [ *]\S")
_BSD_LINE = re.compile(r"\\?(MD5|SHA1|SHA256|SHA-1|SHA-256)\s*\(.*\)\s*=\s*[0-9a-fA-F]+$")
_TX_LINE = re.compile(r"(pdq|md5|sha1|sha256|photodna|video_md5)\s+\S+", re.IGNORECASE)
_BARE_LINE = re.compile(r"[0-9a-fA-F]{32,}")


def get(name: str) -> Format:
    key = ALIASES.get(name.lower(), name.lower())
    try:
        return FORMATS[key]
    except KeyError:
        raise FormatError(f"unknown format {name!r} (known: {', '.join(FORMATS)})") from None


def detect(source: Source, name: str | None = None) -> str:
    """The format name of a file from its first 64 KiB; raises :class:`FormatError` when unsure.

    Streams must be seekable: they are rewound to where they were.
    """
    if isinstance(source, str | Path):
        with open_source(source, name) as (stream, display):
            return detect_bytes(stream.read(DETECT_BYTES), display)
    display = name or str(getattr(source, "name", "<stream>"))
    if not source.seekable():
        raise FormatError(
            f"{display}: cannot detect the format of a stream that cannot seek; name the format"
        )
    start = source.tell()
    try:
        head = source.read(DETECT_BYTES)
    finally:
        source.seek(start)
    return detect_bytes(head, display)


def detect_bytes(head: bytes, display: str = "<data>") -> str:
    text = head.removeprefix(b"\xef\xbb\xbf").decode("utf-8", errors="replace")
    stripped = text.lstrip()
    if not stripped:
        raise FormatError(f"{display}: empty file; cannot tell its format")
    if stripped[0] in "{[":
        return "vics"
    if stripped.startswith("%%%%"):
        return "hashdeep"
    lines = [ln.strip() for ln in text.splitlines()]
    content = [ln for ln in lines if ln and not ln.startswith("#")]
    if len(text) == DETECT_BYTES and len(content) > 1:
        content = content[:-1]  # the last line may be cut short
    if not content:
        raise FormatError(f"{display}: only comments; cannot tell its format")
    first = content[0]
    sample = content[:50]
    if all(_SUM_LINE.match(ln) or _BSD_LINE.match(ln) for ln in sample):
        return "md5sum"
    if all(_TX_LINE.fullmatch(ln) or _TX_LINE.match(ln) for ln in sample):
        return "tx"
    if all(_BARE_LINE.fullmatch(ln) for ln in sample):
        return "tx"
    delimiters = [d for d in ",;\t|" if d in first]
    if delimiters:
        header = re.split(r"[,;\t|]", first)
        if any(fold_name(h.strip().strip('"')) in names for h in header for names in csv.SYNONYMS.values()):
            return "csv"
    raise FormatError(
        f"{display}: cannot tell the format from the content; name it (one of {', '.join(FORMATS)})"
    )


# Parameters that are not a user's options: the data, and ``values`` (the import's own way of reading).
_NOT_OPTIONS = ("source", "entries", "out", "values")


def _check_options(function: Callable[..., Any], options: dict[str, Any], what: str) -> None:
    accepted = {
        name
        for name, p in inspect.signature(function).parameters.items()
        if p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD) and name not in _NOT_OPTIONS
    }
    unknown = sorted(set(options) - accepted)
    if unknown:
        takes = ", ".join(sorted(accepted))
        raise FormatError(f"{what} does not take {', '.join(unknown)} (it takes {takes})")


def read(format_name: str, source: Source, **options: Any) -> Iterator[Entry | ImportIssue]:
    """Read with the named format; an option the format does not take is a :class:`FormatError`."""
    fmt = get(format_name)
    _check_options(fmt.read, options, f"reading {fmt.name}")
    # Entries, not their plain values: ``values`` is the import's own option (refused above).
    return cast(Iterator[Entry | ImportIssue], fmt.read(source, **options))


def write(format_name: str, entries: Iterable[Entry], out: Sink, **options: Any) -> int:
    fmt = get(format_name)
    _check_options(fmt.write, options, f"writing {fmt.name}")
    return fmt.write(entries, out, **options)
