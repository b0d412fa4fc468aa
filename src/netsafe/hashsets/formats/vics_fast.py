"""The common VICS record read straight into an entry's plain values, without the general conversion.

A national list is a million records of one shape: the standard field names as the specification spells
them, well-formed hashes, integer categories, "true"/"false" flags. The general conversion
(:class:`~netsafe.hashsets.formats.vics_read._Converter`) builds an Entry through one handler call per field
and then its plain values (:func:`~netsafe.hashsets.model.entry_values`): about 12 us a record, twice the
parse. :func:`fast_values` reads such a record in one function and gives the same values at about a third
of the cost; for anything else (another spelling, a value that needs converting or gives an issue, a field
it does not know) it returns None and the general conversion reads the record, so every check and every
message stays in one place. A property test holds the two to the same result. For an import,
:func:`fast_row` makes the record's staging row in the same step (another property test holds it to
:func:`~netsafe.hashsets.stage_rows.stage_values` of the general conversion's values).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from netsafe.hashsets.formats.base import fold_name, signal_for
from netsafe.hashsets.formats.vics_fields import _HANDLERS, _KNOWN_KEPT, split_tags
from netsafe.hashsets.stage_rows import dumps, dumps_parsed, key_digest
from netsafe.signals.codecs import HEX_LENGTHS
from netsafe.signals.types import ENTRY_SIGNALS

if TYPE_CHECKING:
    from netsafe.hashsets.formats.vics_read import _Converter

# The fields read here, as the VICS 2.0 specification spells them.
FAST_FIELDS = frozenset(
    {
        "MediaID",
        "Category",
        "MD5",
        "SHA1",
        "SHA256",
        "PDQ",
        "VictimIdentified",
        "OffenderIdentified",
        "IsDistributed",
        "Series",
        "Tags",
        "Comments",
        "MediaSize",
        "MimeType",
        "MediaFiles",
        "AlternativeHashes",
    }
)
_FROMHEX = bytes.fromhex
_BOOLS: dict[str, bool] = {"true": True, "false": False}
_MISSING = object()
# Hex signals read here (PhotoDNA, which has other spellings, is left to the general conversion).
_LENGTHS = {name: HEX_LENGTHS[name] for name in ENTRY_SIGNALS if name != "photodna"}
# signal_for() of an alternative hash name as spelled ("" for a name that is not a signal); a file uses few.
_ALT_SIGNALS: dict[str, str] = {}
# split_tags() of a Tags value, and its staging column: a list uses a handful. Bounded: a hostile file may
# give each record its own.
_TAGS: dict[str, tuple[str, ...]] = {}
_TAGS_JSON: dict[str, str] = {}
_TAGS_KEPT = 4096


def _split_tags(text: str) -> list[str]:
    """split_tags(text), a new list each time (an entry's own)."""
    tags = _TAGS.get(text)
    if tags is None:
        tags = tuple(split_tags(text))
        if len(_TAGS) < _TAGS_KEPT:
            _TAGS[text] = tags
    return list(tags)


def _tags_json(text: str) -> str:
    """The staging column of split_tags(text)."""
    found = _TAGS_JSON.get(text)
    if found is None:
        found = dumps(split_tags(text)) if text else "[]"
        if len(_TAGS_JSON) < _TAGS_KEPT:
            _TAGS_JSON[text] = found
    return found


def shape_extras(names: tuple[str, ...]) -> tuple[str, ...] | None:
    """For a record with field ``names`` (in order), the ones kept in ``extra`` as they are; None when some
    field needs the general conversion (another spelling, an unknown field, PhotoDNA, vPDQ, dates)."""
    extras = []
    for name in names:
        if name in FAST_FIELDS:
            continue
        folded = fold_name(name)
        if folded in _HANDLERS:  # another spelling of a field ("md5"), maybe beside the standard one
            return None
        if folded in _KNOWN_KEPT or name.startswith(("@", "odata.")):
            extras.append(name)
            continue
        return None
    return tuple(extras)


def _hash(value: Any, length: int) -> str | None:
    """A well-formed hex hash in lower case, "" for none; None when the general check must see it."""
    if value is None or value == "":
        return ""
    if type(value) is str and len(value) == length:
        # bytes.fromhex in C, not a regular expression (half the cost): it refuses anything but hex digits
        # and whitespace, and a whitespace would leave fewer than length / 2 bytes.
        try:
            if len(_FROMHEX(value)) * 2 == length:
                return value.lower()
        except ValueError:
            pass
    return None


def _flag(value: Any) -> bool | object | None:
    if value is None:
        return None
    if type(value) is bool:
        return value
    if type(value) is str:
        return _BOOLS.get(value, _MISSING)
    return _MISSING


def fast_values(conv: _Converter, obj: dict[str, Any], record: int, extras: tuple[str, ...]) -> Any:
    """``obj``'s entry as :func:`~netsafe.hashsets.model.entry_values` gives it, or None to leave the
    record to the general conversion. ``extras`` is :func:`shape_extras` of its names."""
    return fast_row(conv, obj, record, extras, None)


def fast_row(
    conv: _Converter, obj: dict[str, Any], record: int, extras: tuple[str, ...], set_id: int | None
) -> Any:
    """:func:`fast_values`, or with a ``set_id`` the entry's staging row for that set as
    :func:`~netsafe.hashsets.stage_rows.stage_values` makes it from those values (in one step: the values
    tuple, taken apart again, and the tags and media files copied on the way were a fifth of a row's
    cost). A record read here has no times, so the row is the same for either store."""
    get = obj.get
    # Calls only where there is a value: a record seldom gives all four (as _hash(None), "").
    md5, sha1, sha256, pdq = get("MD5"), get("SHA1"), get("SHA256"), get("PDQ")
    md5 = "" if md5 is None else _hash(md5, 32)
    sha1 = "" if sha1 is None else _hash(sha1, 40)
    sha256 = "" if sha256 is None else _hash(sha256, 64)
    pdq = "" if pdq is None else _hash(pdq, 64)
    if md5 is None or sha1 is None or sha256 is None or pdq is None:
        return None
    alternative: dict[str, str] = {}
    alt = get("AlternativeHashes")
    if alt is not None:
        if type(alt) is not list:
            return None
        # As the general conversion: a field's own value stands, an alternative hash must agree with it,
        # and the first of two equal alternatives is kept.
        found = {"md5": md5, "sha1": sha1, "sha256": sha256, "pdq": pdq}
        for item in alt:
            if not isinstance(item, dict) or len(item) != 2:
                return None
            name, value = item.get("HashName"), item.get("HashValue")
            if type(name) is not str or type(value) is not str or not name:
                return None
            signal = _ALT_SIGNALS.get(name)
            if signal is None:
                signal = signal_for(name) or ""
                if len(_ALT_SIGNALS) < 256:
                    _ALT_SIGNALS[name] = signal
            if signal == "":
                if alternative.setdefault(name, value) != value:
                    return None
                continue
            have = found.get(signal)
            if have is None:  # PhotoDNA
                return None
            given = _hash(value, _LENGTHS[signal])
            if not given or (have and have != given):
                return None
            found[signal] = given
        md5, sha1, sha256, pdq = found["md5"], found["sha1"], found["sha256"], found["pdq"]
    if not (md5 or sha1 or sha256 or pdq):
        return None
    source_id = get("MediaID")
    if source_id == "":
        source_id = None
    elif source_id is not None:
        kind = type(source_id)
        if kind is int:
            source_id = str(source_id)
        elif kind is not str:
            return None
    category = get("Category")
    if category is not None and category != "":
        if type(category) is not int:
            return None
        category = conv._categories.get(category, _MISSING)
        if category is _MISSING:
            return None
    else:
        category = None
    # The flags' common values and the texts inline: six calls a record were a tenth of its cost.
    value = get("VictimIdentified")
    victim = _BOOLS.get(value, _MISSING) if type(value) is str else _flag(value)
    value = get("OffenderIdentified")
    offender = _BOOLS.get(value, _MISSING) if type(value) is str else _flag(value)
    value = get("IsDistributed")
    distributed = _BOOLS.get(value, _MISSING) if type(value) is str else _flag(value)
    if victim is _MISSING or offender is _MISSING or distributed is _MISSING:
        return None
    series, comments, mime_type = get("Series"), get("Comments"), get("MimeType")
    if not (
        (series is None or type(series) is str)
        and (comments is None or type(comments) is str)
        and (mime_type is None or type(mime_type) is str)
    ):
        return None
    tags: Any = get("Tags")
    if tags is None:
        tags = [] if set_id is None else "[]"
    elif type(tags) is str:
        tags = _split_tags(tags) if set_id is None else _tags_json(tags)
    else:
        return None
    size = get("MediaSize")
    if size == "":
        size = None
    elif size is not None and (type(size) is not int or size < 0):
        return None
    files = get("MediaFiles")
    if files is None:
        files = [] if set_id is None else "[]"
    elif type(files) is not list:
        return None
    elif set_id is not None:
        for item in files:
            if not isinstance(item, dict):
                return None
        # The reader's own dict type encodes as a dict does (the copies below are for pickling).
        files = dumps_parsed(files) if files else "[]"
    else:
        # Plain dicts: they pickle in C, where the reader's own dict type costs a Python call each.
        copies = [dict(f) for f in files if isinstance(f, dict)]
        if len(copies) != len(files):
            return None
        files = copies
    if source_id:
        key: tuple[str, str] = ("id", source_id)
    elif sha256:
        key = ("sha256", sha256)
    elif sha1:
        key = ("sha1", sha1)
    elif md5:
        key = ("md5", md5)
    else:
        key = ("pdq", pdq)
    if set_id is not None:
        return (
            *key,
            key_digest(set_id, key[0], key[1]),
            md5 or None,
            sha1 or None,
            sha256 or None,
            pdq or None,
            None,  # photodna: read by the general conversion
            None,  # its key
            None,  # vpdq: likewise
            dumps(alternative) if alternative else "{}",
            source_id,
            category,
            series,
            victim,
            offender,
            distributed,
            tags,
            comments,
            size,
            mime_type,
            files,
            None,
            None,
            conv.file,
            record,
            dumps_parsed({name: obj[name] for name in extras}) if extras else "{}",
        )
    return (
        *key,
        md5 or None,
        sha1 or None,
        sha256 or None,
        pdq or None,
        None,  # photodna: read by the general conversion
        None,  # vpdq: likewise
        alternative,
        source_id,
        category,
        series,
        victim,
        offender,
        distributed,
        tags,
        comments,
        size,
        mime_type,
        files,
        None,
        None,
        conv.file,
        record,
        {name: obj[name] for name in extras} if extras else {},
    )
