"""VICS JSON (Project VIC / CAID exchange format): read 1.x and 2.0, write 2.0.

Reading is incremental with ijson's C backend (yajl2_c): memory stays flat whatever the file size, and every
problem is reported with its Media record number. A short peek at the start of the file decides the form:

- 1.x: ``{"odata.metadata": ".../DataModels/1.3.xml#Media", "value": [Media...]}``
- 2.0: ``{"@odata.context": ".../DataModels/2.0.xml/UK/$metadata#Media", "value": [Media...]}``
- 2.0 cases: ``{"@odata.context": "...#Cases", "value": [{"CaseID": ..., "Media": [Media...]}]}``
- a bare JSON array of Media objects (seen from home-made exports).

Writing produces 2.0 ``#Media`` with the grading profile's region in the context URL. Field names are read
case-insensitively; booleans may be JSON booleans or strings. Fields netsafe does not model are kept in
``Entry.extra`` and written back unchanged.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, TextIO

import ijson  # type: ignore[import-untyped]

from netsafe.hashsets.formats.base import (
    PROGRESS_EVERY,
    DuplicateGuard,
    FormatError,
    Progress,
    ReadItem,
    Sink,
    Source,
    clip,
    consumed,
    control_characters,
    fold_name,
    issue,
    json_text,
    one_line,
    open_sink,
    open_source,
    signal_for,
)
from netsafe.hashsets.formats.jsonguard import GuardedReader, JsonLimitError
from netsafe.hashsets.model import (
    Entry,
    EntryError,
    ImportIssue,
    format_time,
    normalise_signal,
    parse_bool,
    parse_time,
)
from netsafe.hashsets.profiles import (
    DEFAULT_PROFILE,
    GradingProfile,
    ProfileError,
    available_profiles,
    load_profile,
    map_category,
)
from netsafe.signals.codecs import HEX_LENGTHS, HashFormatError
from netsafe.signals.vpdq import VpdqFrame

NAME = "vics"
CONTEXT_TEMPLATE = "http://github.com/VICSDATAMODEL/ProjectVic/DataModels/2.0.xml/{region}/$metadata#Media"
# How far the peek may read looking for the context and the form before assuming a Media list.
PEEK_LIMIT = 16 << 20

# Depth of the objects whose keys are a record's fields, by form (document, value list, [case, Media list,]
# record), so that a limit broken deep inside a record is reported under the record's field.
_FIELD_DEPTH = {"Media": 3, "Cases": 5, "array": 2}

_CONTEXT_RE = re.compile(
    r"DataModels/(\d+(?:\.\d+)*)\.xml(?:/([^/$#]+))?(?:/\$metadata)?#(\w+)", re.IGNORECASE
)

# VICS Media fields netsafe does not model but knows: kept in ``extra`` without a warning.
_KNOWN_KEPT = {
    "isprecategorized",
    "dateupdated",
    "relativefilepath",
    "precatsource",
    "issuspected",
    "mediametadata",
    "exifs",
    "exif",
    "segments",
    "repository",
    "repositories",
    "sourceid",
    "ispartofseries",
    "odataid",
}


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


def read(
    source: Source,
    *,
    profile: str | GradingProfile = DEFAULT_PROFILE,
    name: str | None = None,
    file_profile: str | GradingProfile | None = None,
    check_duplicates: bool = True,
    progress: Progress | None = None,
    header: VicsHeader | None = None,
) -> Iterator[ReadItem]:
    """Entries of a VICS file, and an :class:`ImportIssue` for every problem.

    Category integers are read with ``file_profile`` (default: the profile matching the file's region, else
    ``profile``) and mapped to ``profile`` when they differ. A record with an error yields its issues and no
    entry; warnings come alongside the entry. Malformed JSON ends the read with one issue at the record
    where it broke. ``header``, if given, is filled in with what the file said about itself.
    """
    target = load_profile(profile)
    with open_source(source, name) as (stream, display):
        yield from _read_stream(stream, display, target, file_profile, check_duplicates, progress, header)


def _read_stream(
    stream: io.BufferedReader,
    display: str,
    target: GradingProfile,
    file_profile: str | GradingProfile | None,
    check_duplicates: bool,
    progress: Progress | None,
    header_out: VicsHeader | None,
) -> Iterator[ReadItem]:
    guarded = GuardedReader(_utf8_stream(stream))
    replay = _Replay(guarded)
    header, fatal, fatal_record = _peek(replay)
    if header_out is not None:
        header_out.context, header_out.version = header.context, header.version
        header_out.region, header_out.form, header_out.case = header.region, header.form, header.case
        header_out.mismatch = header.mismatch
    if fatal:
        yield issue(display, fatal_record, None, fatal)
        return
    if header.mismatch:
        yield issue(display, 0, "@odata.context", f"{header.mismatch}; reading them as such", warning=True)
    source_profile = load_profile(file_profile) if file_profile is not None else None
    if source_profile is None:
        source_profile = profile_for_region(header.region) or target
    if source_profile.name != target.name:
        yield issue(
            display,
            0,
            "Category",
            f"file region {header.region} uses profile {source_profile.name}; "
            f"categories are mapped to {target.name}",
            warning=True,
        )
    replay.rewind()
    prefix = {"Media": "value.item", "Cases": "value.item.Media.item", "array": "item"}[header.form]
    converter = _Converter(display, source_profile, target)
    guard = DuplicateGuard() if check_duplicates else None
    record = 0
    try:
        for obj in ijson.items(replay, prefix, use_float=True, map_type=object_type()):
            record += 1
            if progress is not None and record % PROGRESS_EVERY == 0:
                progress(consumed(stream))
            if not isinstance(obj, dict):
                yield issue(display, record, None, f"expected a Media object, got {type(obj).__name__}")
                continue
            converter.controls = guarded.guard.controls
            entry, issues = converter.convert(obj, record)
            if entry is not None and guard is not None and not any(i.severity == "error" for i in issues):
                try:
                    key = entry.key()
                except EntryError:
                    key = None
                if key is not None and guard.seen(key):
                    label = "MediaID" if key[0] == "id" else key[0].upper()
                    issues.append(
                        issue(
                            display,
                            record,
                            label,
                            f"duplicate {label} {clip(key[1])} in this file",
                            _raw(obj),
                        )
                    )
            yield from issues
            if entry is not None and not any(i.severity == "error" for i in issues):
                yield entry
    except JsonLimitError as err:
        yield issue(display, record + 1, err.field_at(_FIELD_DEPTH[header.form]), _limit_message(err))
    except ijson.JSONError as err:
        yield issue(display, record + 1, None, f"malformed JSON in or after this record: {one_line(err)}")
    except (ValueError, OverflowError, RecursionError) as err:
        yield issue(display, record + 1, None, f"unreadable JSON: {one_line(err)}")
    if progress is not None:
        progress(consumed(stream))


def _limit_message(err: JsonLimitError) -> str:
    return f"{err.message} at byte {err.offset}; no hash list needs that, so the rest of the file is not read"


def _raw(obj: Any) -> str:
    try:
        return json_text(obj)
    except (TypeError, ValueError):
        return repr(obj)


class JsonObject(dict[str, Any]):
    """A JSON object that remembers a key written twice and its first value (a plain dict keeps the last
    value and says nothing: a record with two MD5 keys would lose one)."""

    __slots__ = ("repeated",)
    repeated: list[tuple[str, Any]]
    # Set on the class (one class per read, see :func:`object_type`) when any object repeats a key, so
    # that objects nested in records are searched only in files that have one.
    seen_repeat = False

    def __setitem__(self, key: str, value: Any, _first: Any = dict.setdefault) -> None:
        # One C call in the common case (ijson calls this for every key of every object). A repeat of
        # the very same object (None, True, a small integer) loses nothing and goes unnoticed.
        earlier = _first(self, key, value)
        if earlier is not value:
            try:
                self.repeated.append((key, earlier))
            except AttributeError:
                self.repeated = [(key, earlier)]
            dict.__setitem__(self, key, value)
            type(self).seen_repeat = True


def object_type() -> type[JsonObject]:
    """A JsonObject class of its own for one read (its ``seen_repeat`` is that read's)."""
    return type("JsonObject", (JsonObject,), {"__slots__": ()})


def _repeated_keys(obj: Any, path: str = "") -> Iterator[tuple[str, str, bool]]:
    """``(field, message, is_error)`` for each key given twice in ``obj`` or an object inside it; the
    field of a nested key is its path (``MediaFiles.FileName``)."""
    if isinstance(obj, list):
        for item in obj:
            yield from _repeated_keys(item, path)
        return
    if not isinstance(obj, dict):
        return
    for key, first in getattr(obj, "repeated", ()):
        last = obj[key]
        if first == last:
            yield path + key, "given twice with the same value", False
        else:
            yield (
                path + key,
                f"given twice with different values ({clip(first, 40)} and {clip(last, 40)})",
                True,
            )
    for key, value in obj.items():
        if isinstance(value, dict | list):
            yield from _repeated_keys(value, f"{path}{key}.")


class _Converter:
    """Turns one Media dict into an Entry, collecting issues; warns once per unknown field name."""

    def __init__(self, file: str, source: GradingProfile, target: GradingProfile) -> None:
        self.file = file
        self.source = source
        self.target = target
        self.warned: set[str] = set()
        # Field name as spelled in the file -> handler; a file spells its fields the same way in every
        # record, so the case-insensitive lookup is done once per spelling.
        self._dispatch: dict[str, Any] = {}
        self._categories: dict[int, str | None] = {}
        self._plain_names: set[tuple[str, ...]] = set()
        # Whether the file has shown a control character yet (only then are values searched for one).
        self.controls = True

    def _collide(self, names: tuple[str, ...]) -> bool:
        """True if two of ``names`` are read as the same field ("MD5" and "md5")."""
        handlers = [self._handler(n) for n in names]
        modelled = [h for h in handlers if h is not _keep and h is not _keep_and_warn]
        return len(set(modelled)) != len(modelled)

    def _handler(self, key: str) -> Any:
        handler = self._dispatch.get(key)
        if handler is None:
            folded = fold_name(key)
            handler = _HANDLERS.get(folded)
            if handler is None:
                known = folded in _KNOWN_KEPT or key.startswith(("@", "odata."))
                handler = _keep if known else _keep_and_warn
            self._dispatch[key] = handler
        return handler

    def convert(self, obj: dict[str, Any], record: int) -> tuple[Entry | None, list[ImportIssue]]:
        entry = Entry(origin_file=self.file, origin_record=record)
        problems: list[tuple[str, str]] = []
        warnings: list[ImportIssue] = []
        alt: list[Any] = []
        if isinstance(obj, JsonObject) and obj.seen_repeat:
            for key, message, is_error in _repeated_keys(obj):
                if is_error:
                    problems.append((key, message))
                else:
                    warnings.append(issue(self.file, record, key, message, warning=True))
        # Field names are read case-insensitively: "MD5" and "md5" in one record must agree. Records of one
        # file share their set of names, so the check runs once per set unless two names meet.
        names = tuple(obj)
        check = names not in self._plain_names
        if check and not self._collide(names):
            check = False
            if len(self._plain_names) < 1024:
                self._plain_names.add(names)
        given: dict[Any, tuple[str, Any]] = {}
        for key, value in obj.items():
            handler = self._dispatch.get(key) or self._handler(key)
            if check and handler is not _keep and handler is not _keep_and_warn:
                earlier = given.setdefault(handler, (key, value))
                if earlier[0] != key:
                    if not _same_value(earlier[1], value):
                        problems.append((key, f"{earlier[0]} and {key} give different values"))
                    continue
            try:
                if handler is _alternatives:
                    if value is not None:
                        if not isinstance(value, list):
                            raise ValueError("expected a list of {HashName, HashValue}")
                        alt = value
                elif handler is _keep_and_warn:
                    entry.extra[key] = value
                    if key not in self.warned:
                        self.warned.add(key)
                        warnings.append(
                            issue(self.file, record, key, "unknown field kept as is", warning=True)
                        )
                else:
                    handler(self, entry, key, value)
            except (ValueError, HashFormatError, ProfileError) as err:
                problems.append((key, str(err)))
        if alt:
            try:
                _alternative_hashes(entry, alt)
            except (ValueError, HashFormatError) as err:
                problems.append(("AlternativeHashes", str(err)))
        if not problems and not entry.signals and not entry.vpdq:
            problems.append(("MD5", "record has no hash (MD5, SHA1, PhotoDNA or AlternativeHashes)"))
        if problems:
            # The unknown-field warning was dropped with the record: let a later record give it.
            self.warned.difference_update(w.field for w in warnings if w.field)
            raw = _raw(obj)
            return None, [issue(self.file, record, f, m, raw) for f, m in problems]
        if self.controls:
            warnings.extend(control_characters(entry, self.file, record))
        return entry, warnings

    def category(self, entry: Entry, value: Any) -> None:
        if value is None or value == "":
            return
        if isinstance(value, bool):
            raise ValueError(f"expected an integer category, got {value!r}")
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, str) and re.fullmatch(r"\s*-?\d+\s*", value):
            value = int(value)
        if isinstance(value, int):
            if value in self._categories:
                entry.category = self._categories[value]
                return
            code = self.source.from_vics(value)
        elif isinstance(value, str):
            code = self.source.parse(value)
        else:
            raise ValueError(f"expected an integer category, got {clip(value)}")
        if self.source.name != self.target.name:
            code = map_category(code, self.source, self.target)
        if isinstance(value, int):
            self._categories[value] = code
        entry.category = code


