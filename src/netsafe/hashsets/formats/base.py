"""What every format module shares: opening sources, counting bytes for progress, bounded line reading,
signal names as lists spell them, and the reader's issue helpers."""

from __future__ import annotations

import contextlib
import functools
import io
import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any, TextIO

from netsafe.hashsets.model import Entry, HashSetError, ImportIssue

# A line longer than this is reported and skipped rather than read into memory (a 2 GB file with no newline
# must not become a 2 GB string).
MAX_LINE_BYTES = 1 << 20
# How often (in records) a reader reports progress.
PROGRESS_EVERY = 4096

Source = str | Path | IO[bytes]
Sink = str | Path | TextIO
Progress = Callable[[int], None]
ReadItem = Entry | ImportIssue


class FormatError(HashSetError):
    """A file that cannot be read or written at all (not found, unknown format, bad option)."""


class CountingReader(io.RawIOBase):
    """A binary stream that counts the bytes read through it, so readers can report progress."""

    def __init__(self, raw: IO[bytes]) -> None:
        super().__init__()
        self._raw = raw
        self.count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        data = self._raw.read(len(view))
        if not data:
            return 0
        n = len(data)
        view[:n] = data
        self.count += n
        return n

    def read(self, size: int = -1) -> bytes:
        data = self._raw.read(size)
        self.count += len(data)
        return data


def consumed(stream: io.BufferedReader) -> int:
    """Bytes read so far from the source behind a stream from :func:`open_source` (for progress)."""
    raw = stream.raw
    return raw.count if isinstance(raw, CountingReader) else 0


@contextlib.contextmanager
def open_source(source: Source, name: str | None = None) -> Iterator[tuple[io.BufferedReader, str]]:
    """Yield ``(buffered binary stream, name for messages)`` for a path or an open binary stream.

    Raises :class:`FormatError` if a path cannot be opened. Streams are not closed (the caller owns them).
    """
    if isinstance(source, str | Path):
        display = name or str(source)
        try:
            handle = open(source, "rb")  # noqa: SIM115 - closed below
        except OSError as err:
            raise FormatError(f"{display}: cannot open: {err.strerror or err}") from None
        try:
            yield io.BufferedReader(CountingReader(handle), 1 << 16), display
        finally:
            handle.close()
    else:
        display = name or str(getattr(source, "name", "<stream>"))
        yield io.BufferedReader(CountingReader(source), 1 << 16), display


@contextlib.contextmanager
def open_sink(out: Sink) -> Iterator[TextIO]:
    if isinstance(out, str | Path):
        try:
            handle = open(out, "w", encoding="utf-8", newline="")  # noqa: SIM115 - closed below
        except OSError as err:
            raise FormatError(f"{out}: cannot write: {err.strerror or err}") from None
        try:
            yield handle
        finally:
            handle.close()
    else:
        yield out


def iter_lines(
    stream: IO[bytes], max_bytes: int = MAX_LINE_BYTES, keep_ends: bool = False
) -> Iterator[tuple[int, bytes | None]]:
    """``(line number, line)``; ``None`` for a line over ``max_bytes`` (then skipped). The line ending is
    dropped unless ``keep_ends``."""
    number = 0
    while True:
        line = stream.readline(max_bytes + 1)
        if not line:
            return
        number += 1
        if len(line) > max_bytes and not line.endswith(b"\n"):
            while True:  # drain the rest of the over-long line without keeping it
                rest = stream.readline(max_bytes)
                if not rest or rest.endswith(b"\n"):
                    break
            yield number, None
            continue
        yield number, line if keep_ends else line.rstrip(b"\r\n")


def text_lines(
    stream: io.BufferedReader, display: str, progress: Progress | None, comment: str = "#"
) -> Iterator[tuple[int, str, bool] | ImportIssue]:
    """The loop every line-based reader shares: ``(number, text, legacy)`` for each line with content,
    blank and ``comment`` lines skipped, an issue for each over-long line, progress reported as it goes.
    ``legacy`` is true for a line that is not UTF-8 (read as Windows-1252, every byte kept: see
    :data:`LEGACY_NOTE`)."""
    for number, raw in iter_lines(stream):
        if progress is not None and number % PROGRESS_EVERY == 0:
            progress(consumed(stream))
        if raw is None:
            yield issue(display, number, None, "line too long (over 1 MiB); skipped")
            continue
        text, legacy = decode_legacy(raw, number == 1)
        if not text.strip() or text.lstrip().startswith(comment):
            continue
        yield number, text, legacy is not None
    if progress is not None:
        progress(consumed(stream))


