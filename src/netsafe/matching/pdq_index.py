"""PDQ Hamming-distance index: every stored hash within a threshold of a query, with its distance.

The index answers exactly what a brute-force scan answers (no approximation, no missed matches):

* Rows live in **segments**, each a multi-index hash (MIH) over eleven 20- to 24-bit chunks of the
  hash, plus a small **delta** of recent additions that is scanned linearly. Adding rows makes them
  matchable at once; when the delta fills up it becomes a segment and segments of similar size are
  merged, so the number of segments stays logarithmic and no add ever rebuilds the whole index.
* Removing rows marks them dead (a per-row flag) and they stop matching at once; merges drop dead rows.
* Each segment is searched by MIH or by a linear scan, whichever a simple cost model says is cheaper for
  that threshold and segment size; both are exact.
* ``save``/``load`` write and read plain ``.npy`` arrays plus a JSON manifest (never pickle); ``load``
  memory-maps the large arrays so a 10M-row index opens in well under a second.

See docs/matching.md for the algorithm and its guarantees.
"""

from __future__ import annotations

import functools
import json
import math
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from netsafe.matching import _kernels
from netsafe.signals.codecs import HashFormatError, hex_to_words

DEFAULT_MAX_DISTANCE = 31
MAX_BITS = 256
# The chunks the 256 bits are cut into, one hash table each (see docs/matching.md, "How it works"). At the
# default threshold 31 the probe radii come out as 1 for the 20-bit chunk and 2 for the others: ~2,100
# bucket visits a query, against ~10,800 for eight 32-bit chunks at radius 3. The 20-bit chunk comes first
# because its candidates are whole buckets, and rows are stored in table 0's order.
CHUNK_WIDTHS = (20, 24, 24, 24, 24, 24, 24, 23, 23, 23, 23)
# Past this many rows the delta is frozen into a segment; a scan of this many rows costs ~20 µs.
DELTA_ROWS = 16_384
MANIFEST = "manifest.json"
FORMAT_NAME = "netsafe-pdq-index"
FORMAT_VERSION = 2

IdArray = npt.NDArray[np.int64]
WordArray = npt.NDArray[np.uint64]
SearchResult = tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]
SearchMode = Literal["auto", "mih", "scan"]
EntryArray = npt.NDArray[np.uint32] | npt.NDArray[np.uint64]

# Cost model, in units of one row of a linear scan (~2 ns): a bucket visit is a cache miss or two plus a
# short walk, a candidate a random read of its full hash. Their ratio is as measured at 10M rows (~30 and
# ~40 ns); their size is set where the choice between MIH and a scan matters, at small segments that sit
# in the caches (measured at threshold 31: a scan is faster at 4k rows, MIH from 16k).
_VISIT_COST = 6.0
_CANDIDATE_COST = 8.0


class IndexFormatError(ValueError):
    """A saved index directory that is missing, corrupt or of another format."""


@functools.cache
def _masks(high_bits: int) -> tuple[npt.NDArray[np.uint32], npt.NDArray[np.int64]]:
    """All ``high_bits``-bit masks ordered by popcount, and how many have popcount <= k for each k."""
    values = np.arange(1 << high_bits, dtype=np.uint32)
    pops = np.bitwise_count(values).astype(np.int64)
    order = np.argsort(pops, kind="stable")
    ends = np.cumsum(np.bincount(pops, minlength=high_bits + 1)).astype(np.int64)
    return values[order], ends


def high_bits_for(rows: int) -> int:
    """Bucket on enough high bits of each chunk that a bucket holds ~8 rows (between 16 and 20 bits).

    Small buckets keep a bucket's entries in one or two cache lines (measured with 32-bit chunks at 10M
    rows: 20 bits beat 16 and 18).
    """
    return min(20, max(16, round(math.log2(max(rows, 1))) - 3))