def _same_value(a: Any, b: Any) -> bool:
    """Equal, hashes compared without regard to case."""
    if isinstance(a, str) and isinstance(b, str) and _HEX_RE.fullmatch(a) and _HEX_RE.fullmatch(b):
        return a.casefold() == b.casefold()
    return bool(a == b)


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    raise ValueError(f"expected text, got {type(value).__name__}")


_HEX_RE = re.compile(r"[0-9a-fA-F]+")


def _hash_setter(signal: str) -> Any:
    length = HEX_LENGTHS[signal]

    def setter(conv: _Converter, entry: Entry, key: str, value: Any) -> None:
        if value is None or value == "":
            return
        if not isinstance(value, str):
            raise ValueError(f"expected a hash string, got {type(value).__name__}")
        # Fast path for the common well-formed value; anything else goes through the full check.
        if signal != "photodna" and len(value) == length and _HEX_RE.fullmatch(value):
            entry.signals[signal] = value.lower()
        else:
            entry.signals[signal] = normalise_signal(signal, value)

    return setter


def _keep(conv: _Converter, entry: Entry, key: str, value: Any) -> None:
    entry.extra[key] = value


def _keep_and_warn(conv: _Converter, entry: Entry, key: str, value: Any) -> None:
    entry.extra[key] = value