def decode_line(raw: bytes, first: bool) -> tuple[str, bool]:
    """UTF-8 text of a line (BOM dropped on the first); undecodable bytes replaced, flagged by the bool."""
    if first and raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        return raw.decode("utf-8"), False
    except UnicodeDecodeError:
        return raw.decode("utf-8", errors="replace"), True


# The warning for a line that is not UTF-8.
LEGACY_NOTE = "not UTF-8; read as Windows-1252 (every byte kept)"
# What a line that is not UTF-8 is read as: lists exported from Windows tools (Excel's "CSV" above all) are
# Windows-1252, and Latin-1 is the same but for 0x80-0x9F. Either maps every byte to one character, so
# nothing is lost, unlike replacing bad bytes with U+FFFD.
FALLBACK_ENCODING = "cp1252"


def decode_legacy(raw: bytes, first: bool) -> tuple[str, str | None]:
    """Text of a line: UTF-8 if it is (BOM dropped on the first line), else Windows-1252 (Latin-1 for the
    five bytes Windows-1252 leaves undefined); the second item names the encoding used when not UTF-8."""
    if first and raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        return raw.decode("utf-8"), None
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode(FALLBACK_ENCODING), "Windows-1252"
    except UnicodeDecodeError:
        return raw.decode("latin-1"), "Latin-1"


_SIGNAL_ALIASES: dict[str, str] = {
    "md5": "md5",
    "md5hash": "md5",
    "hashmd5": "md5",
    "sha1": "sha1",
    "sha1hash": "sha1",
    "hashsha1": "sha1",
    "sha256": "sha256",
    "sha256hash": "sha256",
    "hashsha256": "sha256",
    "pdq": "pdq",
    "pdqhash": "pdq",
    "photodna": "photodna",
    "pdna": "photodna",
    "photodnahash": "photodna",
}


@functools.lru_cache(maxsize=4096)
def fold_name(name: str) -> str:
    """Lowercase without anything but letters and digits: "SHA-256" and "sha_256" give "sha256"."""
    return re.sub(r"[^0-9a-z]", "", name.casefold())


def signal_for(name: str) -> str | None:
    """The netsafe signal a list's hash name stands for ("SHA-256" -> "sha256"), or None."""
    return _SIGNAL_ALIASES.get(fold_name(name))


def clip(value: Any, limit: int = 60) -> str:
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= limit else text[:limit] + "..."


def one_line(err: BaseException) -> str:
    """The first line of an exception's message (parsers add multi-line context)."""
    text = str(err.args[0]) if err.args else str(err)
    if err.args and isinstance(err.args[0], bytes):
        text = err.args[0].decode("utf-8", errors="replace")
    first = text.strip().splitlines()[0] if text.strip() else type(err).__name__
    return first.strip()


def issue(
    file: str, record: int, field: str | None, message: str, raw: str | None = None, warning: bool = False
) -> ImportIssue:
    return ImportIssue(file, record, field, message, "warning" if warning else "error", raw)


# Control characters other than tab and line breaks: kept as read, but some exports, databases and
# spreadsheets drop or change them (a NUL in a comment came back as a space), so a reader says so.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def control_characters(entry: Entry, file: str, record: int) -> Iterator[ImportIssue]:
    """A warning for each free-text field of ``entry`` holding a control character."""
    texts = (entry.comments, entry.series, entry.source_id, entry.mime_type, *entry.tags)
    if not _CONTROL.search("".join(t for t in texts if t)):
        return
    fields = {"comments": entry.comments, "series": entry.series, "source_id": entry.source_id}
    fields.update({"mime_type": entry.mime_type, "tags": "".join(entry.tags)})
    for name, text in fields.items():
        found = _CONTROL.search(text) if text else None
        if found:
            yield issue(
                file,
                record,
                name,
                f"holds control character {found.group(0)!r} (kept; some exports drop or change it)",
                warning=True,
            )


class DuplicateGuard:
    """Remembers the keys already read to report duplicates within one file.

    Keys are kept as 64-bit digests (about 60 bytes each in a Python set), so a 1M-record file costs about
    60 MB; two different keys sharing a digest (odds about 1 in 10^7 at 1M records) would be reported as a
    duplicate; readers take ``check_duplicates=False`` for constant memory when the store checks instead.
    """

    def __init__(self) -> None:
        self._seen: set[int] = set()

    def seen(self, key: tuple[str, str]) -> bool:
        """True if ``key`` was read before in this file; remembers it otherwise."""
        digest = hash(key)
        if digest in self._seen:
            return True
        self._seen.add(digest)
        return False


def json_text(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)
