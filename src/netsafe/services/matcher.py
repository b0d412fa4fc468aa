"""The matcher the command line and the web workers share: per-hash-set indexes built from the store,
persisted as plain arrays next to the database, and brought up to date when a set's version changes.

Each hash set gets a directory ``<index dir>/<set id>/v<version>/`` holding a PDQ index and one exact index
per cryptographic signal (and PhotoDNA). A worker that finds the store at a newer version than the newest
directory loads that directory, applies only the entries the newer versions removed (``removed_entries``)
or touched (``updated_version``), and publishes the result under the new version with an atomic rename, so
several processes can share one index directory: whoever renames first wins and the others load its copy.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from platformdirs import user_cache_path
from sqlalchemy import select

from netsafe.errors import InvalidInput, NotFound
from netsafe.hashsets.model import normalise_signal, photodna_bytes
from netsafe.hashsets.profiles import GradingProfile, ProfileError, load_profile
from netsafe.matching.dihedral import search_dihedral
from netsafe.matching.exact import ExactIndex
from netsafe.matching.pdq_index import DEFAULT_MAX_DISTANCE, IndexFormatError, PDQIndex
from netsafe.matching.vpdq import VpdqMatch, match_videos
from netsafe.signals.codecs import HashFormatError, normalise_hex
from netsafe.signals.pdq import DIHEDRAL_NAMES, QUALITY_THRESHOLD
from netsafe.signals.types import REGISTRY
from netsafe.signals.vpdq import VpdqFrame
from netsafe.store import repositories as repo
from netsafe.store.db import Database, StoreError, sqlite_path
from netsafe.store.models import HashSetRow

ENV_INDEX_DIR = "NETSAFE_INDEX_DIR"
EXACT_SIGNALS = ("md5", "sha1", "sha256", "photodna")
# Store column holding each exact signal's canonical (hex) form.
_COLUMN = {"md5": "md5", "sha1": "sha1", "sha256": "sha256", "photodna": "photodna_key"}
_VERSION_DIR = re.compile(r"v(\d+)")
_SET_DIR = re.compile(r"(\d+)-\d+")
STALE_REFRESHES = 10  # offline searches refuse indexes not all caught up for this many refresh periods
COMPACT_SHARE = 20  # merge the PDQ index's segments when a catch-up added >= 1/20 of its rows
DETAILS_CACHE_ENTRIES = 200_000  # per hash set; about 40 MB at most


class MatchError(InvalidInput):
    """A request the matcher cannot serve (unknown hash set, bad hash); ``str(err)`` is one line."""


class UnknownHashSetError(NotFound, MatchError):
    """A query named a hash set the store does not have."""


class StoreNeededError(Exception):
    """Raised by ``match(..., offline=True)`` when answering needs the store (versions due for a re-read,
    an index to load, a category not cached) or another thread holds the indexes: call again online."""


@dataclass(slots=True)
class Query:
    """What to look up: signals of a file (or given by hand). ``query`` is what the person asked for."""

    query: str
    path: str | None = None
    signals: dict[str, str] = field(default_factory=dict)
    pdq_quality: int | None = None
    pdq_dihedral: list[str] | None = None
    vpdq: list[VpdqFrame] | None = None
    error: str | None = None
    kind: str = "signals"  # file, upload, hash (typed by a person) or signals (named, from a platform)
    size: int | None = None
    mime: str | None = None


@dataclass(frozen=True, slots=True)
class Match:
    hashset: str
    entry_id: int
    signal: str
    distance: int
    category: str | None
    category_label: str
    source_id: str | None = None
    transform: str | None = None  # dihedral variant of the query that matched ("original", "rotate90", ...)
    video: VpdqMatch | None = None  # vPDQ: shares of matching frames and the matching segments

    def as_dict(self) -> dict[str, Any]:
        """Every key, always (null where it does not apply): one shape for every door."""
        video = self.video
        return {
            "hashset": self.hashset,
            "entry_id": self.entry_id,
            "source_id": self.source_id,
            "signal": self.signal,
            "distance": self.distance,
            "category": self.category,
            "category_label": self.category_label,
            "transform": self.transform,
            "query_match_percent": None if video is None else round(video.query_match_percent, 2),
            "compared_match_percent": None if video is None else round(video.compared_match_percent, 2),
            "segments": None
            if video is None
            else [
                {
                    "query_start": g.query_start,
                    "query_end": g.query_end,
                    "compared_start": g.candidate_start,
                    "compared_end": g.candidate_end,
                    "frames": g.frames,
                }
                for g in video.segments
            ],
        }

    @property
    def list_id(self) -> str:
        """How a person finds the entry: the list's own id (its ``MediaID``) where it has one, else
        ``#`` and netsafe's entry id (what ``netsafe hashset remove --entry`` takes)."""
        return self.source_id or f"#{self.entry_id}"


