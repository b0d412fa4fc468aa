"""The matcher the command line and the web workers share: searches the hash sets' indexes
(:mod:`netsafe.services.indexes`), keeps them current as the store's versions move on, and reports the hits
with their entries' categories, cached per set version.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

from sqlalchemy import select

from netsafe.matching.dihedral import search_dihedral
from netsafe.matching.exact import ExactIndex
from netsafe.matching.pdq_index import DEFAULT_MAX_DISTANCE, PDQIndex
from netsafe.matching.vpdq import match_videos
from netsafe.services import indexes
from netsafe.services.indexes import (
    EXACT_SIGNALS,
    SetIndex,
    SetRef,
    default_index_dir,
    drop_index,
    grading_profile,
    index_key,
    set_key,
)
from netsafe.services.matches import (
    Found,
    Hit,
    Match,
    MatchError,
    Query,
    StoreNeededError,
    UnknownHashSetError,
)
from netsafe.signals.codecs import HashFormatError, normalise_hex
from netsafe.signals.pdq import DIHEDRAL_NAMES, QUALITY_THRESHOLD
from netsafe.signals.types import REGISTRY, normalise, photodna_bytes
from netsafe.signals.vpdq import VpdqFrame
from netsafe.store import repositories as repo
from netsafe.store.db import Database
from netsafe.store.models import HashSetRow

log = logging.getLogger("netsafe.matching")

__all__ = [
    "DETAILS_CACHE_ENTRIES",
    "EXACT_SIGNALS",
    "STALE_REFRESHES",
    "Found",
    "Match",
    "MatchError",
    "Matcher",
    "Query",
    "StoreNeededError",
    "UnknownHashSetError",
    "default_index_dir",
    "drop_index",
    "index_key",
]

# A new set's index built apart rests this many times as long as each page of the store took.
LOAD_PACE = 1.0
STALE_REFRESHES = 10  # offline searches refuse indexes not all caught up for this many refresh periods
DETAILS_CACHE_ENTRIES = 200_000  # per hash set; about 40 MB at most


def _clip(text: str) -> str:
    return text if len(text) <= 72 else text[:72] + "..."


class Matcher:
    """Hash sets' indexes in memory, reloaded or caught up when the store's versions move on.

    Thread-safe; one per process. ``refresh_seconds`` limits how often the versions are re-read (0: before
    every call, right for the command line; a web worker may allow a second or two).
    """

    def __init__(self, db: Database, index_dir: Path | None = None, refresh_seconds: float = 0.0) -> None:
        self.db = db
        self.index_dir = index_dir or default_index_dir(db)
        self.refresh_seconds = refresh_seconds
        self._sets: dict[str, SetIndex] = {}  # by SetRef.key
        self._known: dict[str, SetRef] = {}  # by name
        # The sets offline searches answer from: those whose indexes were loaded by the last catch-up.
        # A set the store has just gained joins once its index is loaded, so a large new set does not send
        # every request to wait behind its loading (p99 of 1-2.5 s after an import, before).
        self._serving: dict[str, SetRef] = {}
        self._loading: dict[str, threading.Thread] = {}  # new sets' indexes being built apart, by key
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
                name: SetRef(int(i), set_key(int(i), created), int(v), str(p))
                for i, name, v, p, created in rows
            }
            live = {ref.key for ref in self._known.values()}
            for key in list(self._sets):
                if key not in live:
                    del self._sets[key]
            indexes.sweep(self.index_dir, live, max((ref.set_id for ref in self._known.values()), default=0))
            self._checked = now

    def hashset_names(self) -> list[str]:
        self.refresh()
        return sorted(self._known)

    def _index(self, name: str) -> SetIndex:
        ref = self._known[name]
        current = self._sets.get(ref.key)
        if current is not None and current.version == ref.version:
            return current
        # Never catch up ``current`` in place: other threads may be searching it outside the lock. A fresh
        # copy from disk is cheap (memory-mapped) and the old object stays valid until they finish.
        loaded = self._build(name, ref)
        self._sets[ref.key] = loaded
        return loaded

    def _build(self, name: str, ref: SetRef, rest: float = 0.0) -> SetIndex:
        """The set's index at ``ref.version``, from disk and the store; touches nothing shared."""
        loaded = indexes.load_newest(self.index_dir, ref)
        if loaded is None:
            empty = {s: ExactIndex(s) for s in EXACT_SIGNALS}
            loaded = SetIndex(
                ref.set_id, ref.key, name, 0, grading_profile(ref.profile), PDQIndex(), empty, PDQIndex()
            )
        if loaded.version < ref.version:
            indexes.catch_up(self.db, loaded, ref.version, rest)
            indexes.publish(self.index_dir, loaded)
        loaded.name = name
        return loaded

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
                    self._serve_loaded()
                    self._current_at = time.monotonic()
        found: list[list[Hit]] = []
        for q in queries:
            hits: list[Hit] = []
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
        missing: dict[int, SetIndex] = {}
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
        self, index: SetIndex, frames: list[VpdqFrame], max_distance: int, min_quality: int
    ) -> list[Hit]:
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
                hits.append(Hit(index, entry_id, "vpdq", closest[entry_id], None, result))
        return hits

    def _served(self, hashsets: Sequence[str] | None, distances: Mapping[str, int]) -> list[SetIndex]:
        """The indexes in memory now, without the lock: each may be a version behind the store until the
        next :meth:`catch_up` (whoever serves offline calls it every ``refresh_seconds``)."""
        if self._checked == float("-inf"):
            raise StoreNeededError("the hash sets have not been read yet")
        if time.monotonic() - self._current_at > STALE_REFRESHES * max(self.refresh_seconds, 1.0):
            raise StoreNeededError("the indexes have not been caught up lately")
        known = self._serving  # replaced whole by catch_up(), never changed in place
        names = list(hashsets) if hashsets else sorted(known)
        waiting = [n for n in (*names, *distances) if n not in known and n in self._known]
        if waiting:  # named, and in the store, but its index is still loading: wait for it online
            raise StoreNeededError(f"the index of {waiting[0]!r} is not loaded yet")
        _check_names(known, names, distances)
        indexes = []
        for name in names:
            index = self._sets.get(known[name].key)
            if index is None:
                raise StoreNeededError(f"the index of {name!r} is not loaded yet")
            indexes.append(index)
        return indexes

    def catch_up(self, new_sets_apart: bool = False) -> None:
        """Re-read the versions and bring every set's index up to date (what offline searches serve).

        Every set is tried even when one fails (the first failure is raised at the end); offline searches
        stop answering once the indexes have not all been current for ``STALE_REFRESHES`` refresh periods,
        so a set that cannot be caught up is never served stale for long.

        With ``new_sets_apart`` (a worker's background refresh) the indexes of sets not loaded yet are
        built by a thread of their own, paced, and join the served sets when ready: this call returns once
        the served sets are current. Built here under the lock, a 1M-entry set held it for 10-35 s after
        an import; past ``STALE_REFRESHES`` every request went to wait for it (0 requests/s, measured).
        """
        with self._lock:
            self.refresh(force=True)
            failed: Exception | None = None
            # Sets already served first: once they are current, offline searches may go on answering from
            # them while a new set's index loads.
            loaded = [n for n in sorted(self._known) if self._known[n].key in self._sets]
            new = [n for n in sorted(self._known) if self._known[n].key not in self._sets]
            for batch in (loaded, [] if new_sets_apart else new):
                for name in batch:
                    try:
                        self._index(name)
                    except Exception as err:  # keep the other sets current; report this one
                        failed = failed or err
                self._serve_loaded()
                if failed is None:
                    self._current_at = time.monotonic()
            if new_sets_apart:
                for name in new:
                    self._load_apart(name, self._known[name])
            if failed is not None:
                raise failed

    def _load_apart(self, name: str, ref: SetRef) -> None:
        """Build a new set's index in a thread of its own, one per set (the caller holds the lock)."""
        if ref.key in self._loading:
            return
        loader = threading.Thread(
            target=self._build_apart, args=(name, ref), name="netsafe-index-load", daemon=True
        )
        self._loading[ref.key] = loader
        loader.start()

    def _build_apart(self, name: str, ref: SetRef) -> None:
        try:
            # Paced: the worker's requests keep the interpreter for most of the time (a 1M-entry set is
            # seconds of CPU, most of it holding the GIL).
            built = self._build(name, ref, rest=LOAD_PACE)
        except Exception as err:  # the next refresh tries again
            log.warning("index of %r not loaded: %s", name, _first_line(err))
            built = None
        with self._lock:
            del self._loading[ref.key]
            if built is not None and ref.key not in self._sets and ref.key in self._live_keys():
                self._sets[ref.key] = built  # a version behind, perhaps: the next catch_up brings it on
                self._serve_loaded()

    def _live_keys(self) -> set[str]:
        return {r.key for r in self._known.values()}

    def _serve_loaded(self) -> None:
        self._serving = {name: ref for name, ref in self._known.items() if ref.key in self._sets}

    def _cached_details(
        self, hits: list[Hit]
    ) -> tuple[dict[int, tuple[str | None, str | None]], dict[int, SetIndex]]:
        """``entry_id -> (category, source_id)`` of the hits the per-version cache knows, and the rest."""
        out: dict[int, tuple[str | None, str | None]] = {}
        missing: dict[int, SetIndex] = {}
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
        self, fetched: dict[int, tuple[str | None, str | None]], indexes: dict[int, SetIndex]
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


