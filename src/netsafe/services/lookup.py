"""Lookup: the one place a hash or a file is matched against the hash sets, whichever door asked.

The command line (``netsafe match``), the API (``POST /match``, JSON signals or an upload), its fast path
and the match page all come here to turn what a person gave (typed hashes, named signals, a hashed file)
into queries, to check the options (the PDQ distance cap, the quality, the hash-set names), to match, and to
audit who asked what and how many matched (never a file's contents). Each door only translates its input
to these calls and the :class:`LookupResult` back to its output, so a query gives the same JSON anywhere.

Matching itself is :class:`~netsafe.services.matcher.Matcher`'s; a web worker searches its indexes on the
event loop through :func:`lookup_async`, handing it its own ``search`` (the plumbing stays in the web).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol

from netsafe.audit.service import Actor, record
from netsafe.errors import InvalidInput
from netsafe.hashing.record import FileRecord
from netsafe.services.matcher import Match, Matcher, Query
from netsafe.signals.codecs import HashFormatError
from netsafe.signals.pdq import QUALITY_THRESHOLD
from netsafe.signals.types import ENTRY_SIGNALS, REGISTRY, get, parse_typed
from netsafe.store.db import Database, open_database

PDQ = REGISTRY["pdq"]
MAX_DISTANCE = PDQ.max_threshold  # the one PDQ distance cap, for every door
DEFAULT_DISTANCE = PDQ.default_threshold
MAX_TYPED_QUERIES = 100  # hashes typed in one go (the page, a script)
MAX_HASHSETS = 100
MAX_NAME = 200
AUDITED_QUERIES = 100  # queries described in one audit event (a CLI chunk may hold more: counted, not listed)

Search = Callable[[Sequence[Query], "LookupOptions"], Awaitable[list[list[Match]]]]


class AuditSink(Protocol):
    def submit(
        self,
        actor: Actor,
        action: str,
        target: str | None = None,
        details: dict[str, Any] | None = None,
        outcome: str = "ok",
    ) -> None: ...


class AsyncAuditSink(Protocol):
    async def submit_async(
        self,
        actor: Actor,
        action: str,
        target: str | None = None,
        details: dict[str, Any] | None = None,
        outcome: str = "ok",
    ) -> None: ...


class StoreAudit:
    """Writes each event in its own transaction (the command line; a web worker has its group writer)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def submit(
        self,
        actor: Actor,
        action: str,
        target: str | None = None,
        details: dict[str, Any] | None = None,
        outcome: str = "ok",
    ) -> None:
        with self.db.session() as session:
            record(session, actor, action, target, details, outcome=outcome)


@contextmanager
def store_lookup(url: str | None = None) -> Iterator[tuple[Matcher, StoreAudit]]:
    """The matcher and audit writer over the store ``url`` (default: ``NETSAFE_DATABASE_URL``), for a
    process that looks up without a web worker's machinery (the command line)."""
    db = open_database(url)
    try:
        yield Matcher(db), StoreAudit(db)
    finally:
        db.dispose()


# ---------------------------------------------------------------- options


@dataclass(frozen=True, slots=True)
class LookupOptions:
    """What to search and how; build it with :func:`lookup_options`, which checks every value."""

    hashsets: tuple[str, ...] = ()  # empty: every set
    max_distance: int = DEFAULT_DISTANCE
    min_quality: int = QUALITY_THRESHOLD
    dihedral: bool = False
    set_distances: Mapping[str, int] = field(default_factory=dict)
    limit: int | None = None  # matches returned per query (``truncated`` says when more were found)

    @property
    def widest(self) -> int:
        return max((self.max_distance, *self.set_distances.values()))


def check_distance(value: int, what: str = "max_distance") -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_DISTANCE:
        raise InvalidInput(f"{what}: a PDQ distance is 0-{MAX_DISTANCE} bits, got {value}")
    return value


def distance_from_text(text: str | None, what: str = "max_distance") -> int | None:
    """A distance typed in a form or on a command line (None when left empty)."""
    if text is None or not text.strip():
        return None
    raw = text.strip()
    if not _digits(raw):
        raise InvalidInput(f"{what}: not a whole number of bits from 0 to {MAX_DISTANCE}: {raw[:20]!r}")
    return check_distance(int(raw), what)


def _digits(text: str) -> bool:
    # ASCII only (str.isdigit also takes "¹", which int() refuses) and short (int() refuses 4,300 digits).
    return text.isascii() and text.isdigit() and len(text) <= 6