def _alternatives(conv: _Converter, entry: Entry, key: str, value: Any) -> None:
    raise AssertionError("handled in _Converter.convert")


_BOOLS: dict[Any, bool] = {"true": True, "false": False, True: True, False: False}


def _bool_setter(attr: str) -> Any:
    def setter(conv: _Converter, entry: Entry, key: str, value: Any) -> None:
        quick = _BOOLS.get(value) if isinstance(value, str | bool) else None
        setattr(entry, attr, quick if quick is not None else parse_bool(value))

    return setter


def _time_setter(attr: str) -> Any:
    def setter(conv: _Converter, entry: Entry, key: str, value: Any) -> None:
        setattr(entry, attr, parse_time(value))

    return setter


def _text_setter(attr: str) -> Any:
    def setter(conv: _Converter, entry: Entry, key: str, value: Any) -> None:
        setattr(entry, attr, _text(value))

    return setter


def _media_id(conv: _Converter, entry: Entry, key: str, value: Any) -> None:
    if value is None or value == "":
        return
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValueError(f"expected an integer or string id, got {clip(value)}")
    entry.source_id = str(value)


def _media_size(conv: _Converter, entry: Entry, key: str, value: Any) -> None:
    if value is None or value == "":
        return
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"expected a size in bytes, got {clip(value)}")
    entry.media_size = value


