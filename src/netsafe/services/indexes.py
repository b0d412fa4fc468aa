"""A hash set's persisted indexes: built from the store, saved as plain arrays next to the database, and
brought up to date when the set's version changes.

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
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from platformdirs import user_cache_path

from netsafe.hashsets.profiles import GradingProfile, ProfileError, load_profile
from netsafe.matching.exact import ExactIndex
from netsafe.matching.pdq_index import IndexFormatError, PDQIndex
from netsafe.signals import types
from netsafe.signals.codecs import HEX_LENGTHS
from netsafe.store import repositories as repo
from netsafe.store.db import Database, StoreError, sqlite_path

ENV_INDEX_DIR = "NETSAFE_INDEX_DIR"
EXACT_SIGNALS = types.EXACT_SIGNALS
# Store column holding each exact signal's canonical (hex) form.
_COLUMN = {name: str(types.REGISTRY[name].store_column) for name in EXACT_SIGNALS}
_SIGNAL_OF_COLUMN = {column: name for name, column in _COLUMN.items()}
# Hex length of each fixed-width column an index reads (PhotoDNA's key included).
_HEX_WIDTH = {
    str(t.store_column): HEX_LENGTHS[name]
    for name, t in types.REGISTRY.items()
    if t.store_column and name in HEX_LENGTHS
}
_VERSION_DIR = re.compile(r"v(\d+)")
_SET_DIR = re.compile(r"(\d+)-\d+")
COMPACT_SHARE = 20  # merge the PDQ index's segments when a catch-up added >= 1/20 of its rows


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
class SetRef:
    set_id: int
    key: str  # names the set's index directory: id plus creation time, unique even across recreated databases
    version: int
    profile: str


def set_key(set_id: int, created: datetime) -> str:
    stamp = created if created.tzinfo else created.replace(tzinfo=UTC)
    return f"{set_id}-{int(stamp.timestamp() * 1_000_000)}"


@dataclass(slots=True)
class SetIndex:
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


def sweep(index_dir: Path, live: set[str], max_id: int) -> None:
    """Remove index directories of deleted sets, and of sets that only share an id with a live one (a
    database recreated beside an old index directory). Ids above ``max_id`` may be sets another process
    created since we looked: left alone."""
    if not index_dir.is_dir():
        return
    for child in index_dir.iterdir():
        m = _SET_DIR.fullmatch(child.name)
        if m and child.name not in live and int(m.group(1)) <= max_id:
            shutil.rmtree(child, ignore_errors=True)


def load_newest(index_dir: Path, ref: SetRef) -> SetIndex | None:
    """The newest intact saved index of the set not beyond the store's version (None if there is none)."""
    root = index_dir / ref.key
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
        return SetIndex(ref.set_id, ref.key, "", v, grading_profile(ref.profile), pdq, exact, frames)
    return None


def catch_up(db: Database, index: SetIndex, version: int, rest: float = 0.0) -> None:
    """Apply the entries removed, added or replaced since ``index.version`` (not a full rebuild).

    With ``rest``, sleeps that many times as long as each page took after it: a load in the background
    leaves the interpreter to the process's other threads (a web worker's requests) most of the time."""
    columns = ("pdq", *(_COLUMN[s] for s in EXACT_SIGNALS), "vpdq")
    added = 0
    started = time.monotonic()
    with db.session() as session:
        if index.version > 0:
            # Removals first: the pages below re-add whatever is in the table now, so an id SQLite
            # reused after a removal comes back with its new values.
            gone = np.asarray(repo.removed_since(session, index.set_id, index.version), dtype=np.int64)
            if len(gone):
                index.pdq.remove(gone)
                index.vpdq.remove(gone)
                for exact in index.exact.values():
                    exact.remove(gone)
        bulk: dict[str, tuple[list[np.ndarray], list[np.ndarray]]] = {}
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
                    continue
                raw = _packed(values, name)  # the store's canonical hex, converted in one call
                if name == "pdq":
                    index.pdq.add(these, values if raw is None else raw.view("<u8").reshape(-1, 4))
                    added += len(these)
                elif raw is None:
                    index.exact[_SIGNAL_OF_COLUMN[name]].add(these, values)
                else:
                    width = index.exact[_SIGNAL_OF_COLUMN[name]].width
                    got = bulk.setdefault(name, ([], []))
                    got[0].append(np.asarray(these, dtype=np.int64))
                    got[1].append(raw.view(f"S{width}").reshape(-1))
            if rest > 0:
                time.sleep(rest * (time.monotonic() - started))
                started = time.monotonic()
    for name, (id_parts, key_parts) in bulk.items():
        index.exact[_SIGNAL_OF_COLUMN[name]].add_keys(np.concatenate(id_parts), np.concatenate(key_parts))
    # Pages arrive as separate segments and every segment costs a full probe per query (three segments
    # of 1M rows searched ~3x slower than one). The version published here is what every worker loads,
    # so one merge pays off; small additions stay in the index's delta until they add up.
    if added * COMPACT_SHARE >= len(index.pdq):
        index.pdq.compact()
    index.version = version


def _packed(values: list[str], column: str) -> np.ndarray | None:
    """``values`` (hex of one fixed width) as one uint8 array of their bytes, or None when any is not the
    canonical form the store writes (then the index's own per-value parsing reports it). Per value, the
    parsing was most of a cold build (24 s of CPU for 1M entries, profiled)."""
    width = _HEX_WIDTH.get(column)
    if width is None or any(len(v) != width for v in values):
        return None
    joined = "".join(values)
    if not joined.islower() and not joined.isdigit():
        return None
    try:
        return np.frombuffer(bytes.fromhex(joined), dtype=np.uint8)
    except ValueError:
        return None


def publish(index_dir: Path, index: SetIndex) -> None:
    """Save ``index`` as its version's directory with an atomic rename, then drop the older versions."""
    root = index_dir / index.key
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


def grading_profile(name: str) -> GradingProfile:
    try:
        return load_profile(name)
    except ProfileError as err:
        raise StoreError(str(err)) from None


def index_key(db: Database, name: str) -> str | None:
    """The index-directory key of hash set ``name`` (None if there is no such set)."""
    with db.session() as session:
        row = repo.find_set(session, name)
        return None if row is None else set_key(row.id, row.created)


def drop_index(db: Database, key: str, index_dir: Path | None = None) -> None:
    """Remove a deleted set's persisted index (other processes drop theirs on their next refresh)."""
    if _SET_DIR.fullmatch(key):
        shutil.rmtree((index_dir or default_index_dir(db)) / key, ignore_errors=True)