def check_chunk_widths(widths: Sequence[int]) -> tuple[int, ...]:
    """Chunk widths as a tuple, or ValueError unless they are 16-32 bits each and cover the 256 bits."""
    out = tuple(int(w) for w in widths)
    if sum(out) != MAX_BITS or not out or any(not 16 <= w <= 32 for w in out):
        raise ValueError(f"chunk widths must be 16-32 bits each and sum to {MAX_BITS}, got {list(out)}")
    return out


def table_radii(
    max_distance: int, widths: Sequence[int] = CHUNK_WIDTHS, high_bits: int = 20, rows: int = 10_000_000
) -> npt.NDArray[np.int64]:
    """Per-table probe radii r_t with sum(r_t + 1) = max_distance + 1 (-1 means: skip the table).

    Any such radii find every match (pigeonhole), so they are chosen for speed: one unit at a time goes to
    the table where it adds the least expected cost (bucket visits plus candidates, for a segment of
    ``rows`` random rows). The costs grow with the radius, so this greedy choice is the cheapest split.
    """
    return _plan(max_distance, check_chunk_widths(widths), high_bits, _size_class(rows))[1]


def _size_class(rows: int) -> int:
    """Segment sizes rounded to powers of two, so plans can be cached."""
    return 1 << max(rows - 1, 1).bit_length()


@functools.cache
def _plan(
    max_distance: int, widths: tuple[int, ...], high_bits: int, rows: int
) -> tuple[bool, npt.NDArray[np.int64]]:
    """(whether MIH beats a linear scan, the radii) for a segment of about ``rows`` rows.

    Cached per threshold, layout and size class, and read-only: a single query is ~200 µs at 10M rows, so
    per-call setup shows.
    """
    ends = _masks(high_bits)[1]
    per_bucket = rows / float(1 << high_bits)

    def cost(t: int, r: int) -> float:
        if r < 0:
            return 0.0
        w = widths[t]
        visits = float(ends[min(r, high_bits)])
        candidates = rows * sum(math.comb(w, k) for k in range(min(r, w) + 1)) / float(1 << w)
        return visits * (_VISIT_COST + per_bucket / 2) + candidates * _CANDIDATE_COST

    radii = [-1] * len(widths)
    for _ in range(max_distance + 1):
        # A table at radius >= its width already returns every row; stop growing it.
        open_tables = [t for t in range(len(widths)) if radii[t] < widths[t]]
        best = min(open_tables, key=lambda t: (cost(t, radii[t] + 1) - cost(t, radii[t]), t))
        radii[best] += 1
    total = sum(cost(t, r) for t, r in enumerate(radii))
    out = np.array(radii, dtype=np.int64)
    out.flags.writeable = False
    return total < rows, out


def as_words(hashes: Sequence[str] | npt.ArrayLike) -> WordArray:
    """PDQ hashes as an (n, 4) C-contiguous uint64 array, from hex strings or words."""
    if isinstance(hashes, (list, tuple)) and (not hashes or isinstance(hashes[0], str)):
        return hex_to_words([str(h) for h in hashes])
    words = np.asarray(hashes)
    if words.dtype != np.uint64 or words.ndim != 2 or words.shape[1] != 4:
        raise HashFormatError(f"PDQ words must be an (n, 4) uint64 array, got {words.dtype} {words.shape}")
    return np.ascontiguousarray(words)


def _query_words(query: str | npt.ArrayLike) -> WordArray:
    if isinstance(query, str):
        single: WordArray = hex_to_words([query])[0]
        return single
    words = np.ascontiguousarray(np.asarray(query))
    if words.dtype != np.uint64 or words.shape != (4,):
        raise HashFormatError(f"a PDQ query must be 64 hex characters or 4 uint64 words, got {words.shape}")
    return words


def _check_distance(max_distance: int) -> int:
    value = int(max_distance)
    if not 0 <= value <= MAX_BITS:
        raise ValueError(f"max_distance must be between 0 and {MAX_BITS}, got {max_distance}")
    return value