def _search(index: SetIndex, q: Query, max_distance: int, min_quality: int, dihedral: bool) -> list[Hit]:
    hits: list[Hit] = []
    for signal in EXACT_SIGNALS:
        value = q.signals.get(signal)
        if value is None:
            continue
        key = photodna_bytes(value).hex() if signal == "photodna" else value
        hits.extend(Hit(index, int(i), signal, 0) for i in index.exact[signal].lookup(key))
    pdq = q.signals.get("pdq")
    usable = q.pdq_quality is None or q.pdq_quality >= min_quality
    if pdq is None or not usable or not len(index.pdq):
        return hits
    if dihedral and q.pdq_dihedral:
        res = search_dihedral(index.pdq, q.pdq_dihedral, max_distance)
        for i, d, v in zip(res.ids.tolist(), res.distances.tolist(), res.variants.tolist(), strict=True):
            name = DIHEDRAL_NAMES[v] if v < len(DIHEDRAL_NAMES) else str(v)
            hits.append(Hit(index, i, "pdq", d, name))
    else:
        ids, dists = index.pdq.search(pdq, max_distance)
        hits.extend(Hit(index, i, "pdq", d) for i, d in zip(ids.tolist(), dists.tolist(), strict=True))
    return hits


def _first_line(err: Exception) -> str:
    lines = str(err).splitlines()
    return lines[0] if lines else type(err).__name__


def _check_names(known: Mapping[str, SetRef], names: Sequence[str], distances: Mapping[str, int]) -> None:
    unknown = [n for n in (*names, *distances) if n not in known]
    if unknown:
        raise UnknownHashSetError(f"no hash set named {unknown[0]!r} (see `netsafe hashset list`)")


def _check_query(q: Query) -> None:
    """Queries from the web come from strangers: a malformed hash is a MatchError, never a crash."""
    try:
        for signal, value in q.signals.items():
            q.signals[signal] = normalise(signal, value)
        if q.pdq_dihedral is not None:
            q.pdq_dihedral = [normalise_hex(h, "pdq") for h in q.pdq_dihedral]
        for frame in q.vpdq or []:
            normalise_hex(frame.pdq, "pdq")
    except HashFormatError as err:
        raise MatchError(f"{_clip(q.query)}: {err}") from None