def _clip(text: str) -> str:
    return text if len(text) <= 72 else text[:72] + "..."


def default_index_dir(db: Database) -> Path:
    env = os.environ.get(ENV_INDEX_DIR)
    if env:
        return Path(env)
    path = sqlite_path(db.url)
    if path is not None:
        return path.with_name(path.name + ".indexes")
    # Not a file database: one cache directory per database (never the password: it is not in the digest).
    digest = hashlib.sha256(db.display_url.encode()).hexdigest()[:16]
    return user_cache_path("netsafe", appauthor=False) / "indexes" / digest


@dataclass(frozen=True, slots=True)
class _SetRef:
    set_id: int
    key: str  # names the set's index directory: id plus creation time, unique even across recreated databases
    version: int
    profile: str


def _key(set_id: int, created: datetime) -> str:
    stamp = created if created.tzinfo else created.replace(tzinfo=UTC)
    return f"{set_id}-{int(stamp.timestamp() * 1_000_000)}"


@dataclass(slots=True)
class _SetIndex:
    set_id: int
    key: str
    name: str
    version: int
    profile: GradingProfile
    pdq: PDQIndex
    exact: dict[str, ExactIndex]
    vpdq: PDQIndex  # every frame of every video entry, under the entry's id: finds candidate videos

    def save(self, directory: Path) -> None:
        self.pdq.save(directory / "pdq")
        self.vpdq.save(directory / "vpdq")
        for index in self.exact.values():
            index.save(directory / "exact")