def hashset_choice(items: Sequence[str]) -> tuple[tuple[str, ...], dict[str, int]]:
    """Hash-set names as given (``NAME``, or ``NAME:N`` for that set's own PDQ distance; a form may put
    several in one item, comma-separated) -> the names and the per-set distances."""
    names: list[str] = []
    distances: dict[str, int] = {}
    for item in items:
        for part in item.split(","):
            given = part.strip()
            if not given:
                continue
            name, sep, tail = given.rpartition(":")
            if sep and name and _digits(tail.strip()):
                name = name.strip()
                distances[name] = check_distance(int(tail), f"hashset {name[:40]}")
            else:
                name = given
            if len(name) > MAX_NAME:
                raise InvalidInput(f"hashset {name[:40]}...: longer than any hash-set name")
            if name not in names:
                names.append(name)
    if len(names) > MAX_HASHSETS:
        raise InvalidInput(f"hashsets: at most {MAX_HASHSETS} hash sets in one lookup, got {len(names)}")
    return tuple(names), distances


def lookup_options(
    hashsets: Sequence[str] | None = None,
    max_distance: int | None = None,
    min_quality: int | None = None,
    dihedral: bool = False,
    default_distance: int = DEFAULT_DISTANCE,
    limit: int | None = None,
) -> LookupOptions:
    """Checked options. ``hashsets`` may carry ``NAME:N`` (see :func:`hashset_choice`); raises
    :class:`InvalidInput` naming the option. Unknown hash sets are found when matching (NotFound)."""
    names, distances = hashset_choice(list(hashsets or ()))
    distance = check_distance(default_distance if max_distance is None else max_distance)
    quality = QUALITY_THRESHOLD if min_quality is None else min_quality
    if isinstance(quality, bool) or not 0 <= quality <= 100:
        raise InvalidInput(f"min_quality: a PDQ quality is 0-100, got {quality}")
    return LookupOptions(names, distance, quality, bool(dihedral), distances, limit)


# ---------------------------------------------------------------- queries


def typed_query(text: str) -> Query:
    """One hash typed by a person: ``SIGNAL:VALUE`` or bare (:func:`netsafe.signals.types.parse_typed`)."""
    raw = text.strip()
    try:
        signals = parse_typed(raw)
    except HashFormatError as err:
        raise InvalidInput(_printable(str(err), 300)) from None
    return Query(query=raw, kind="hash", signals=signals)  # parse_typed bounds its length


def typed_queries(text: str) -> list[Query]:
    """Every hash in ``text``, one query each: hashes are separated by lines or spaces, and may be
    prefixed with their signal as ``pdq:HEX``, ``pdq: HEX`` or ``pdq HEX``."""
    tokens = text.split()
    joined: list[str] = []
    i = 0
    while i < len(tokens):
        token = tokens[i]
        name = token.removesuffix(":")
        if ":" not in name and i + 1 < len(tokens) and _signal_name(name):
            token = f"{name}:{tokens[i + 1]}"
            i += 1
        joined.append(token)
        i += 1
    if not joined:
        raise InvalidInput("give at least one hash")
    if len(joined) > MAX_TYPED_QUERIES:
        raise InvalidInput(f"at most {MAX_TYPED_QUERIES} hashes in one lookup, got {len(joined)}")
    return [typed_query(t) for t in joined]


def _signal_name(token: str) -> bool:
    try:
        get(token)
    except HashFormatError:
        return False
    return True


def signals_query(signals: Mapping[str, Any], pdq_dihedral: Sequence[str] | None = None) -> Query:
    """One query from named signals (what a platform sends: ``{"pdq": ..., "md5": ...}``), each value read
    by the same rule as a typed hash."""
    out: dict[str, str] = {}
    for name, value in signals.items():
        label = _printable(str(name), 40)
        if not isinstance(value, str):
            raise InvalidInput(f"signals.{label}: must be a string")
        try:
            kind = get(str(name))  # the key names the signal; the value is read as a typed hash is
            out.update(parse_typed(f"{kind.name}:{value}"))
        except HashFormatError as err:
            raise InvalidInput(f"signals.{label}: {_printable(str(err), 300)}") from None
    if not out:
        raise InvalidInput("signals: give at least one of " + ", ".join(ENTRY_SIGNALS))
    dihedral = None
    if pdq_dihedral:
        dihedral = []
        for k, value in enumerate(pdq_dihedral):
            try:
                dihedral.append(PDQ.normalise(value))
            except HashFormatError as err:
                raise InvalidInput(f"pdq_dihedral[{k}]: {err}") from None
    return Query(query="signals", kind="signals", signals=out, pdq_dihedral=dihedral)


def file_query(record: FileRecord, kind: str = "file") -> Query:
    """The query for a hashed file: its exact digests, PDQ (with quality and dihedral variants) and vPDQ
    frames, and its error if it could not be read (such a query matches nothing)."""
    signals = {k: v for k, v in record.digests.items() if k in REGISTRY and REGISTRY[k].exact}
    if record.pdq:
        signals["pdq"] = record.pdq
    return Query(
        query=record.path, kind=kind, path=record.path, signals=signals, pdq_quality=record.pdq_quality,
        pdq_dihedral=record.pdq_dihedral, vpdq=record.vpdq, error=record.error, size=record.size,
        mime=record.mime,
    )  # fmt: skip