def _narrow(ids: IdArray) -> npt.NDArray[np.int32] | IdArray:
    info = np.iinfo(np.int32)
    if len(ids) and info.min <= int(ids.min()) and int(ids.max()) <= info.max:
        return ids.astype(np.int32)
    return ids


def _entry_dtype(rows: int, widths: Sequence[int], high_bits: int) -> type[np.unsignedinteger[Any]]:
    """uint32 table entries when every (row, low bits) pair fits 32 bits, else uint64."""
    low_bits = max(widths) - high_bits
    return np.uint32 if max(rows - 1, 0) < 1 << (32 - low_bits) else np.uint64


@dataclass
class _Segment:
    ids: npt.NDArray[np.int32] | IdArray  # int32 when every id fits: 4 bytes a row saved
    hashes: WordArray
    alive: npt.NDArray[np.bool_]
    widths: tuple[int, ...]
    high_bits: int
    offsets: npt.NDArray[np.uint32]
    entries: EntryArray
    starts: npt.NDArray[np.int64]
    width_array: npt.NDArray[np.int64]

    @classmethod
    def make(
        cls,
        ids: npt.NDArray[np.int32] | IdArray,
        hashes: WordArray,
        alive: npt.NDArray[np.bool_],
        widths: tuple[int, ...],
        high_bits: int,
        offsets: npt.NDArray[np.uint32],
        entries: EntryArray,
    ) -> _Segment:
        width_array = np.array(widths, dtype=np.int64)
        starts = np.concatenate([[0], np.cumsum(width_array)[:-1]]).astype(np.int64)
        return cls(ids, hashes, alive, widths, high_bits, offsets, entries, starts, width_array)

    @classmethod
    def build(
        cls, ids: IdArray, hashes: WordArray, widths: tuple[int, ...], high_bits: int | None = None
    ) -> _Segment:
        n = len(ids)
        high_bits = min(high_bits_for(n) if high_bits is None else high_bits, *widths)
        m = len(widths)
        offsets = np.empty((m, (1 << high_bits) + 1), dtype=np.uint32)
        entries = np.empty((m, n), dtype=_entry_dtype(n, widths, high_bits))
        starts = np.concatenate([[0], np.cumsum(widths)[:-1]]).astype(np.int64)
        _kernels.build_table(_kernels.chunk_keys(hashes, starts[0], widths[0]), widths[0], high_bits,
                             offsets[0], entries[0])  # fmt: skip
        # Rows go in table 0's order, so table 0's candidates (whole runs of a bucket) are read in sequence.
        low_bits = np.uint64(widths[0] - high_bits)
        order = (entries[0] >> low_bits).astype(np.int64)
        entries[0] = (np.arange(n, dtype=np.uint64) << low_bits | entries[0] & ((1 << low_bits) - 1)).astype(
            entries.dtype
        )
        stored_ids, hashes = _narrow(ids[order]), np.ascontiguousarray(hashes[order])
        for t in range(1, m):
            keys = _kernels.chunk_keys(hashes, starts[t], widths[t])
            _kernels.build_table(keys, widths[t], high_bits, offsets[t], entries[t])
        return cls.make(stored_ids, hashes, np.ones(n, dtype=np.bool_), widths, high_bits, offsets, entries)

    @property
    def rows(self) -> int:
        return len(self.ids)

    def live(self) -> tuple[IdArray, WordArray]:
        return self.ids[self.alive].astype(np.int64), self.hashes[self.alive]

    def search(self, q: WordArray, max_distance: int, mode: SearchMode) -> SearchResult:
        use_mih, radii = _plan(max_distance, self.widths, self.high_bits, _size_class(self.rows))
        use_mih = mode == "mih" or (mode == "auto" and use_mih)
        if use_mih:
            masks, ends = _masks(self.high_bits)
        capacity = 256
        while True:
            rows = np.empty(capacity, dtype=np.int64)
            dists = np.empty(capacity, dtype=np.int64)
            if use_mih:
                count = _kernels.mih_search(
                    q, max_distance, radii, self.starts, self.width_array, self.high_bits, masks, ends,
                    self.hashes, self.alive, self.offsets, self.entries, rows, dists,
                )  # fmt: skip
            else:
                count = _kernels.brute_search(q, max_distance, self.hashes, self.alive, rows, dists)
            if count <= capacity:
                return self.ids[rows[:count]].astype(np.int64), dists[:count]
            capacity = count


