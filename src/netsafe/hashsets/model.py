"""The hash-set model: entries of a graded hash list, votes, consensus and import problems.

Plain dataclasses with no storage concerns: the store maps them to tables, the format modules read and write
them. Everything an entry arrived with is kept (unknown fields land in ``extra``) so that an import followed
by an export loses nothing.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from typing import Any, Literal

from netsafe.errors import InvalidInput
from netsafe.signals import types
from netsafe.signals.codecs import HashFormatError, normalise_hex
from netsafe.signals.frames import VpdqFrame

# Signals an entry can carry in ``Entry.signals``; vPDQ is a list of frames and lives in ``Entry.vpdq``. The
# registry (netsafe.signals.types) is where they are defined; these names stay for the formats' use.
SIGNALS: tuple[str, ...] = types.ENTRY_SIGNALS
KEY_ORDER: tuple[str, ...] = types.KEY_ORDER
normalise_signal = types.normalise
photodna_bytes = types.photodna_bytes


class HashSetError(InvalidInput):
    """Base of the errors the hash-set package raises for bad input; ``str(err)`` is one line."""


class EntryError(HashSetError):
    """An entry that cannot exist as given (no identity, or a bad signal value)."""


def utc(value: datetime | None) -> datetime | None:
    """``value`` as an aware UTC datetime (naive values are taken to be UTC already)."""
    if value is None:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


@dataclass(slots=True)
class Entry:
    """One record of a hash list: its signals, its grading and where it came from."""

    signals: dict[str, str] = field(default_factory=dict)
    vpdq: list[VpdqFrame] | None = None
    alternative_hashes: dict[str, str] = field(default_factory=dict)
    source_id: str | None = None
    category: str | None = None
    series: str | None = None
    victim_identified: bool | None = None
    offender_identified: bool | None = None
    distributed: bool | None = None
    tags: list[str] = field(default_factory=list)
    comments: str | None = None
    media_size: int | None = None
    mime_type: str | None = None
    media_files: list[dict[str, Any]] = field(default_factory=list)
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    origin_file: str | None = None
    origin_record: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def key(self) -> tuple[str, str]:
        """Stable identity for duplicate detection and merging.

        ``("id", source_id)`` when the source gave one, else the strongest hash as ``(signal, value)``
        (sha256 > sha1 > md5 > pdq > photodna). PhotoDNA is keyed by its hex form so that the hex and
        base64 spellings of one hash are the same entry. Raises :class:`EntryError` for an entry with
        neither an id nor a signal.
        """
        if self.source_id is not None and self.source_id != "":
            return ("id", self.source_id)
        for name in KEY_ORDER:
            value = self.signals.get(name)
            if value:
                if name == "photodna":
                    try:
                        return (name, types.REGISTRY[name].key(value))
                    except HashFormatError:
                        return (name, value)
                return (name, value.lower())
        if self.vpdq:
            return ("vpdq", ",".join(frame.pdq for frame in self.vpdq))
        raise EntryError("entry has no id and no hash to identify it")

    def problems(self) -> list[tuple[str, str]]:
        """Every reason this entry is invalid, as ``(field, message)`` pairs (empty when valid)."""
        found: list[tuple[str, str]] = []
        for name, value in self.signals.items():
            try:
                normalise_signal(name, value)
            except HashFormatError as err:
                found.append((name, str(err)))
        for frame in self.vpdq or []:
            try:
                normalise_hex(frame.pdq, "pdq")
            except HashFormatError as err:
                found.append(("vpdq", f"frame {frame.frame}: {err}"))
        if not self.signals and not self.vpdq and not self.source_id:
            found.append(("signals", "entry has no hash and no id"))
        if self.media_size is not None and self.media_size < 0:
            found.append(("media_size", f"negative size {self.media_size}"))
        return found

    def same_content(self, other: Entry) -> bool:
        """Equal in everything but provenance (``origin_file``/``origin_record``): the round-trip test."""
        skip = {"origin_file", "origin_record"}
        return all(
            getattr(self, f.name) == getattr(other, f.name) for f in fields(Entry) if f.name not in skip
        )

    def merged_with(self, newer: Entry) -> Entry:
        """This entry updated by a newer record of the same item (a re-import).

        Signals and alternative hashes are united (a value already held is kept); stated facts (category,
        series, the booleans, comments, size, type, vPDQ) take the newer value unless it is unstated; tags
        and media files are united in order; first seen is the earliest, last seen the latest; provenance
        is the newer record's.
        """
        pick = _newer_or_old
        files = list(self.media_files)
        files.extend(f for f in newer.media_files if f not in files)
        return Entry(
            signals={**newer.signals, **self.signals},
            vpdq=newer.vpdq if newer.vpdq else self.vpdq,
            alternative_hashes={**newer.alternative_hashes, **self.alternative_hashes},
            source_id=self.source_id if self.source_id is not None else newer.source_id,
            category=pick(newer.category, self.category),
            series=pick(newer.series, self.series),
            victim_identified=pick(newer.victim_identified, self.victim_identified),
            offender_identified=pick(newer.offender_identified, self.offender_identified),
            distributed=pick(newer.distributed, self.distributed),
            tags=merge_tags(self.tags, newer.tags),
            comments=pick(newer.comments, self.comments),
            media_size=pick(newer.media_size, self.media_size),
            mime_type=pick(newer.mime_type, self.mime_type),
            media_files=files,
            first_seen=_extreme(min, self.first_seen, newer.first_seen),
            last_seen=_extreme(max, self.last_seen, newer.last_seen),
            origin_file=newer.origin_file,
            origin_record=newer.origin_record,
            extra={**self.extra, **newer.extra},
        )

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready view (datetimes in ISO 8601, vPDQ frames as dicts)."""
        out: dict[str, Any] = {}
        for f in fields(Entry):
            value = getattr(self, f.name)
            if isinstance(value, datetime):
                value = value.isoformat()
            elif f.name == "vpdq" and value is not None:
                value = [frame.as_dict() for frame in value]
            out[f.name] = value
        return out