class Matcher:
    """Hash sets' indexes in memory, reloaded or caught up when the store's versions move on.

    Thread-safe; one per process. ``refresh_seconds`` limits how often the versions are re-read (0: before
    every call, right for the command line; a web worker may allow a second or two).
    """

    def __init__(self, db: Database, index_dir: Path | None = None, refresh_seconds: float = 0.0) -> None:
        self.db = db
        self.index_dir = index_dir or default_index_dir(db)
        self.refresh_seconds = refresh_seconds
        self._sets: dict[str, _SetIndex] = {}  # by _SetRef.key
        self._known: dict[str, _SetRef] = {}  # by name
        self._checked = float("-inf")
        self._current_at = float("-inf")  # when catch_up() last brought every index up to date
        self._lock = threading.RLock()
        # (category, source_id) of entries already reported, per set key: valid for one version of the set
        # (entries change only through imports, which move the version), so a match skips the store.
        self._details_cache: dict[str, tuple[int, dict[int, tuple[str | None, str | None]]]] = {}
        self._details_lock = threading.Lock()

    # -- keeping current ----------------------------------------------------------------------------------

    def refresh(self, force: bool = False) -> None:
        with self._lock:
            now = time.monotonic()
            if not force and now - self._checked < self.refresh_seconds:
                return
            with self.db.session() as session:
                rows = session.execute(
                    select(
                        HashSetRow.id,
                        HashSetRow.name,
                        HashSetRow.version,
                        HashSetRow.profile,
                        HashSetRow.created,
                    )
                ).all()
            self._known = {
                name: _SetRef(int(i), _key(int(i), created), int(v), str(p))
                for i, name, v, p, created in rows
            }
            live = {ref.key for ref in self._known.values()}
            for key in list(self._sets):
                if key not in live:
                    del self._sets[key]
            self._sweep(live, max((ref.set_id for ref in self._known.values()), default=0))
            self._checked = now

    def _sweep(self, live: set[str], max_id: int) -> None:
        """Remove index directories of deleted sets, and of sets that only share an id with a live one (a
        database recreated beside an old index directory). Ids above ``max_id`` may be sets another process
        created since we looked: left alone."""
        if not self.index_dir.is_dir():
            return
        for child in self.index_dir.iterdir():
            m = _SET_DIR.fullmatch(child.name)
            if m and child.name not in live and int(m.group(1)) <= max_id:
                shutil.rmtree(child, ignore_errors=True)

    def hashset_names(self) -> list[str]:
        self.refresh()
        return sorted(self._known)

    def _index(self, name: str) -> _SetIndex:
        ref = self._known[name]
        current = self._sets.get(ref.key)
        if current is not None and current.version == ref.version:
            return current
        # Never catch up ``current`` in place: other threads may be searching it outside the lock. A fresh
        # copy from disk is cheap (memory-mapped) and the old object stays valid until they finish.
        loaded = self._load_newest(ref)
        if loaded is None:
            empty = {s: ExactIndex(s) for s in EXACT_SIGNALS}
            loaded = _SetIndex(
                ref.set_id, ref.key, name, 0, _profile(ref.profile), PDQIndex(), empty, PDQIndex()
            )
        if loaded.version < ref.version:
            self._catch_up(loaded, ref.version)
            self._publish(loaded)
        loaded.name = name
        self._sets[ref.key] = loaded
        return loaded

    def _load_newest(self, ref: _SetRef) -> _SetIndex | None:
        root = self.index_dir / ref.key
        found: list[int] = []
        if root.is_dir():
            for child in root.iterdir():
                m = _VERSION_DIR.fullmatch(child.name)
                if m and int(m.group(1)) <= ref.version:
                    found.append(int(m.group(1)))
        for v in sorted(found, reverse=True):
            directory = root / f"v{v}"
            try:
                pdq = PDQIndex.load(directory / "pdq")
                exact = {s: ExactIndex.load(directory / "exact", s) for s in EXACT_SIGNALS}
                frames = PDQIndex.load(directory / "vpdq")
            except (IndexFormatError, OSError, ValueError):
                shutil.rmtree(directory, ignore_errors=True)  # damaged or half-written: rebuild
                continue
            return _SetIndex(ref.set_id, ref.key, "", v, _profile(ref.profile), pdq, exact, frames)
        return None

    def _catch_up(self, index: _SetIndex, version: int) -> None:
        """Apply the entries removed, added or replaced since ``index.version`` (not a full rebuild)."""
        columns = ("pdq", *(_COLUMN[s] for s in EXACT_SIGNALS), "vpdq")
        added = 0
        with self.db.session() as session:
            if index.version > 0:
                # Removals first: the pages below re-add whatever is in the table now, so an id SQLite
                # reused after a removal comes back with its new values.
                gone = np.asarray(repo.removed_since(session, index.set_id, index.version), dtype=np.int64)
                if len(gone):
                    index.pdq.remove(gone)
                    index.vpdq.remove(gone)
                    for exact in index.exact.values():
                        exact.remove(gone)
            for page in repo.iter_columns(session, index.set_id, columns, since_version=index.version):
                ids = np.fromiter((row[0] for row in page), dtype=np.int64, count=len(page))
                if index.version > 0:
                    index.pdq.remove(ids)
                    index.vpdq.remove(ids)
                    for exact in index.exact.values():
                        exact.remove(ids)
                for k, name in enumerate(columns):
                    pairs = [(row[0], row[k + 1]) for row in page if row[k + 1] is not None]
                    if not pairs:
                        continue
                    these = [p[0] for p in pairs]
                    values = [p[1] for p in pairs]
                    if name == "vpdq":
                        frame_ids = [i for i, frames in pairs for _ in frames]
                        index.vpdq.add(frame_ids, [f["pdq"] for _, frames in pairs for f in frames])
                    elif name == "pdq":
                        index.pdq.add(these, values)
                        added += len(these)
                    else:
                        signal = "photodna" if name == "photodna_key" else name
                        index.exact[signal].add(these, values)
        # Pages arrive as separate segments and every segment costs a full probe per query (three segments
        # of 1M rows searched ~3x slower than one). The version published here is what every worker loads,
        # so one merge pays off; small additions stay in the index's delta until they add up.
        if added * COMPACT_SHARE >= len(index.pdq):
            index.pdq.compact()
        index.version = version

    def _publish(self, index: _SetIndex) -> None:
        root = self.index_dir / index.key
        final = root / f"v{index.version}"
        if final.exists():
            return
        try:
            root.mkdir(parents=True, exist_ok=True)
            tmp = Path(tempfile.mkdtemp(prefix=".build-", dir=root))
        except OSError:
            return  # a read-only index dir: keep matching from memory
        try:
            index.save(tmp)
            os.rename(tmp, final)
        except OSError:
            shutil.rmtree(tmp, ignore_errors=True)  # another process published this version first
            return
        for child in root.iterdir():
            m = _VERSION_DIR.fullmatch(child.name)
            if m and int(m.group(1)) < index.version:
                shutil.rmtree(child, ignore_errors=True)

    # -- matching -----------------------------------------------------------------------------------------

    def match(
        self,
        queries: Sequence[Query],
        hashsets: Sequence[str] | None = None,
        max_distance: int = DEFAULT_MAX_DISTANCE,
        min_quality: int = QUALITY_THRESHOLD,
        dihedral: bool = False,
        set_distances: Mapping[str, int] | None = None,
        offline: bool = False,
    ) -> list[list[Match]]:
        """Matches for each query, best first (distance, then hash set, then entry id).

        PDQ is searched within ``max_distance`` bits when the query's quality is at least ``min_quality``
        (hashes given by hand have no quality and are always searched); with ``dihedral`` the query's eight
        rotation/mirror variants are searched and the closest is reported. Exact signals match by value.
        ``set_distances`` overrides ``max_distance`` for the hash sets it names (a list graded on a stricter
        threshold, say). With ``offline`` nothing waits on the store or on another thread: the indexes in
        memory answer as they are (call :meth:`catch_up` every ``refresh_seconds`` to keep them current),
        and what would need the store raises :class:`StoreNeededError` instead (an event loop answers most
        requests this way, and hands the rest to a thread).
        """
        found = self.search(queries, hashsets, max_distance, min_quality, dihedral, set_distances, offline)
        if found.missing:
            if offline:
                raise StoreNeededError("categories of entries not seen before")
            self.load_details([found])
        return found.matches()

    def search(
        self,
        queries: Sequence[Query],
        hashsets: Sequence[str] | None = None,
        max_distance: int = DEFAULT_MAX_DISTANCE,
        min_quality: int = QUALITY_THRESHOLD,
        dihedral: bool = False,
        set_distances: Mapping[str, int] | None = None,
        offline: bool = False,
    ) -> Found:
        """The first half of :meth:`match`: the hits, with the categories the cache already knows.

        Callers that serve many requests fill in the rest for several of them at once with
        :meth:`load_details`, then call :meth:`Found.matches`.
        """
        distances = dict(set_distances or {})
        cap = REGISTRY["pdq"].max_threshold
        for limit in (max_distance, *distances.values()):
            if not 0 <= limit <= cap:
                raise MatchError(f"max_distance: a PDQ distance is 0-{cap} bits, got {limit}")
        for q in queries:
            _check_query(q)
        if offline:
            if any(q.vpdq for q in queries):
                raise StoreNeededError("video matching reads candidate frames from the store")
            indexes = self._served(hashsets, distances)
        else:
            with self._lock:
                self.refresh()
                names = list(hashsets) if hashsets else sorted(self._known)
                _check_names(self._known, names, distances)
                indexes = [self._index(n) for n in names]
                if not hashsets:  # every set was just brought up to date
                    self._current_at = time.monotonic()
        found: list[list[_Hit]] = []
        for q in queries:
            hits: list[_Hit] = []
            if q.error is None:
                for index in indexes:
                    limit = distances.get(index.name, max_distance)
                    hits.extend(_search(index, q, limit, min_quality, dihedral))
                    if q.vpdq:
                        hits.extend(self._search_video(index, q.vpdq, limit, min_quality))
            found.append(hits)
        details, missing = self._cached_details([h for hits in found for h in hits])
        return Found(found, details, missing)

    def load_details(self, pending: Sequence[Found]) -> None:
        """Read what every one of ``pending`` still lacks (categories, source ids) in one store query."""
        missing: dict[int, _SetIndex] = {}
        for found in pending:
            missing.update(found.missing)
        if not missing:
            return
        with self.db.session() as session:
            fetched = repo.categories(session, missing)
        for found in pending:
            for entry_id in found.missing:
                found.details[entry_id] = fetched.get(entry_id, (None, None))
            found.missing = {}
        self._remember(fetched, missing)

    def _search_video(
        self, index: _SetIndex, frames: list[VpdqFrame], max_distance: int, min_quality: int
    ) -> list[_Hit]:
        """Videos of the set sharing enough frames with ``frames`` (vPDQ's rule, both shares >= 80%).

        The frame index narrows the set to videos with at least one near frame; only those are compared
        in full, with their frames read from the store.
        """
        usable = [f for f in frames if f.quality >= min_quality]
        if not usable or not len(index.vpdq):
            return []
        closest: dict[int, int] = {}
        for ids, dists in index.vpdq.search_many([f.pdq for f in usable], max_distance):
            for i, d in zip(ids.tolist(), dists.tolist(), strict=True):
                closest[i] = min(d, closest.get(i, d))
        if not closest:
            return []
        with self.db.session() as session:
            candidates = repo.vpdq_frames(session, closest)
        hits = []
        for entry_id, stored in candidates.items():
            result = match_videos(
                frames,
                [
                    VpdqFrame(int(f["frame"]), float(f["timestamp"]), int(f["quality"]), str(f["pdq"]))
                    for f in stored
                ],
                distance_tolerance=max_distance,
                quality_tolerance=min_quality,
            )
            if result.is_match:
                hits.append(_Hit(index, entry_id, "vpdq", closest[entry_id], None, result))
        return hits

    def _served(self, hashsets: Sequence[str] | None, distances: Mapping[str, int]) -> list[_SetIndex]:
        """The indexes in memory now, without the lock: each may be a version behind the store until the
        next :meth:`catch_up` (whoever serves offline calls it every ``refresh_seconds``)."""
        if self._checked == float("-inf"):
            raise StoreNeededError("the hash sets have not been read yet")
        if time.monotonic() - self._current_at > STALE_REFRESHES * max(self.refresh_seconds, 1.0):
            raise StoreNeededError("the indexes have not been caught up lately")
        known = self._known  # replaced whole by refresh(), never changed in place
        names = list(hashsets) if hashsets else sorted(known)
        _check_names(known, names, distances)
        indexes = []
        for name in names:
            index = self._sets.get(known[name].key)
            if index is None:
                raise StoreNeededError(f"the index of {name!r} is not loaded yet")
            indexes.append(index)
        return indexes

    def catch_up(self) -> None:
        """Re-read the versions and bring every set's index up to date (what offline searches serve).

        Every set is tried even when one fails (the first failure is raised at the end); offline searches
        stop answering once the indexes have not all been current for ``STALE_REFRESHES`` refresh periods,
        so a set that cannot be caught up is never served stale for long.
        """
        with self._lock:
            self.refresh(force=True)
            failed: Exception | None = None
            for name in sorted(self._known):
                try:
                    self._index(name)
                except Exception as err:  # keep the other sets current; report this one
                    failed = failed or err
            if failed is not None:
                raise failed
            self._current_at = time.monotonic()

    def _cached_details(
        self, hits: list[_Hit]
    ) -> tuple[dict[int, tuple[str | None, str | None]], dict[int, _SetIndex]]:
        """``entry_id -> (category, source_id)`` of the hits the per-version cache knows, and the rest."""
        out: dict[int, tuple[str | None, str | None]] = {}
        missing: dict[int, _SetIndex] = {}
        if not hits:
            return out, missing
        with self._details_lock:
            for h in hits:
                cached = self._details_cache.get(h.index.key)
                found = cached[1].get(h.entry_id) if cached and cached[0] == h.index.version else None
                if found is None:
                    missing[h.entry_id] = h.index
                else:
                    out[h.entry_id] = found
        return out, missing

    def _remember(
        self, fetched: dict[int, tuple[str | None, str | None]], indexes: dict[int, _SetIndex]
    ) -> None:
        with self._details_lock:
            for entry_id, details in fetched.items():
                index = indexes[entry_id]
                cached = self._details_cache.get(index.key)
                if cached is None or cached[0] != index.version:
                    if cached is not None and cached[0] > index.version:
                        continue  # a newer version is cached already: this one is on its way out
                    cached = (index.version, {})
                    self._details_cache[index.key] = cached
                if len(cached[1]) >= DETAILS_CACHE_ENTRIES:
                    cached[1].clear()  # crude but bounded: a hot set refills in a few requests
                cached[1][entry_id] = details
            live = {ref.key for ref in self._known.values()}
            for key in [k for k in self._details_cache if k not in live]:
                del self._details_cache[key]


