"""The streaming VICS reader: records parsed one at a time by ijson's C backend after the peek
(:mod:`netsafe.hashsets.formats.vics_header`), each turned into an Entry with its issues.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from typing import Any

import ijson  # type: ignore[import-untyped]

from netsafe.hashsets.formats.base import (
    PROGRESS_EVERY,
    DuplicateGuard,
    Progress,
    ReadItem,
    Source,
    clip,
    consumed,
    control_characters,
    fold_name,
    issue,
    json_text,
    one_line,
    open_source,
)
from netsafe.hashsets.formats.jsonguard import GuardedReader, JsonLimitError
from netsafe.hashsets.formats.vics_fast import fast_row, fast_values, shape_extras
from netsafe.hashsets.formats.vics_fields import (
    _HANDLERS,
    _KNOWN_KEPT,
    _alternative_hashes,
    _alternatives,
    _keep,
    _keep_and_warn,
    _same_value,
)
from netsafe.hashsets.formats.vics_header import (
    VicsHeader,
    _limit_message,
    _peek,
    _Replay,
    _utf8_stream,
    profile_for_region,
)
from netsafe.hashsets.model import Entry, EntryError, ImportIssue, entry_values
from netsafe.hashsets.profiles import (
    DEFAULT_PROFILE,
    GradingProfile,
    ProfileError,
    load_profile,
    map_category,
)
from netsafe.hashsets.stage_rows import stage_values
from netsafe.signals.codecs import HashFormatError

# Depth of the objects whose keys are a record's fields, by form (document, value list, [case, Media list,]
# record), so that a limit broken deep inside a record is reported under the record's field.
_FIELD_DEPTH = {"Media": 3, "Cases": 5, "array": 2}
_UNSEEN = object()


def read(
    source: Source,
    *,
    profile: str | GradingProfile = DEFAULT_PROFILE,
    name: str | None = None,
    file_profile: str | GradingProfile | None = None,
    check_duplicates: bool = True,
    progress: Progress | None = None,
    header: VicsHeader | None = None,
    values: bool = False,
    stage: tuple[int, bool] | None = None,
) -> Iterator[ReadItem | tuple[Any, ...]]:
    """Entries of a VICS file, and an :class:`ImportIssue` for every problem.

    Category integers are read with ``file_profile`` (default: the profile matching the file's region, else
    ``profile``) and mapped to ``profile`` when they differ. A record with an error yields its issues and no
    entry; warnings come alongside the entry. Malformed JSON ends the read with one issue at the record
    where it broke. ``header``, if given, is filled in with what the file said about itself. With
    ``values``, each entry comes as :func:`~netsafe.hashsets.model.entry_values` gives it (what an import
    stages), and records of the common shape are read by :mod:`~netsafe.hashsets.formats.vics_fast`. With
    ``stage`` (a set id, and whether the store is SQLite), each entry comes as its staging row
    (:func:`~netsafe.hashsets.stage_rows.stage_values` of those values), made in one step for those records.
    """
    target = load_profile(profile)
    with open_source(source, name) as (stream, display):
        yield from _read_stream(
            stream, display, target, file_profile, check_duplicates, progress, header, values, stage
        )


def _read_stream(
    stream: io.BufferedReader,
    display: str,
    target: GradingProfile,
    file_profile: str | GradingProfile | None,
    check_duplicates: bool,
    progress: Progress | None,
    header_out: VicsHeader | None,
    values: bool,
    stage: tuple[int, bool] | None,
) -> Iterator[ReadItem | tuple[Any, ...]]:
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
    # The fast reading skips nothing the general one checks only while the file has no control character
    # and no repeated key (either needs the general conversion's warnings) and no duplicate check is asked.
    fast = (values or stage is not None) and guard is None
    set_id = None if stage is None else stage[0]

    def output(entry: Entry) -> Entry | tuple[Any, ...]:
        if stage is not None:
            return stage_values(entry_values(entry), *stage)
        return entry_values(entry) if values else entry

    shapes: dict[tuple[str, ...], Any] = {}
    objects = object_type()
    record = 0
    try:
        for obj in ijson.items(replay, prefix, use_float=True, map_type=objects):
            record += 1
            if progress is not None and record % PROGRESS_EVERY == 0:
                progress(consumed(stream))
            if not isinstance(obj, dict):
                yield issue(display, record, None, f"expected a Media object, got {type(obj).__name__}")
                continue
            converter.controls = guarded.guard.controls
            if fast and not converter.controls and not objects.seen_repeat:
                names = tuple(obj)
                extras = shapes.get(names, _UNSEEN)
                if extras is _UNSEEN:
                    extras = shape_extras(names)
                    if len(shapes) < 1024:  # a hostile file's every record may have its own shape
                        shapes[names] = extras
                if extras is not None:
                    if set_id is None:
                        row = fast_values(converter, obj, record, extras)
                    else:
                        row = fast_row(converter, obj, record, extras, set_id)
                    if row is not None:
                        yield row
                        continue
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
            if not issues:  # the common case, without a generator per record
                if entry is not None:
                    yield output(entry)
                continue
            yield from issues
            if entry is not None and not any(i.severity == "error" for i in issues):
                yield output(entry)
    except JsonLimitError as err:
        yield issue(display, record + 1, err.field_at(_FIELD_DEPTH[header.form]), _limit_message(err))
    except ijson.JSONError as err:
        yield issue(display, record + 1, None, f"malformed JSON in or after this record: {one_line(err)}")
    except (ValueError, OverflowError, RecursionError) as err:
        yield issue(display, record + 1, None, f"unreadable JSON: {one_line(err)}")
    if progress is not None:
        progress(consumed(stream))


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

    def __reduce__(self) -> tuple[Any, ...]:
        # Pickled as the plain dict it reads as (the class is made per read, so it cannot be found by name
        # in the process that unpickles: a reading process sends entries to the staging one).
        return (dict, (dict(self),))


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