def _newer_or_old(new: Any, old: Any) -> Any:
    return old if new is None else new


def _extreme(choose: Any, a: datetime | None, b: datetime | None) -> datetime | None:
    present = [utc(t) for t in (a, b) if t is not None]
    return choose(present) if present else None


def entry_values(entry: Entry) -> tuple[Any, ...]:
    """``entry`` as a tuple of plain values (key kind and value, the signals in ``SIGNALS`` order, then the
    other fields in their order): cheap to make, and cheap to pickle where an import's reading process
    hands entries to the one that stages them (netsafe.hashsets.stage_rows.stage_values reads this order)."""
    signals = entry.signals
    return (
        *entry.key(),
        *map(signals.get, SIGNALS),
        None if entry.vpdq is None else [f.as_dict() for f in entry.vpdq],
        entry.alternative_hashes,
        entry.source_id,
        entry.category,
        entry.series,
        entry.victim_identified,
        entry.offender_identified,
        entry.distributed,
        entry.tags,
        entry.comments,
        entry.media_size,
        entry.mime_type,
        entry.media_files,
        entry.first_seen,
        entry.last_seen,
        entry.origin_file,
        entry.origin_record,
        entry.extra,
    )


# Where entry_values puts the category (after the key, the signals, vpdq, alternative hashes and source id).
VALUES_CATEGORY = 2 + len(SIGNALS) + 3


@dataclass(frozen=True, slots=True)
class Vote:
    """One grader's category for an entry; ``disputed`` flags a grader who contests the current grade."""

    grader: str
    category: str | None
    at: datetime
    disputed: bool = False
    comment: str | None = None


@dataclass(frozen=True, slots=True)
class ConsensusResult:
    """Outcome of :func:`consensus`.

    ``category`` is the leading category (most independent graders; None on a tie or with no votes),
    ``agreeing`` how many graders back it, ``disagreements`` the counted votes that differ from it or
    dispute it.
    """

    trusted: bool
    category: str | None
    agreeing: int = 0
    graders: int = 0
    disagreements: list[Vote] = field(default_factory=list)


