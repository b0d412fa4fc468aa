"""The start of a VICS file, learnt before its records are streamed: the encoding (UTF-8 with or without a
byte-order mark, or UTF-16), and a peek that finds the context URL and the form (the forms are listed in
:mod:`netsafe.hashsets.formats.vics`).
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from typing import Any, Protocol

import ijson  # type: ignore[import-untyped]

from netsafe.hashsets.formats.base import one_line
from netsafe.hashsets.formats.jsonguard import JsonLimitError
from netsafe.hashsets.profiles import GradingProfile, available_profiles, load_profile

# How far the peek may read looking for the context and the form before assuming a Media list.
PEEK_LIMIT = 16 << 20

_CONTEXT_RE = re.compile(
    r"DataModels/(\d+(?:\.\d+)*)\.xml(?:/([^/$#]+))?(?:/\$metadata)?#(\w+)", re.IGNORECASE
)


@dataclass(slots=True)
class VicsHeader:
    """What the start of a VICS file said: version, region and form (``Media``, ``Cases`` or ``array``)."""

    context: str | None = None
    version: str | None = None
    region: str | None = None
    form: str = "Media"
    case: dict[str, Any] = field(default_factory=dict)
    mismatch: str | None = None


def parse_context(context: str) -> tuple[str | None, str | None, str | None]:
    """``(version, region, entity)`` from an OData context/metadata URL; Nones where it does not say."""
    match = _CONTEXT_RE.search(context)
    if not match:
        entity = context.rsplit("#", 1)[1] if "#" in context else None
        return None, None, entity
    return match.group(1), match.group(2), match.group(3)


def profile_for_region(region: str | None) -> GradingProfile | None:
    """The profile whose region matches (case-insensitively); None for no region, "Default" or unknown."""
    if not region:
        return None
    for name in available_profiles():
        profile = load_profile(name)
        if profile.region.casefold() == region.casefold():
            return profile
    return None


class _Transcoder(io.RawIOBase):
    """UTF-8 bytes from a UTF-16 stream (older Windows VICS writers emit UTF-16 with a BOM)."""

    def __init__(self, raw: io.BufferedReader, encoding: str) -> None:
        super().__init__()
        self._text = io.TextIOWrapper(raw, encoding=encoding, errors="replace")
        self._pending = b""

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        if size < 0:
            data = self._pending + self._text.read().encode("utf-8")
            self._pending = b""
            return data
        while len(self._pending) < size:
            chunk = self._text.read(max(size // 2, 1024))
            if not chunk:
                break
            self._pending += chunk.encode("utf-8")
        data, self._pending = self._pending[:size], self._pending[size:]
        return data

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        data = self.read(len(view))
        view[: len(data)] = data
        return len(data)


class _Readable(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


def _utf8_stream(stream: io.BufferedReader) -> _Readable:
    """The stream as UTF-8 without a byte-order mark (yajl reads UTF-8 only)."""
    head = stream.peek(4)[:4]
    if head.startswith(b"\xef\xbb\xbf"):
        stream.read(3)
        return stream
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        encoding = "utf-16-le" if head.startswith(b"\xff\xfe") else "utf-16-be"
        stream.read(2)
        return _Transcoder(stream, encoding)
    return stream


class _Replay(io.RawIOBase):
    """Records what the peek reads, then plays it back before the rest of the stream."""

    def __init__(self, raw: _Readable) -> None:
        super().__init__()
        self._raw = raw
        self._recorded = bytearray()
        self._recording = True
        self._pos = 0

    def readable(self) -> bool:
        return True

    @property
    def recorded(self) -> int:
        return len(self._recorded)

    def recorded_text_is_blank(self) -> bool:
        return not bytes(self._recorded).strip()

    def rewind(self) -> None:
        self._recording = False
        self._pos = 0

    def read(self, size: int = -1) -> bytes:
        if not self._recording and self._pos < len(self._recorded):
            end = len(self._recorded) if size < 0 else self._pos + size
            chunk = bytes(self._recorded[self._pos : end])
            self._pos += len(chunk)
            if self._pos >= len(self._recorded):
                self._recorded = bytearray()
                self._pos = 0
            return chunk
        data = self._raw.read(size)
        if self._recording:
            self._recorded += data
        return data

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        data = self.read(len(view))
        view[: len(data)] = data
        return len(data)


def _peek(replay: _Replay) -> tuple[VicsHeader, str | None, int]:
    """Read events until the form is known: the header, and a fatal error message with its record."""
    header = VicsHeader()
    events = ijson.parse(replay, buf_size=16384)
    pending_key: str | None = None
    case_key: str | None = None
    value_seen = False
    try:
        first = next(events, None)
        if first is None:
            return header, "empty file: expected a VICS JSON object", 0
        _, event, _ = first
        if event == "start_array":
            header.form = "array"
            return header, None, 0
        if event != "start_map":
            return header, "not a VICS file: the top level must be a JSON object with a 'value' list", 0
        for prefix, event, value in events:
            if prefix == "" and event == "map_key":
                pending_key = str(value)
                continue
            if prefix == "" and event == "end_map":
                if not value_seen:
                    return header, "no 'value' list of Media records in the file", 0
                break
            if pending_key is not None and prefix == pending_key:
                key = pending_key
                pending_key = None
                folded = key.casefold()
                if folded in ("@odata.context", "odata.metadata", "odata.context"):
                    if event != "string":
                        return header, f"field {key}: expected a URL string", 0
                    header.context = str(value)
                    header.version, header.region, entity = parse_context(header.context)
                    if entity and entity.casefold() == "cases":
                        header.form = "Cases"
                    continue
                if key == "value":
                    if event != "start_array":
                        return header, "field value: expected a list of Media records", 0
                    value_seen = True
                    # The first item tells the form whatever the context says: a case holds a Media list.
                    continue
            if value_seen and prefix == "value.item" and event == "map_key":
                case_key = str(value)
                continue
            if value_seen and case_key is not None and prefix == f"value.item.{case_key}":
                if case_key.casefold() == "media" and event == "start_array":
                    if header.context is not None and header.form != "Cases":
                        header.mismatch = f"context says #{header.form} but the records are cases"
                    header.form = "Cases"
                    break
                if event in ("string", "number", "boolean", "null"):
                    header.case[case_key] = value
                case_key = None if event not in ("start_map", "start_array") else case_key
                continue
            if value_seen and prefix == "value.item" and event == "end_map":
                # The first item had no Media list: a Media record.
                if header.form == "Cases":
                    header.mismatch = "context says #Cases but the records are Media"
                header.form = "Media"
                header.case = {}
                break
            if value_seen and prefix == "value" and event == "end_array":
                break
            if replay.recorded > PEEK_LIMIT:
                break
    except JsonLimitError as err:
        if not value_seen:
            named = err.field_at(1)
            where = f"field {named}: " if named else ""
            return header, where + _limit_message(err), 0
        # Broken inside the records: the main pass names the record.
    except ijson.JSONError as err:
        if replay.recorded_text_is_blank():
            return header, "empty file: expected a VICS JSON object", 0
        return header, f"malformed JSON: {one_line(err)}", 1 if value_seen else 0
    if header.form == "Media" and not header.context and not value_seen:
        return header, "no 'value' list of Media records in the file", 0
    return header, None, 0


def _limit_message(err: JsonLimitError) -> str:
    return f"{err.message} at byte {err.offset}; no hash list needs that, so the rest of the file is not read"