def split_tags(text: str) -> list[str]:
    return [t.strip() for t in re.split(r"[,;]", text) if t.strip()]


def _tags(conv: _Converter, entry: Entry, key: str, value: Any) -> None:
    if value is None:
        return
    if isinstance(value, str):
        entry.tags = split_tags(value)
    elif isinstance(value, list) and all(isinstance(t, str) for t in value):
        entry.tags = list(value)
    else:
        raise ValueError("expected a string or a list of strings")


def _media_files(conv: _Converter, entry: Entry, key: str, value: Any) -> None:
    if value is None:
        return
    if not isinstance(value, list) or not all(isinstance(f, dict) for f in value):
        raise ValueError("expected a list of MediaFile objects")
    entry.media_files = value


def _vpdq(conv: _Converter, entry: Entry, key: str, value: Any) -> None:
    if value is None:
        return
    if not isinstance(value, list):
        raise ValueError("expected a list of {Frame, Timestamp, Quality, PDQ}")
    frames = []
    for i, item in enumerate(value):
        if not isinstance(item, dict):
            raise ValueError(f"frame {i}: expected an object")
        got = {fold_name(k): v for k, v in item.items()}
        try:
            frame, quality = int(got["frame"]), int(got["quality"])
            timestamp = float(got["timestamp"])
            pdq = normalise_signal("pdq", str(got["pdq"]))
        except KeyError as err:
            raise ValueError(f"frame {i}: missing {err.args[0]}") from None
        except (TypeError, ValueError, HashFormatError) as err:
            raise ValueError(f"frame {i}: {err}") from None
        frames.append(VpdqFrame(frame=frame, timestamp=timestamp, quality=quality, pdq=pdq))
    entry.vpdq = frames