def consensus(votes: Iterable[Vote], required: int = 3, tolerated_disagreements: int = 0) -> ConsensusResult:
    """Decide whether an entry's grade is trusted.

    Graders are independent people: only each grader's latest vote counts. The grade is trusted when at
    least ``required`` graders agree on one category (not None: "could not grade" never becomes a trusted
    grade) and at most ``tolerated_disagreements`` counted votes disagree or dispute (CAID's rule, the
    default, is three agreeing votes and no dispute).
    """
    if required < 1:
        raise ValueError("required must be at least 1")
    latest: dict[str, Vote] = {}
    for vote in votes:
        previous = latest.get(vote.grader)
        if previous is None or utc(vote.at) >= utc(previous.at):  # type: ignore[operator]
            latest[vote.grader] = vote
    counted = sorted(latest.values(), key=lambda v: (utc(v.at), v.grader))
    if not counted:
        return ConsensusResult(trusted=False, category=None)
    tally: dict[str | None, int] = {}
    for vote in counted:
        if not vote.disputed:
            tally[vote.category] = tally.get(vote.category, 0) + 1
    leader: str | None = None
    agreeing = 0
    if tally:
        best = max(tally.values())
        leaders = [cat for cat, n in tally.items() if n == best]
        if len(leaders) == 1:
            leader, agreeing = leaders[0], best
    if leader is None:
        disagreements = list(counted) if len(tally) > 1 or any(v.disputed for v in counted) else []
    else:
        disagreements = [v for v in counted if v.disputed or v.category != leader]
    trusted = leader is not None and agreeing >= required and len(disagreements) <= tolerated_disagreements
    return ConsensusResult(
        trusted=trusted,
        category=leader,
        agreeing=agreeing,
        graders=len(counted),
        disagreements=disagreements,
    )


@dataclass(slots=True)
class HashSetInfo:
    """What describes a hash set apart from its entries."""

    name: str
    profile: str
    description: str | None = None
    source: str | None = None
    version: int = 0
    created: datetime | None = None
    updated: datetime | None = None
    entry_count: int = 0
    # "ignore": known-benign files, out of review and counts; "self-reported": Remove my image (matched).
    kind: str = "match"


Severity = Literal["error", "warning"]


@dataclass(frozen=True, slots=True)
class ImportIssue:
    """A problem found while reading a hash list, located by file, record (or line) and field.

    ``record`` is the 1-based record number for JSON formats and the 1-based line number for text formats;
    0 means the file as a whole. Warnings (unknown fields, say) do not reject the record. ``raw`` holds the
    rejected record's text (its JSON or its line) for a rejects file; it is never part of the message.
    """

    file: str
    record: int
    field: str | None
    message: str
    severity: Severity = "error"
    raw: str | None = dataclasses.field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Messages quote what was read (a header, a value); a line break in it must not break the one-line
        # contract of every error netsafe prints, so control characters are shown escaped.
        if any(ch in self.message for ch in "\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"):
            escaped = "".join(
                ch if ch not in "\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029" else repr(ch)[1:-1]
                for ch in self.message
            )
            object.__setattr__(self, "message", escaped)

    def __str__(self) -> str:
        where = f"{self.file}:{self.record}"
        what = f"field {self.field}: " if self.field else ""
        prefix = "warning: " if self.severity == "warning" else ""
        return f"{where}: {prefix}{what}{self.message}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "record": self.record,
            "field": self.field,
            "message": self.message,
            "severity": self.severity,
        }


def parse_bool(value: Any) -> bool | None:
    """VICS booleans arrive as JSON booleans, "true"/"false" strings (any case), 1/0 or "yes"/"no".

    Returns None for null/empty; raises ValueError for anything else.
    """
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        text = value.strip().lower()
        if text == "":
            return None
        if text in {"true", "yes", "y", "1", "t"}:
            return True
        if text in {"false", "no", "n", "0", "f"}:
            return False
    raise ValueError(f"not a boolean: {value!r}")


def parse_time(value: Any) -> datetime | None:
    """ISO 8601 timestamps as lists write them (``Z`` suffix, 1-7 fractional digits) to aware UTC."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return utc(value)
    if not isinstance(value, str):
        raise ValueError(f"not a timestamp: {value!r}")
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    # .NET writes up to 7 fractional digits; Python accepts at most 6.
    match = re.fullmatch(r"(.*T\d\d:\d\d:\d\d)\.(\d+)(.*)", text)
    if match:
        text = f"{match.group(1)}.{match.group(2)[:6].ljust(6, '0')}{match.group(3)}"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"not an ISO 8601 timestamp: {value!r}") from None
    return utc(parsed)


def format_time(value: datetime) -> str:
    """UTC ISO 8601 with a ``Z`` suffix, the form VICS files use."""
    stamp = utc(value)
    assert stamp is not None
    text = stamp.replace(tzinfo=None).isoformat()
    return text + "Z"


def merge_tags(*groups: Iterable[str]) -> list[str]:
    """Union of tag lists keeping first-seen order."""
    seen: dict[str, None] = {}
    for group in groups:
        for tag in group:
            if tag and tag not in seen:
                seen[tag] = None
    return list(seen)