@dataclass(slots=True)
class Found:
    """Hits of a :meth:`Matcher.search`, and what is known about their entries so far."""

    hits: list[list[_Hit]]
    details: dict[int, tuple[str | None, str | None]]
    missing: dict[int, _SetIndex]  # entries whose category must still be read (Matcher.load_details)

    def matches(self) -> list[list[Match]]:
        out: list[list[Match]] = []
        for hits in self.hits:
            matches = []
            for h in hits:
                category, source_id = self.details.get(h.entry_id, (None, None))
                label = _label(h.index.profile, category)
                matches.append(
                    Match(h.index.name, h.entry_id, h.signal, h.distance, category, label, source_id,
                          h.transform, h.video)
                )  # fmt: skip
            matches.sort(key=lambda m: (m.distance, m.hashset, m.entry_id, m.signal))
            out.append(matches)
        return out


@dataclass(frozen=True, slots=True)
class _Hit:
    index: _SetIndex
    entry_id: int
    signal: str
    distance: int
    transform: str | None = None
    video: VpdqMatch | None = None


def _search(index: _SetIndex, q: Query, max_distance: int, min_quality: int, dihedral: bool) -> list[_Hit]:
    hits: list[_Hit] = []
    for signal in EXACT_SIGNALS:
        value = q.signals.get(signal)
        if value is None:
            continue
        key = photodna_bytes(value).hex() if signal == "photodna" else value
        hits.extend(_Hit(index, int(i), signal, 0) for i in index.exact[signal].lookup(key))
    pdq = q.signals.get("pdq")
    usable = q.pdq_quality is None or q.pdq_quality >= min_quality
    if pdq is None or not usable or not len(index.pdq):
        return hits
    if dihedral and q.pdq_dihedral:
        res = search_dihedral(index.pdq, q.pdq_dihedral, max_distance)
        for i, d, v in zip(res.ids.tolist(), res.distances.tolist(), res.variants.tolist(), strict=True):
            name = DIHEDRAL_NAMES[v] if v < len(DIHEDRAL_NAMES) else str(v)
            hits.append(_Hit(index, i, "pdq", d, name))
    else:
        ids, dists = index.pdq.search(pdq, max_distance)
        hits.extend(_Hit(index, i, "pdq", d) for i, d in zip(ids.tolist(), dists.tolist(), strict=True))
    return hits