class PDQIndex:
    """Exact PDQ Hamming index mapping hashes to int64 ids (an id may be added with several hashes).

    ``delta_rows`` (how many recent additions are scanned linearly before they become a segment),
    ``mode`` (``"auto"`` picks MIH or a linear scan per segment; ``"mih"``/``"scan"`` force one),
    ``high_bits`` (bucket width of new segments, 16-20; by default from the segment's size, and never more
    than the narrowest chunk) and ``chunk_widths`` (how new segments cut the 256 bits into tables) exist for
    tests and benchmarks; results are the same whatever they are.
    """

    def __init__(
        self,
        *,
        delta_rows: int = DELTA_ROWS,
        mode: SearchMode = "auto",
        high_bits: int | None = None,
        chunk_widths: Sequence[int] = CHUNK_WIDTHS,
    ) -> None:
        if delta_rows < 1:
            raise ValueError("delta_rows must be at least 1")
        if high_bits is not None and not 16 <= high_bits <= 20:
            raise ValueError("high_bits must be between 16 and 20")
        self._high_bits = high_bits
        self._widths = check_chunk_widths(chunk_widths)
        if mode not in ("auto", "mih", "scan"):
            raise ValueError(f"unknown search mode {mode!r}")
        self.mode: SearchMode = mode
        self._delta_max = delta_rows
        self._segments: list[_Segment] = []
        self._delta_ids = np.empty(delta_rows, dtype=np.int64)
        self._delta_hashes = np.empty((delta_rows, 4), dtype=np.uint64)
        self._delta_alive = np.zeros(delta_rows, dtype=np.bool_)
        self._delta_rows = 0
        self._live: int | None = 0  # rows that match; None: count again (matchers ask on every query)

    # -- size ---------------------------------------------------------------------------------------------

    def __len__(self) -> int:
        if self._live is None:
            live = sum(int(np.count_nonzero(s.alive)) for s in self._segments)
            self._live = live + int(np.count_nonzero(self._delta_alive[: self._delta_rows]))
        return self._live

    @property
    def segment_count(self) -> int:
        return len(self._segments)

    def nbytes(self) -> int:
        """Bytes held by the index's arrays (what it costs in memory once paged in)."""
        total = self._delta_ids.nbytes + self._delta_hashes.nbytes + self._delta_alive.nbytes
        for s in self._segments:
            total += s.ids.nbytes + s.hashes.nbytes + s.alive.nbytes + s.offsets.nbytes + s.entries.nbytes
        return total

    # -- changes ------------------------------------------------------------------------------------------

    def add(self, ids: npt.ArrayLike, hashes: Sequence[str] | npt.ArrayLike) -> None:
        """Add rows; they are matchable as soon as this returns."""
        self._live = None
        id_array = np.ascontiguousarray(np.asarray(ids, dtype=np.int64).reshape(-1))
        words = as_words(hashes)
        if len(id_array) != len(words):
            raise ValueError(f"add: {len(id_array)} ids but {len(words)} hashes")
        if len(id_array) == 0:
            return
        if len(id_array) >= self._delta_max:
            self._add_segment(id_array.copy(), words.copy())
            return
        start = 0
        while start < len(id_array):
            room = self._delta_max - self._delta_rows
            take = min(room, len(id_array) - start)
            end = self._delta_rows + take
            self._delta_ids[self._delta_rows : end] = id_array[start : start + take]
            self._delta_hashes[self._delta_rows : end] = words[start : start + take]
            self._delta_alive[self._delta_rows : end] = True
            self._delta_rows = end
            start += take
            if self._delta_rows == self._delta_max:
                self._flush_delta()

    def remove(self, ids: npt.ArrayLike) -> int:
        """Remove every row carrying one of ``ids``; returns how many rows stopped matching."""
        self._live = None
        targets = np.unique(np.asarray(ids, dtype=np.int64).reshape(-1))
        if len(targets) == 0:
            return 0
        removed = 0
        for s in self._segments:
            hit = np.isin(s.ids, targets) & s.alive
            removed += int(np.count_nonzero(hit))
            s.alive[hit] = False
        delta = self._delta_alive[: self._delta_rows]
        hit = np.isin(self._delta_ids[: self._delta_rows], targets) & delta
        removed += int(np.count_nonzero(hit))
        delta[hit] = False
        return removed

    def compact(self) -> None:
        """Merge everything (delta included) into one segment without dead rows: the fastest layout."""
        self._live = None
        if self._delta_rows:
            self._flush_delta()
        if len(self._segments) > 1 or any(not s.alive.all() for s in self._segments):
            self._segments = [self._merge(self._segments)] if len(self) else []

    def _flush_delta(self) -> None:
        n = self._delta_rows
        keep = self._delta_alive[:n]
        ids = self._delta_ids[:n][keep].copy()
        words = self._delta_hashes[:n][keep].copy()
        self._delta_rows = 0
        self._delta_alive[:] = False
        if len(ids):
            self._add_segment(ids, words)

    def _add_segment(self, ids: IdArray, words: WordArray) -> None:
        self._segments.append(_Segment.build(ids, words, self._widths, self._high_bits))
        # Binary-counter merging: a segment is merged into its elder once it is at least half its size,
        # so segment sizes roughly double down the list and there are O(log n) of them.
        while len(self._segments) >= 2:
            last, before = self._segments[-1], self._segments[-2]
            if 2 * int(np.count_nonzero(last.alive)) < int(np.count_nonzero(before.alive)):
                break
            self._segments[-2:] = [self._merge([before, last])]

    def _merge(self, segments: Iterable[_Segment]) -> _Segment:
        parts = [s.live() for s in segments]
        ids = np.concatenate([p[0] for p in parts])
        words = np.ascontiguousarray(np.concatenate([p[1] for p in parts]))
        return _Segment.build(ids, words, self._widths, self._high_bits)

    # -- queries ------------------------------------------------------------------------------------------

    def search(self, query: str | npt.ArrayLike, max_distance: int = DEFAULT_MAX_DISTANCE) -> SearchResult:
        """Every row within ``max_distance`` bits of ``query``: (ids, distances), by distance then id."""
        return self._search_words(_query_words(query), _check_distance(max_distance))

    def search_many(
        self,
        queries: Sequence[str] | npt.ArrayLike,
        max_distance: int | Sequence[int] = DEFAULT_MAX_DISTANCE,
    ) -> list[SearchResult]:
        """:meth:`search` for each query; ``max_distance`` is one threshold or one per query."""
        words = as_words(queries)
        if isinstance(max_distance, (int, np.integer)):
            limits = [_check_distance(int(max_distance))] * len(words)
        else:
            limits = [_check_distance(int(d)) for d in max_distance]
            if len(limits) != len(words):
                raise ValueError(f"search_many: {len(words)} queries but {len(limits)} thresholds")
        return [self._search_words(words[i], limits[i]) for i in range(len(words))]

    def _search_words(self, q: WordArray, max_distance: int) -> SearchResult:
        found_ids: list[IdArray] = []
        found_dists: list[npt.NDArray[np.int64]] = []
        for s in self._segments:
            ids, dists = s.search(q, max_distance, self.mode)
            if len(ids):
                found_ids.append(ids)
                found_dists.append(dists)
        if self._delta_rows:
            ids, dists = self._search_delta(q, max_distance)
            if len(ids):
                found_ids.append(ids)
                found_dists.append(dists)
        if not found_ids:
            return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
        ids = np.concatenate(found_ids) if len(found_ids) > 1 else found_ids[0]
        dists = np.concatenate(found_dists) if len(found_dists) > 1 else found_dists[0]
        if len(ids) > 1:
            order = np.lexsort((ids, dists))
            return ids[order], dists[order]
        return ids, dists

    def _search_delta(self, q: WordArray, max_distance: int) -> SearchResult:
        n = self._delta_rows
        capacity = 256
        while True:
            rows = np.empty(capacity, dtype=np.int64)
            dists = np.empty(capacity, dtype=np.int64)
            count = _kernels.brute_search(
                q, max_distance, self._delta_hashes[:n], self._delta_alive[:n], rows, dists
            )
            if count <= capacity:
                return self._delta_ids[rows[:count]], dists[:count]
            capacity = count

    # -- persistence --------------------------------------------------------------------------------------

    def save(self, directory: str | os.PathLike[str]) -> None:
        """Write .npy arrays and a manifest; the previous files stay valid until the manifest is replaced."""
        root = Path(directory)
        root.mkdir(parents=True, exist_ok=True)
        if self._delta_rows:
            self._flush_delta()
        old = _read_manifest(root) if (root / MANIFEST).exists() else None
        generation = (int(old["generation"]) + 1) if old else 1
        names = []
        for k, s in enumerate(self._segments):
            name = f"g{generation}-s{k}"
            for field in _FIELDS:
                np.save(root / f"{name}.{field}.npy", getattr(s, field), allow_pickle=False)
            names.append(
                {"name": name, "rows": s.rows, "high_bits": s.high_bits, "chunk_widths": list(s.widths)}
            )
        manifest = {"format": FORMAT_NAME, "version": FORMAT_VERSION, "generation": generation,
                    "segments": names}  # fmt: skip
        tmp = root / (MANIFEST + ".tmp")
        tmp.write_text(json.dumps(manifest, indent=1), encoding="utf-8")
        os.replace(tmp, root / MANIFEST)
        keep = {f"{n['name']}.{field}.npy" for n in names for field in _FIELDS}
        for path in root.glob("g*-s*.*.npy"):
            if path.name not in keep and _SEGMENT_FILE.fullmatch(path.name):
                path.unlink()

    @classmethod
    def load(
        cls,
        directory: str | os.PathLike[str],
        mmap: bool = True,
        *,
        delta_rows: int = DELTA_ROWS,
        mode: SearchMode = "auto",
    ) -> PDQIndex:
        """Open a saved index; large arrays are memory-mapped (copy-on-write) unless ``mmap`` is False."""
        root = Path(directory)
        manifest = _read_manifest(root)
        index = cls(delta_rows=delta_rows, mode=mode)
        for entry in manifest["segments"]:
            arrays: dict[str, Any] = {}
            for field in _FIELDS:
                path = root / f"{entry['name']}.{field}.npy"
                # Copy-on-write maps: pages load on first touch and any write stays private, and the arrays
                # are writable like in-memory ones, so the compiled kernels need no second signature. The
                # alive flags are written by remove(), so they are read into memory.
                mmap_mode: Literal["c"] | None = "c" if mmap and field != "alive" else None
                try:
                    # As plain ndarrays over the maps: numpy's memmap subclass costs a Python hook on every
                    # slice and view, several per query.
                    arrays[field] = np.asarray(np.load(path, mmap_mode=mmap_mode, allow_pickle=False))
                except (OSError, ValueError) as err:
                    raise IndexFormatError(f"{path}: cannot read index array: {err}") from None
            index._segments.append(_validated(root, entry, arrays))
        index._live = None
        return index


