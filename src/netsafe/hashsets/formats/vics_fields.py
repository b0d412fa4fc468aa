"""How each field of a VICS Media record is read into an Entry: one handler per field name (folded), and
the fields netsafe knows but does not model.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from netsafe.hashsets.formats.base import clip, fold_name, signal_for
from netsafe.hashsets.model import Entry, normalise_signal, parse_bool, parse_time
from netsafe.signals.codecs import HEX_LENGTHS, HashFormatError
from netsafe.signals.frames import VpdqFrame

if TYPE_CHECKING:
    from netsafe.hashsets.formats.vics_read import _Converter

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
    # str.split, not re.split: the same pieces at a third of the cost, once per record.
    return [t.strip() for t in text.replace(",", ";").split(";") if t and not t.isspace()]


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


# signal_for() by hash name as spelled in the file (a file spells its few names the same way throughout).
_SIGNAL_NAMES: dict[str, str | None] = {}


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
        signal = _SIGNAL_NAMES.get(hash_name, "")
        if signal == "":
            signal = signal_for(hash_name)
            if len(_SIGNAL_NAMES) < 256:
                _SIGNAL_NAMES[hash_name] = signal
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