def _check_names(known: Mapping[str, _SetRef], names: Sequence[str], distances: Mapping[str, int]) -> None:
    unknown = [n for n in (*names, *distances) if n not in known]
    if unknown:
        raise UnknownHashSetError(f"no hash set named {unknown[0]!r} (see `netsafe hashset list`)")


def _check_query(q: Query) -> None:
    """Queries from the web come from strangers: a malformed hash is a MatchError, never a crash."""
    try:
        for signal, value in q.signals.items():
            q.signals[signal] = normalise_signal(signal, value)
        if q.pdq_dihedral is not None:
            q.pdq_dihedral = [normalise_hex(h, "pdq") for h in q.pdq_dihedral]
        for frame in q.vpdq or []:
            normalise_hex(frame.pdq, "pdq")
    except HashFormatError as err:
        raise MatchError(f"{_clip(q.query)}: {err}") from None


def _profile(name: str) -> GradingProfile:
    try:
        return load_profile(name)
    except ProfileError as err:
        raise StoreError(str(err)) from None


def _label(profile: GradingProfile, category: str | None) -> str:
    try:
        return profile.label(category)
    except ProfileError:
        return category or profile.uncategorised_label


def index_key(db: Database, name: str) -> str | None:
    """The index-directory key of hash set ``name`` (None if there is no such set)."""
    with db.session() as session:
        row = repo.find_set(session, name)
        return None if row is None else _key(row.id, row.created)


def drop_index(db: Database, key: str, index_dir: Path | None = None) -> None:
    """Remove a deleted set's persisted index (other processes drop theirs on their next refresh)."""
    if _SET_DIR.fullmatch(key):
        shutil.rmtree((index_dir or default_index_dir(db)) / key, ignore_errors=True)