_FIELDS = ("ids", "hashes", "alive", "offsets", "entries")
_SEGMENT_FILE = re.compile(r"g\d+-s\d+\.[a-z]+\.npy")


def _read_manifest(root: Path) -> dict[str, Any]:
    path = root / MANIFEST
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise IndexFormatError(f"{path}: no PDQ index here (manifest missing)") from None
    except (OSError, ValueError) as err:
        raise IndexFormatError(f"{path}: unreadable manifest: {err}") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT_NAME:
        raise IndexFormatError(f"{path}: not a {FORMAT_NAME} manifest")
    version = manifest.get("version")
    if version != FORMAT_VERSION:
        older = isinstance(version, int) and version < FORMAT_VERSION
        raise IndexFormatError(
            f"{path}: index format version {version!r} is "
            + ("from an older netsafe" if older else "not supported by this netsafe")
            + f" (this one reads version {FORMAT_VERSION}): rebuild the index from its hashes"
        )
    segments = manifest.get("segments")
    if not isinstance(manifest.get("generation"), int) or not isinstance(segments, list):
        raise IndexFormatError(f"{path}: manifest lacks 'generation' or 'segments'")
    for entry in segments:
        if not (
            isinstance(entry, dict)
            and isinstance(entry.get("name"), str)
            and re.fullmatch(r"g\d+-s\d+", entry["name"])
            and isinstance(entry.get("rows"), int)
            and entry.get("high_bits") in range(16, 21)
            and isinstance(entry.get("chunk_widths"), list)
            and all(isinstance(w, int) for w in entry["chunk_widths"])
        ):
            raise IndexFormatError(f"{path}: bad segment entry {entry!r}")
        try:
            widths = check_chunk_widths(entry["chunk_widths"])
        except ValueError as err:
            raise IndexFormatError(f"{path}: bad segment entry {entry!r}: {err}") from None
        if entry["high_bits"] > min(widths):
            raise IndexFormatError(f"{path}: bad segment entry {entry!r}")
    return manifest