# ---------------------------------------------------------------- results


@dataclass(slots=True)
class LookupResult:
    """One query's answer: the same JSON through every door (``netsafe match --json`` lines, the API's
    body, the page)."""

    query: Query
    matches: list[Match]
    truncated: bool = False
    pdq_skipped: bool = False

    def as_dict(self) -> dict[str, Any]:
        q = self.query
        return {
            "query": q.query,
            "kind": q.kind,
            "path": q.path,
            "size": q.size,
            "mime": q.mime,
            "signals": dict(q.signals),
            "pdq_quality": q.pdq_quality,
            "pdq_skipped": self.pdq_skipped,
            "vpdq_frames": None if q.vpdq is None else len(q.vpdq),
            "error": q.error,
            "matches": [m.as_dict() for m in self.matches],
            "truncated": self.truncated,
        }

    def audited(self) -> dict[str, Any]:
        """What the audit log keeps of this query: what was asked and how many matched, no contents."""
        q = self.query
        out: dict[str, Any] = {"query": q.query, "kind": q.kind, "signals": dict(q.signals)}
        for key, value in (("size", q.size), ("mime", q.mime), ("pdq_quality", q.pdq_quality)):
            if value is not None:
                out[key] = value
        if q.vpdq is not None:
            out["vpdq_frames"] = len(q.vpdq)
        if q.error is not None:
            out["error"] = q.error
        out["matches"] = len(self.matches)
        return out


def _results(
    queries: Sequence[Query], found: list[list[Match]], options: LookupOptions
) -> list[LookupResult]:
    out = []
    for q, matches in zip(queries, found, strict=True):
        skipped = q.pdq_quality is not None and "pdq" in q.signals and q.pdq_quality < options.min_quality
        limit = options.limit
        truncated = limit is not None and len(matches) > limit
        out.append(LookupResult(q, matches[:limit] if truncated else matches, truncated, skipped))
    return out


def audit_details(results: Sequence[LookupResult], options: LookupOptions) -> dict[str, Any]:
    matched = {m.hashset for r in results for m in r.matches}
    details: dict[str, Any] = {
        "queries": [r.audited() for r in results[:AUDITED_QUERIES]],
        "query_count": len(results),
        "hashsets": list(options.hashsets) or None,
        "max_distance": options.max_distance,
        "min_quality": options.min_quality,
        "dihedral": options.dihedral,
        "matches": sum(len(r.matches) for r in results),
        "matched_sets": sorted(matched),
    }
    if options.set_distances:
        details["set_distances"] = dict(options.set_distances)
    return details


# ---------------------------------------------------------------- lookup


def search(matcher: Matcher, queries: Sequence[Query], options: LookupOptions) -> list[list[Match]]:
    """Match only (reading the store as needed); :func:`lookup` is what a door calls."""
    return matcher.match(
        queries,
        options.hashsets or None,
        options.max_distance,
        options.min_quality,
        options.dihedral,
        options.set_distances,
    )


def lookup(
    matcher: Matcher, audit: AuditSink, actor: Actor, queries: Sequence[Query], options: LookupOptions
) -> list[LookupResult]:
    """Match ``queries`` and audit the lookup; returns once the event is committed (nothing is answered
    unaudited). Raises the kinds: InvalidInput (a bad hash), NotFound (an unknown set), Unavailable."""
    results = _results(queries, search(matcher, queries, options), options)
    audit.submit(actor, "match", None, audit_details(results, options))
    return results


async def lookup_async(
    search_async: Search,
    audit: AsyncAuditSink,
    actor: Actor,
    queries: Sequence[Query],
    options: LookupOptions,
) -> list[LookupResult]:
    """:func:`lookup` on an event loop: ``search_async`` answers from the indexes in memory where it can
    (a web worker's), and the request awaits its audit event without holding a thread."""
    results = _results(queries, await search_async(queries, options), options)
    await audit.submit_async(actor, "match", None, audit_details(results, options))
    return results


def _printable(text: str, limit: int) -> str:
    """One line a person can read, whatever a stranger sent: control characters shown as ``?``."""
    clean = "".join(ch if ch.isprintable() else "?" for ch in text)
    return clean if len(clean) <= limit else clean[:limit] + "..."


__all__ = [
    "MAX_DISTANCE",
    "AuditSink",
    "LookupOptions",
    "LookupResult",
    "StoreAudit",
    "audit_details",
    "check_distance",
    "distance_from_text",
    "file_query",
    "hashset_choice",
    "lookup",
    "lookup_async",
    "lookup_options",
    "search",
    "signals_query",
    "store_lookup",
    "typed_queries",
    "typed_query",
]