def _category(conv: _Converter, entry: Entry, key: str, value: Any) -> None:
    conv.category(entry, value)


_HANDLERS: dict[str, Any] = {
    "mediaid": _media_id,
    "category": _category,
    "md5": _hash_setter("md5"),
    "sha1": _hash_setter("sha1"),
    "sha256": _hash_setter("sha256"),
    "pdq": _hash_setter("pdq"),
    "photodna": _hash_setter("photodna"),
    "victimidentified": _bool_setter("victim_identified"),
    "offenderidentified": _bool_setter("offender_identified"),
    "isdistributed": _bool_setter("distributed"),
    "series": _text_setter("series"),
    "tags": _tags,
    "comments": _text_setter("comments"),
    "mediasize": _media_size,
    "mimetype": _text_setter("mime_type"),
    "mediafiles": _media_files,
    "firstseen": _time_setter("first_seen"),
    "lastseen": _time_setter("last_seen"),
    "vpdq": _vpdq,
    "alternativehashes": _alternatives,
}


def _alternative_hashes(entry: Entry, items: list[Any]) -> None:
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            raise ValueError(f"item {i}: expected an object with HashName and HashValue")
        hash_name, hash_value = item.get("HashName"), item.get("HashValue")
        if hash_name is None or hash_value is None:  # other spellings: hashName, hash_name...
            got = {fold_name(k): v for k, v in item.items()}
            hash_name, hash_value = got.get("hashname"), got.get("hashvalue")
        if not isinstance(hash_name, str) or not isinstance(hash_value, str) or not hash_name:
            raise ValueError(f"item {i}: HashName and HashValue must be non-empty strings")
        signal = signal_for(hash_name)
        if signal is None:
            if hash_name in entry.alternative_hashes and entry.alternative_hashes[hash_name] != hash_value:
                raise ValueError(f"item {i}: two different values for {hash_name}")
            entry.alternative_hashes[hash_name] = hash_value
            continue
        length = HEX_LENGTHS[signal]
        if signal != "photodna" and len(hash_value) == length and _HEX_RE.fullmatch(hash_value):
            value = hash_value.lower()
        else:
            value = normalise_signal(signal, hash_value)
        existing = entry.signals.get(signal)
        if existing is not None and existing.lower() != value.lower():
            raise ValueError(f"item {i}: {hash_name} {clip(value)} conflicts with {signal} {clip(existing)}")
        entry.signals.setdefault(signal, value)


# ---------------------------------------------------------------------------------------------- writing

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
