"""Limits on the shape of JSON read from a hash list, checked on the raw bytes before any parser sees them.

A hostile list can cost memory and time out of all proportion to its size through three shapes, each found
by the security trial of issue 18: deep nesting (ijson keeps a prefix string per level, so memory grows with
the square of the depth: 30,000 levels took 2.4 GB), one very long string (yajl's time grows with the
square of its length) and one very long number (ijson's C backend crashes the interpreter on an integer of
more than 4,300 digits). :class:`JsonGuard` scans the bytes as they stream past and stops at the first
place that breaks a limit, so the parser behind it never holds more than the limits allow.

The fast path works a chunk at a time in C (regular-expression split, ``bytes.translate``, a numpy running
sum); only a chunk that breaks a limit is walked byte by byte to find where and in which field.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from typing import Any, Protocol

from netsafe.errors import InvalidInput

# Nesting deeper than this is refused: a VICS record sits at depth 3 (5 in the Cases form) and its deepest
# standard field (MediaFiles, vPDQ) adds 2, so 64 leaves room for any plausible extension.
MAX_JSON_DEPTH = 64
# One string longer than this (in bytes as written, escapes included) is refused: the longest value a hash
# list needs is a PhotoDNA in base64 (192 characters); free text (Comments, Series) stays far below this.
MAX_STRING_BYTES = 64 * 1024
# One number or literal longer than this is refused (a 64-bit integer has 20 digits).
MAX_SCALAR_BYTES = 256

_SPLIT = re.compile(rb'("[^"\\]*(?:\\.[^"\\]*)*")', re.DOTALL)
_STRING_TAIL = re.compile(rb'[^"\\]*(?:\\.[^"\\]*)*', re.DOTALL)
LONG_SCALAR = re.compile(rb'[^\[\]{}:,"\s]{%d}' % (MAX_SCALAR_BYTES + 1))
_TRAILING_SCALAR = re.compile(rb'[^\[\]{}:,"\s]*\Z')
_KEY_BEFORE = re.compile(rb'"((?:[^"\\]|\\.){0,200})"\s*:\s*\Z', re.DOTALL)
# A control character in a JSON string (escaped, as JSON requires, or DEL, which it does not): readers
# look for them in the values only once one has been seen.
_CONTROL = re.compile(rb"\\u00[01][0-9a-fA-F]|\\u007[fF]|\x7f")
_KEY = re.compile(rb'"((?:[^"\\]|\\.){0,200})"\s*:', re.DOTALL)
_TOKEN = re.compile(rb'"|[\[{]|[\]}]|[:,]|[^\[\]{}:,"\s]+|\s+')


class JsonLimitError(InvalidInput, ValueError):
    """JSON that breaks a limit: ``message`` says which, ``offset`` is the byte where; :meth:`field_at`
    names the field it is in (when the guard could tell)."""

    def __init__(
        self, message: str, offset: int, keys: dict[int, str] | None = None, fallback: str | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.offset = offset
        self._keys = dict(keys or {})
        self._fallback = fallback

    def field_at(self, depth: int) -> str | None:
        """The key of the object at ``depth`` around the break (1: the document's own keys), else the last
        key written before it."""
        return self._keys.get(depth, self._fallback)


@dataclass(slots=True)
class _Walk:
    """What the byte-by-byte walk of one chunk found."""

    at: int
    message: str
    keys: dict[int, str]
    last_key: str | None


def _decode_key(raw: bytes) -> str:
    return raw.decode("utf-8", errors="replace")


class JsonGuard:
    """Checks a JSON byte stream fed in chunks; :meth:`feed` raises :class:`JsonLimitError` at the first
    break, after :attr:`ok` has been set to the number of bytes of that chunk before it."""

    def __init__(self) -> None:
        self.depth = 0
        self.offset = 0
        self.ok = 0
        self.controls = False  # a control character has been seen
        self._in_string = False
        self._string_len = 0
        self._escape = False
        self._string_key: str | None = None
        self._scalar = b""
        self._previous = b""

    def feed(self, data: bytes) -> None:
        self.ok = len(data)
        try:
            self._feed(data)
        finally:
            self.offset += len(data)
            self._previous = data[-4096:]

    def _feed(self, data: bytes) -> None:
        import numpy as np  # here, not at the top: `hashset --help` must not pay for it

        # Substring tests in C before the regular expression: a list seldom escapes anything, and the
        # expression alone took 1.0 s of a 1M-record file's 2.4 s here. A single byte is found by memchr
        # (2 us for 64 KiB, where a two-byte one takes 30 to 60 us): no backslash, no escape to look for.
        escapes = b"\\" in data
        if (
            not self.controls
            and (b"\x7f" in data or (escapes and b"\\u00" in data))
            and _CONTROL.search(data)
        ):
            self.controls = True
        clean = data
        if self._escape:  # the last chunk ended on a backslash inside a string: this byte is escaped
            clean = b"X" + data[1:]
            self._escape = False
        if escapes and b'\\"' in clean:
            # Escaped backslashes and quotes become plain bytes (same length, so offsets hold): the string
            # boundaries are then exactly the quotes, found by one split in C. Without a backslash before a
            # quote every quote is a boundary already.
            clean = clean.replace(b"\\\\", b"XX").replace(b'\\"', b"XX")
        # Positions, not pieces: numpy finds the quotes and brackets without making an object for each.
        size = len(data)
        codes = np.frombuffer(clean, dtype=np.uint8)
        quotes = np.flatnonzero(codes == 0x22)
        pos = 0
        started_inside = self._in_string
        if started_inside:
            if not len(quotes):
                self._grow_string(size)
                self._escape = _odd_backslashes(clean)
                return
            first = int(quotes[0])
            self._grow_string(first)
            quotes = quotes[1:]
            pos = first + 1
        opening, closing = quotes[0::2], quotes[1::2]
        ends_inside = len(quotes) % 2 == 1
        if len(closing) and int((closing - opening[: len(closing)]).max()) - 1 > MAX_STRING_BYTES:
            self._fail(data, pos)
        # Stretches outside strings: from pos and after each closing quote, to each opening quote or the end.
        starts = np.concatenate(([pos], closing + 1))
        ends = opening if ends_inside else np.concatenate((opening, [size]))
        carried = 0 if started_inside else len(self._scalar)
        if int((ends - starts).max()) + carried > MAX_SCALAR_BYTES:
            stretches = zip(starts.tolist(), ends.tolist(), strict=True)
            joined = self._scalar + b"".join(clean[s:e] for s, e in stretches)
            if LONG_SCALAR.search(joined):
                self._fail(data, pos)
        # Depth: "[" and "{" differ from "]" and "}" by one bit; a bracket counts if an even number of
        # quotes comes before it (outside a string), and the depth peaks just after an opening bracket.
        folded = codes & 0xDF
        opens = np.flatnonzero(folded == 0x5B)
        closes = np.flatnonzero(folded == 0x5D)
        opens = opens[(np.searchsorted(quotes, opens) % 2 == 0) & (opens >= pos)]
        closes = closes[(np.searchsorted(quotes, closes) % 2 == 0) & (closes >= pos)]
        if len(opens):
            peak = np.arange(1, len(opens) + 1) - np.searchsorted(closes, opens)
            if self.depth + int(peak.max()) > MAX_JSON_DEPTH:
                self._fail(data, pos)
        self.depth = max(0, self.depth + len(opens) - len(closes))
        if not ends_inside:
            tail = _TRAILING_SCALAR.search(clean, max(int(starts[-1]), size - MAX_SCALAR_BYTES - 1))
            scalar = tail.group(0) if tail else b""
            # A chunk that is all one number goes on with the number the last chunk ended with.
            self._scalar = self._scalar + scalar if len(scalar) == size else scalar
            self._in_string = False
            return
        self._scalar = b""
        self._in_string = True
        start = int(opening[-1])
        self._string_len = size - start - 1
        found = _KEY_BEFORE.search(data, max(0, start - 400), start)
        self._string_key = _decode_key(found.group(1)) if found else None
        if self._string_len > MAX_STRING_BYTES:
            self._fail(data, pos)
        self._escape = _odd_backslashes(clean)

    def _grow_string(self, length: int) -> None:
        """Add ``length`` bytes to the string left open by the last chunk, raising if it is now too long."""
        self._string_len += length
        if self._string_len > MAX_STRING_BYTES:
            self.ok = length - (self._string_len - MAX_STRING_BYTES)
            raise JsonLimitError(_too_long(), self.offset + self.ok, None, self._string_key)

    def _fail(self, data: bytes, pos: int) -> None:
        walk = self._walk(data, pos)
        self.ok = walk.at
        key = walk.last_key
        if key is None:  # the field began in an earlier chunk: the last key written before the break
            before = self._previous + data[: walk.at]
            keys = _KEY.findall(before)
            key = _decode_key(keys[-1]) if keys else None
        raise JsonLimitError(walk.message, self.offset + walk.at, walk.keys, key)

    def _walk(self, data: bytes, pos: int) -> _Walk:
        """The first break in ``data`` from ``pos`` (which is outside any string), found token by token."""
        depth = self.depth
        objects: dict[int, bool] = {}
        keys: dict[int, str] = {}
        expect_key = False
        scalar = len(self._scalar)
        last_key: str | None = None

        def stop(at: int, message: str) -> _Walk:
            return _Walk(at, message, keys, last_key)

        while pos < len(data):
            token = _TOKEN.match(data, pos)
            assert token is not None  # every byte starts some token
            text = token.group(0)
            at, pos = pos, token.end()
            first = text[:1]
            if first == b'"':
                match = _STRING_TAIL.match(data, pos)
                assert match is not None
                if match.end() - pos > MAX_STRING_BYTES:
                    return stop(pos + MAX_STRING_BYTES, _too_long())
                if expect_key:
                    last_key = _decode_key(data[pos : match.end()])
                    keys[depth] = last_key
                    expect_key = False
                pos = match.end() + 1
            elif first in b"[{":
                depth += 1
                objects[depth] = first == b"{"
                expect_key = first == b"{"
                if depth > MAX_JSON_DEPTH:
                    return stop(at, f"JSON nested deeper than {MAX_JSON_DEPTH} levels")
            elif first in b"]}":
                keys.pop(depth, None)
                depth -= 1
                expect_key = False
            elif first == b",":
                expect_key = objects.get(depth, False)
            elif first == b":":
                expect_key = False
            elif not text.isspace():
                scalar += len(text)
                if scalar > MAX_SCALAR_BYTES:
                    at = pos - (scalar - MAX_SCALAR_BYTES)
                    return stop(at, f"a number longer than {MAX_SCALAR_BYTES} characters")
                continue
            scalar = 0
        # The fast path and the walk disagree only on invalid JSON (a number run into a string); stop anyway.
        return stop(len(data), "JSON beyond the limits for a hash list")


def _odd_backslashes(data: bytes) -> bool:
    """True if ``data`` (inside a string) ends on a backslash that escapes the next chunk's first byte."""
    return (len(data) - len(data.rstrip(b"\\"))) % 2 == 1


def _too_long() -> str:
    return f"a string longer than {MAX_STRING_BYTES // 1024} KiB (the limit for one value)"


class _Readable(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


class GuardedReader(io.RawIOBase):
    """A binary stream whose bytes pass a :class:`JsonGuard`: on a break it returns the bytes before it,
    then raises the :class:`JsonLimitError` on every later read, so a streaming parser first yields every
    record before the break and the caller can name the record where it happened."""

    def __init__(self, raw: _Readable, guard: JsonGuard | None = None) -> None:
        super().__init__()
        self._raw = raw
        self.guard = guard or JsonGuard()
        self.error: JsonLimitError | None = None

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        if self.error is not None:
            raise self.error
        data = self._raw.read(size)
        if not data:
            return data
        try:
            self.guard.feed(data)
        except JsonLimitError as err:
            self.error = err
            data = data[: self.guard.ok]
            if not data:
                raise
        return data

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        data = self.read(len(view))
        view[: len(data)] = data
        return len(data)


def check_json_text(text: str) -> None:
    """Raise :class:`JsonLimitError` if ``text`` (a whole JSON document, such as a CSV cell) breaks a
    limit; what it may hold is checked before ``json.loads``, which recurses once per level."""
    JsonGuard().feed(text.encode("utf-8", errors="surrogatepass"))