def _validated(root: Path, entry: dict[str, Any], a: dict[str, Any]) -> _Segment:
    """Check shapes, dtypes and the invariants the compiled kernels rely on (they do no bounds checks)."""
    n = int(entry["rows"])
    high_bits = int(entry["high_bits"])
    widths = tuple(int(w) for w in entry["chunk_widths"])
    m = len(widths)
    expect = {
        "ids": (np.int64, (n,)),
        "hashes": (np.uint64, (n, 4)),
        "alive": (np.bool_, (n,)),
        "offsets": (np.uint32, (m, (1 << high_bits) + 1)),
        "entries": (_entry_dtype(n, widths, high_bits), (m, n)),
    }
    where = root / f"{entry['name']}.*.npy"
    for field, (dtype, shape) in expect.items():
        arr = a[field]
        wanted = np.int32 if field == "ids" and arr.dtype == np.int32 else dtype
        if arr.dtype != wanted or arr.shape != shape or not arr.flags.c_contiguous:
            raise IndexFormatError(
                f"{where}: field {field!r} is {arr.dtype}{arr.shape}, expected {np.dtype(dtype)}{shape}"
            )
    offsets = a["offsets"]
    if n and (
        np.any(offsets[:, 0] != 0) or np.any(offsets[:, -1] != n) or np.any(offsets[:, 1:] < offsets[:, :-1])
    ):
        raise IndexFormatError(f"{where}: bucket offsets are corrupt (rebuild the index)")
    entries = a["entries"]
    for t, width in enumerate(widths):
        if n and int(entries[t].max()) >> (width - high_bits) >= n:
            raise IndexFormatError(f"{where}: row positions out of range (rebuild the index)")
    return _Segment.make(a["ids"], a["hashes"], a["alive"], widths, high_bits, offsets, entries)
