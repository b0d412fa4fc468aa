"""ThreatExchange text form: one ``<signal> <value>`` per line (``pdq <hex>``), or bare values.

Signal names follow ThreatExchange and common spellings (``pdq``, ``md5``, ``sha1``, ``sha256``,
``photodna``; ``video_md5`` is read as md5). Bare values need ``signal=``, except that 32 and 40 hex
characters are unambiguous (MD5, SHA-1); 64 could be SHA-256 or PDQ and is refused without it. ``#`` starts
a comment line. A trailing third column (ThreatExchange tools sometimes add a quality or an id) is kept in
``extra["tx_note"]``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from netsafe.hashsets.formats.base import (
    LEGACY_NOTE,
    FormatError,
    Progress,
    ReadItem,
    Sink,
    Source,
    clip,
    fold_name,
    issue,
    open_sink,
    open_source,
    signal_for,
    text_lines,
)
from netsafe.hashsets.model import KEY_ORDER, SIGNALS, Entry, ImportIssue, normalise_signal
from netsafe.hashsets.profiles import DEFAULT_PROFILE, GradingProfile
from netsafe.signals.codecs import HashFormatError

NAME = "tx"
_TX_NAMES = {"videomd5": "md5", "photomd5": "md5", "pdqhash": "pdq"}
_BY_LENGTH = {32: "md5", 40: "sha1"}
# Preference when an entry carries several signals and none is asked for: the perceptual hash is what
# ThreatExchange exchanges.
_WRITE_ORDER = ("pdq", *[s for s in KEY_ORDER if s != "pdq"])


def _signal_name(token: str) -> str | None:
    return _TX_NAMES.get(fold_name(token)) or signal_for(token)


def read(
    source: Source,
    *,
    profile: str | GradingProfile = DEFAULT_PROFILE,
    name: str | None = None,
    signal: str | None = None,
    progress: Progress | None = None,
) -> Iterator[ReadItem]:
    """Entries of a ThreatExchange-style text list; ``signal`` names the type of bare values."""
    if signal is not None and signal not in SIGNALS:
        raise FormatError(f"unknown signal {signal!r} (known: {', '.join(SIGNALS)})")
    with open_source(source, name) as (stream, display):
        for line in text_lines(stream, display, progress):
            if isinstance(line, ImportIssue):
                yield line
                continue
            if line[2]:
                yield issue(display, line[0], None, f"line is {LEGACY_NOTE}", warning=True)
            yield from _line(display, line[0], line[1].strip(), signal)


def _line(display: str, number: int, text: str, forced: str | None) -> Iterator[ReadItem]:
    parts = text.split(None, 2)
    note: str | None = None
    if len(parts) >= 2 and _signal_name(parts[0]) is not None:
        kind: str | None = _signal_name(parts[0])
        value = parts[1]
        note = parts[2] if len(parts) == 3 else None
        if forced is not None and kind != forced:
            yield issue(display, number, "signal", f"line says {parts[0]}, but {forced} was asked for", text)
            return
    elif len(parts) >= 2 and not _looks_like_value(parts[0]):
        yield issue(
            display,
            number,
            "signal",
            f"unsupported signal type {clip(parts[0], 30)!r} (netsafe reads {', '.join(SIGNALS)})",
            text,
        )
        return
    else:
        value = parts[0]
        note = " ".join(parts[1:]) or None
        kind = forced or _BY_LENGTH.get(len(value))
        if kind is None:
            hint = "SHA-256 or PDQ" if len(value) == 64 else "of unknown type"
            yield issue(
                display,
                number,
                "signal",
                f"bare {len(value)}-character value is {hint}: name the signal",
                text,
            )
            return
    assert kind is not None
    try:
        clean = normalise_signal(kind, value)
    except HashFormatError as err:
        yield issue(display, number, kind, str(err), text)
        return
    entry = Entry(signals={kind: clean}, origin_file=display, origin_record=number)
    if note is not None:
        entry.extra["tx_note"] = note
    yield entry


def _looks_like_value(token: str) -> bool:
    return all(c in "0123456789abcdefABCDEF+/=" for c in token)


def write(
    entries: Iterable[Entry],
    out: Sink,
    profile: str | GradingProfile = DEFAULT_PROFILE,
    *,
    signal: str | None = None,
    bare: bool = False,
) -> int:
    """One ``<signal> <value>`` line per entry (``signal`` chosen, else the entry's PDQ, else its strongest
    hash); ``bare=True`` writes values only and needs ``signal``. Entries without it are skipped."""
    if signal is not None and signal not in SIGNALS:
        raise FormatError(f"unknown signal {signal!r} (known: {', '.join(SIGNALS)})")
    if bare and signal is None:
        raise FormatError("bare values need a signal: pass signal='pdq' (or md5, sha1, ...)")
    count = 0
    with open_sink(out) as sink:
        for entry in entries:
            kind = signal or next((s for s in _WRITE_ORDER if s in entry.signals), None)
            if kind is None or kind not in entry.signals:
                continue
            note = entry.extra.get("tx_note")
            tail = f" {note}" if isinstance(note, str) and note and "\n" not in note else ""
            sink.write((entry.signals[kind] if bare else f"{kind} {entry.signals[kind]}") + tail + "\n")
            count += 1
    return count
