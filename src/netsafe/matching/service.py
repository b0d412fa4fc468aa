"""The matcher the command line and the web workers share: per-hash-set indexes built from the store,
persisted as plain arrays next to the database, and brought up to date when a set's version changes.

Each hash set gets a directory ``<index dir>/<set id>/v<version>/`` holding a PDQ index and one exact index
per cryptographic signal (and PhotoDNA). A worker that finds the store at a newer version than the newest
directory loads that directory, applies only the entries the newer imports touched (``updated_version``),
and publishes the result under the new version with an atomic rename, so several processes can share one
index directory: whoever renames first wins and the others load its copy.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from platformdirs import user_cache_path
from sqlalchemy import select

from netsafe.hashsets.model import photodna_bytes
from netsafe.hashsets.profiles import GradingProfile, ProfileError, load_profile
from netsafe.matching.dihedral import search_dihedral
from netsafe.matching.exact import ExactIndex
from netsafe.matching.pdq_index import DEFAULT_MAX_DISTANCE, IndexFormatError, PDQIndex
from netsafe.signals.codecs import HashFormatError, normalise_hex
from netsafe.signals.pdq import DIHEDRAL_NAMES, QUALITY_THRESHOLD
from netsafe.store import repositories as repo
from netsafe.store.db import Database, StoreError, sqlite_path
from netsafe.store.models import HashSetRow

ENV_INDEX_DIR = "NETSAFE_INDEX_DIR"
EXACT_SIGNALS = ("md5", "sha1", "sha256", "photodna")
# Store column holding each exact signal's canonical (hex) form.
_COLUMN = {"md5": "md5", "sha1": "sha1", "sha256": "sha256", "photodna": "photodna_key"}
_VERSION_DIR = re.compile(r"v(\d+)")


class MatchError(Exception):
    """A request the matcher cannot serve (unknown hash set, bad hash); ``str(err)`` is one line."""


@dataclass(slots=True)
class Query:
    """What to look up: signals of a file (or given by hand). ``query`` is what the person asked for."""

    query: str
    path: str | None = None
    signals: dict[str, str] = field(default_factory=dict)
    pdq_quality: int | None = None
    pdq_dihedral: list[str] | None = None
    error: str | None = None


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

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "hashset": self.hashset,
            "entry_id": self.entry_id,
            "signal": self.signal,
            "distance": self.distance,
            "category": self.category,
            "category_label": self.category_label,
            "source_id": self.source_id,
        }
        if self.transform is not None:
            out["transform"] = self.transform
        return out


def parse_hash(text: str) -> dict[str, str]:
    """Signals a hash given by hand may be: ``SIGNAL:HEX`` names it; bare hex goes by length (64 hex
    characters are tried as both SHA-256 and PDQ). Raises :class:`MatchError`."""
    raw = text.strip()
    signal, sep, value = raw.partition(":")
    if sep:
        name = signal.strip().lower()
        if name not in ("md5", "sha1", "sha256", "pdq", "photodna"):
            raise MatchError(
                f"--hash {_clip(raw)}: unknown signal {name!r} (md5, sha1, sha256, pdq, photodna)"
            )
        try:
            if name == "photodna":
                photodna_bytes(value)
                return {"photodna": value.strip()}
            return {name: normalise_hex(value, name)}
        except HashFormatError as err:
            raise MatchError(f"--hash {_clip(raw)}: {err}") from None
    by_length = {32: ("md5",), 40: ("sha1",), 64: ("sha256", "pdq"), 288: ("photodna",)}
    names = by_length.get(len(raw))
    if names is None:
        try:
            photodna_bytes(raw)  # 192 base64 characters
        except HashFormatError:
            raise MatchError(
                f"--hash {_clip(raw)}: not an MD5 (32 hex), SHA-1 (40), SHA-256/PDQ (64) or PhotoDNA hash; "
                "prefix with SIGNAL: to name it"
            ) from None
        return {"photodna": raw}
    try:
        return {name: normalise_hex(raw, name) if name != "photodna" else raw for name in names}
    except HashFormatError as err:
        raise MatchError(f"--hash {_clip(raw)}: {err}") from None


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


@dataclass(slots=True)
class _SetIndex:
    set_id: int
    name: str
    version: int
    profile: GradingProfile
    pdq: PDQIndex
    exact: dict[str, ExactIndex]

    def save(self, directory: Path) -> None:
        self.pdq.save(directory / "pdq")
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
        self._sets: dict[int, _SetIndex] = {}
        self._known: dict[str, tuple[int, int, str]] = {}  # name -> (id, version, profile)
        self._checked = float("-inf")
        self._lock = threading.RLock()

    # -- keeping current ----------------------------------------------------------------------------------

    def refresh(self, force: bool = False) -> None:
        with self._lock:
            now = time.monotonic()
            if not force and now - self._checked < self.refresh_seconds:
                return
            with self.db.session() as session:
                rows = session.execute(
                    select(HashSetRow.id, HashSetRow.name, HashSetRow.version, HashSetRow.profile)
                ).all()
            self._known = {name: (int(i), int(v), str(p)) for i, name, v, p in rows}
            live = {i for i, _, _ in self._known.values()}
            for set_id in list(self._sets):
                if set_id not in live:
                    del self._sets[set_id]
                    shutil.rmtree(self.index_dir / str(set_id), ignore_errors=True)
            self._checked = now

    def hashset_names(self) -> list[str]:
        self.refresh()
        return sorted(self._known)

    def _index(self, name: str) -> _SetIndex:
        set_id, version, profile = self._known[name]
        current = self._sets.get(set_id)
        if current is not None and current.version == version:
            return current
        loaded = (
            current
            if current is not None and current.version < version
            else self._load_newest(set_id, version)
        )
        if loaded is None:
            loaded = _SetIndex(
                set_id, name, 0, _profile(profile), PDQIndex(), {s: ExactIndex(s) for s in EXACT_SIGNALS}
            )
        if loaded.version < version:
            self._catch_up(loaded, version)
            self._publish(loaded)
        loaded.name = name
        self._sets[set_id] = loaded
        return loaded

    def _load_newest(self, set_id: int, version: int) -> _SetIndex | None:
        root = self.index_dir / str(set_id)
        found: list[int] = []
        if root.is_dir():
            for child in root.iterdir():
                m = _VERSION_DIR.fullmatch(child.name)
                if m and int(m.group(1)) <= version:
                    found.append(int(m.group(1)))
        for v in sorted(found, reverse=True):
            directory = root / f"v{v}"
            try:
                pdq = PDQIndex.load(directory / "pdq")
                exact = {s: ExactIndex.load(directory / "exact", s) for s in EXACT_SIGNALS}
            except (IndexFormatError, OSError, ValueError):
                shutil.rmtree(directory, ignore_errors=True)  # damaged or half-written: rebuild
                continue
            name, profile = self._name_and_profile(set_id)
            return _SetIndex(set_id, name, v, _profile(profile), pdq, exact)
        return None

    def _name_and_profile(self, set_id: int) -> tuple[str, str]:
        for name, (i, _, profile) in self._known.items():
            if i == set_id:
                return name, profile
        raise MatchError(f"hash set {set_id} vanished")

    def _catch_up(self, index: _SetIndex, version: int) -> None:
        """Apply the entries imports since ``index.version`` added or replaced (not a full rebuild)."""
        columns = ("pdq", *(_COLUMN[s] for s in EXACT_SIGNALS))
        with self.db.session() as session:
            for page in repo.iter_columns(session, index.set_id, columns, since_version=index.version):
                ids = np.fromiter((row[0] for row in page), dtype=np.int64, count=len(page))
                if index.version > 0:
                    index.pdq.remove(ids)
                    for exact in index.exact.values():
                        exact.remove(ids)
                for k, name in enumerate(columns):
                    pairs = [(row[0], row[k + 1]) for row in page if row[k + 1] is not None]
                    if not pairs:
                        continue
                    these = [p[0] for p in pairs]
                    values = [p[1] for p in pairs]
                    if name == "pdq":
                        index.pdq.add(these, values)
                    else:
                        signal = "photodna" if name == "photodna_key" else name
                        index.exact[signal].add(these, values)
        index.version = version

    def _publish(self, index: _SetIndex) -> None:
        root = self.index_dir / str(index.set_id)
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
    ) -> list[list[Match]]:
        """Matches for each query, best first (distance, then hash set, then entry id).

        PDQ is searched within ``max_distance`` bits when the query's quality is at least ``min_quality``
        (hashes given by hand have no quality and are always searched); with ``dihedral`` the query's eight
        rotation/mirror variants are searched and the closest is reported. Exact signals match by value.
        """
        if not 0 <= max_distance <= 256:
            raise MatchError(f"--max-distance must be between 0 and 256, got {max_distance}")
        with self._lock:
            self.refresh()
            names = list(hashsets) if hashsets else sorted(self._known)
            unknown = [n for n in names if n not in self._known]
            if unknown:
                raise MatchError(f"no hash set named {unknown[0]!r} (see `netsafe hashset list`)")
            indexes = [self._index(n) for n in names]
        found: list[list[tuple[_SetIndex, int, str, int, str | None]]] = []
        for q in queries:
            hits: list[tuple[_SetIndex, int, str, int, str | None]] = []
            if q.error is None:
                for index in indexes:
                    hits.extend(self._search(index, q, max_distance, min_quality, dihedral))
            found.append(hits)
        details = self._details({h[1] for hits in found for h in hits})
        out: list[list[Match]] = []
        for hits in found:
            matches = []
            for index, entry_id, signal, distance, transform in hits:
                category, source_id = details.get(entry_id, (None, None))
                matches.append(
                    Match(
                        index.name,
                        entry_id,
                        signal,
                        distance,
                        category,
                        _label(index.profile, category),
                        source_id,
                        transform,
                    )
                )
            matches.sort(key=lambda m: (m.distance, m.hashset, m.entry_id, m.signal))
            out.append(matches)
        return out

    @staticmethod
    def _search(
        index: _SetIndex, q: Query, max_distance: int, min_quality: int, dihedral: bool
    ) -> list[tuple[_SetIndex, int, str, int, str | None]]:
        hits: list[tuple[_SetIndex, int, str, int, str | None]] = []
        for signal in EXACT_SIGNALS:
            value = q.signals.get(signal)
            if value is None:
                continue
            key = photodna_bytes(value).hex() if signal == "photodna" else value
            hits.extend((index, int(i), signal, 0, None) for i in index.exact[signal].lookup(key))
        pdq = q.signals.get("pdq")
        usable = q.pdq_quality is None or q.pdq_quality >= min_quality
        if pdq is not None and usable and len(index.pdq):
            if dihedral and q.pdq_dihedral:
                res = search_dihedral(index.pdq, q.pdq_dihedral, max_distance)
                hits.extend(
                    (
                        index,
                        int(i),
                        "pdq",
                        int(d),
                        DIHEDRAL_NAMES[int(v)] if int(v) < len(DIHEDRAL_NAMES) else str(v),
                    )
                    for i, d, v in zip(res.ids, res.distances, res.variants, strict=True)
                )
            else:
                ids, dists = index.pdq.search(pdq, max_distance)
                hits.extend((index, int(i), "pdq", int(d), None) for i, d in zip(ids, dists, strict=True))
        return hits

    def _details(self, ids: set[int]) -> dict[int, tuple[str | None, str | None]]:
        if not ids:
            return {}
        with self.db.session() as session:
            return repo.categories(session, ids)


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
