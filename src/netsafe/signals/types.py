"""The signal registry: every kind of hash netsafe knows, and the one rule for reading each.

After python-threatexchange's ``SignalType``: a signal type declares its name, how a value is normalised and
validated, whether it matches exactly or within a distance, its default and largest threshold, and the
index that serves it. Every list of signal names elsewhere in the code is derived from this registry, and
a hash typed by a person (``parse_typed``) is read by one rule whichever door it came through.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from typing import Literal

from netsafe.signals.codecs import HEX_LENGTHS, HashFormatError, normalise_hex

Matching = Literal["exact", "distance"]
IndexKind = Literal["exact", "pdq", "vpdq"]

PHOTODNA_BYTES = 144
PHOTODNA_HEX_LEN = 288
PHOTODNA_BASE64_LEN = 192
_BASE64_RE = re.compile(r"[A-Za-z0-9+/]+={0,2}")
_HEX_RE = re.compile(r"[0-9a-fA-F]+")
# Longest text a person may type as one hash (the longest signal is PhotoDNA's 288 hex characters).
MAX_TYPED = 400


@dataclass(frozen=True, slots=True)
class SignalType:
    name: str
    label: str  # as people and reports write it
    matching: Matching
    index: IndexKind
    default_threshold: int  # bits of Hamming distance (0 for exact signals)
    max_threshold: int
    hex_length: int | None  # the canonical text's length, where it is fixed
    store_column: str | None  # the store column holding the value the index is built from
    computed: bool  # netsafe computes it from media (PhotoDNA values only arrive in lists)
    in_entries: bool  # carried in ``Entry.signals`` (vPDQ is a list of frames and lives apart)
    aliases: tuple[str, ...] = ()

    @property
    def exact(self) -> bool:
        return self.matching == "exact"

    def normalise(self, value: str) -> str:
        """``value`` checked and in its canonical text (hex lowercased; PhotoDNA kept as hex or base64, as
        the list carried it). Raises :class:`HashFormatError` with a one-line reason."""
        if self.name == "photodna":
            return _photodna_text(value)
        if self.name == "vpdq":
            raise HashFormatError("vpdq: a video hash is a list of frames, not one value")
        return normalise_hex(value, self.name)

    def key(self, value: str) -> str:
        """What the index and the store look ``value`` up by (PhotoDNA: its hex form, whatever spelling)."""
        text = self.normalise(value)
        return photodna_bytes(text).hex() if self.name == "photodna" else text


def _exact(name: str, label: str, length: int, column: str, computed: bool, *aliases: str) -> SignalType:
    return SignalType(name, label, "exact", "exact", 0, 0, length, column, computed, True, aliases)


_TYPES = (
    _exact("md5", "MD5", 32, "md5", True, "md5hash", "hashmd5"),
    _exact("sha1", "SHA-1", 40, "sha1", True, "sha-1", "sha1hash"),
    _exact("sha256", "SHA-256", 64, "sha256", True, "sha-256"),
    # PDQ: 31 bits is the threshold Meta publishes; past 64 bits, matches are chance (random pairs sit near
    # 128) and a search costs as much as reading every row, so no door allows more.
    SignalType("pdq", "PDQ", "distance", "pdq", 31, 64, 64, "pdq", True, True, ("pdqhash",)),
    _exact("photodna", "PhotoDNA", PHOTODNA_HEX_LEN, "photodna_key", False, "pdna", "photodnahash"),
    SignalType("vpdq", "vPDQ", "distance", "vpdq", 31, 64, None, "vpdq", True, False, ()),
)

REGISTRY: dict[str, SignalType] = {t.name: t for t in _TYPES}
_BY_ALIAS: dict[str, SignalType] = {a: t for t in _TYPES for a in (t.name, *t.aliases)}

# Signals an entry carries in ``Entry.signals``, in the order lists and reports show them.
ENTRY_SIGNALS: tuple[str, ...] = tuple(t.name for t in _TYPES if t.in_entries)
# Signals found by value in an exact index.
EXACT_SIGNALS: tuple[str, ...] = tuple(t.name for t in _TYPES if t.exact)
# Cryptographic digests netsafe computes from bytes.
CRYPTO_SIGNALS: tuple[str, ...] = tuple(t.name for t in _TYPES if t.exact and t.computed)
# Every signal a query may carry when a file is hashed for matching.
COMPUTED_SIGNALS: tuple[str, ...] = tuple(t.name for t in _TYPES if t.computed)
# Identity preference when an entry has no id of its own: the strongest cryptographic hash first.
KEY_ORDER: tuple[str, ...] = ("sha256", "sha1", "md5", "pdq", "photodna")


def get(name: str) -> SignalType:
    """The signal type called ``name`` (case and spaces ignored, known aliases accepted)."""
    found = _BY_ALIAS.get(name.strip().lower())
    if found is None:
        raise HashFormatError(f"unknown signal {_clip(name)!r} (known: {', '.join(REGISTRY)})")
    return found


def normalise(signal: str, value: str) -> str:
    """``value`` of the entry signal ``signal`` in canonical text; raises :class:`HashFormatError`."""
    kind = REGISTRY.get(signal)
    if kind is None or not kind.in_entries:
        raise HashFormatError(f"unknown signal {_clip(signal)!r} (known: {', '.join(ENTRY_SIGNALS)})")
    return kind.normalise(value)


def parse_typed(text: str) -> dict[str, str]:
    """The signals a hash typed by a person may be, as ``{signal: canonical value}``.

    ``SIGNAL:VALUE`` names it; bare hex goes by length (64 hex characters may be SHA-256 or PDQ, so both
    are tried); 192 base64 characters are PhotoDNA. Raises :class:`HashFormatError` naming the text.
    """
    raw = text.strip()
    if len(raw) > MAX_TYPED:
        raise HashFormatError(f"{_clip(raw)}: {len(raw)} characters is longer than any hash")
    head, sep, value = raw.partition(":")
    if sep:
        try:
            kind = get(head)
            if not kind.in_entries:
                raise HashFormatError(f"{kind.name}: cannot be typed as one value")
            return {kind.name: kind.normalise(value)}
        except HashFormatError as err:
            raise HashFormatError(f"{_clip(raw)}: {err}") from None
    names = [t.name for t in _TYPES if t.in_entries and t.hex_length == len(raw) and _HEX_RE.fullmatch(raw)]
    if names:
        return {name: REGISTRY[name].normalise(raw) for name in names}
    if len(raw) == PHOTODNA_BASE64_LEN:
        try:
            return {"photodna": _photodna_text(raw)}
        except HashFormatError:
            pass
    lengths = ", ".join(f"{t.label} ({t.hex_length} hex)" for t in _TYPES if t.in_entries and t.hex_length)
    raise HashFormatError(
        f"{_clip(raw)}: not a hash netsafe knows ({lengths}, or PhotoDNA as {PHOTODNA_BASE64_LEN} base64); "
        "prefix with SIGNAL: to name it"
    )


def _photodna_text(value: str) -> str:
    text = value.strip()
    if len(text) == PHOTODNA_HEX_LEN and _HEX_RE.fullmatch(text):
        return text
    if len(text) == PHOTODNA_BASE64_LEN and _BASE64_RE.fullmatch(text):
        try:
            raw = base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            raw = b""
        if len(raw) == PHOTODNA_BYTES:
            return text
    raise HashFormatError(
        f"photodna: expected {PHOTODNA_HEX_LEN} hex or {PHOTODNA_BASE64_LEN} base64 characters "
        f"({PHOTODNA_BYTES} bytes), got {len(text)} characters: {_clip(text, 40)!r}"
    )


def photodna_bytes(value: str) -> bytes:
    """The 144 bytes of a PhotoDNA hash given as hex or base64 (for exact matching across encodings)."""
    text = _photodna_text(value)
    if len(text) == PHOTODNA_HEX_LEN:
        return bytes.fromhex(text)
    return base64.b64decode(text)


def _clip(text: str, limit: int = 72) -> str:
    """``text`` shortened and with control characters escaped, so an error stays one line."""
    shown = text if len(text) <= limit else text[:limit] + "..."
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in shown)


assert set(HEX_LENGTHS) <= set(REGISTRY), "codecs.HEX_LENGTHS names a signal the registry does not"

__all__ = [
    "COMPUTED_SIGNALS",
    "CRYPTO_SIGNALS",
    "ENTRY_SIGNALS",
    "EXACT_SIGNALS",
    "KEY_ORDER",
    "REGISTRY",
    "SignalType",
    "get",
    "normalise",
    "parse_typed",
    "photodna_bytes",
]
