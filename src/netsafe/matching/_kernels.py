"""Compiled inner loops of the PDQ index (numba, compiled on first use and cached on disk).

numpy alone cannot walk thousands of small buckets per query without paying interpreter overhead on every
bucket, so the probe-and-verify loop lives here. Everything is plain arrays in, plain arrays out; the
Python class in :mod:`netsafe.matching.pdq_index` owns the layout and its invariants.

Layout of one segment (n rows, 8 tables, one per 32-bit chunk of the 256-bit hash):

* ``hashes`` (n, 4) uint64 and ``chunks`` = the same bytes viewed as (n, 8) uint32; chunk ``t`` of a
  hash is ``chunks[:, t]``.
* ``offsets`` (8, 65537) int64: for table ``t``, the rows whose chunk has high 16 bits ``h`` sit at
  table positions ``offsets[t, h]:offsets[t, h + 1]``.
* ``low`` (8, n) uint16: low 16 bits of the chunk at each table position, ascending within a bucket.
* ``pos`` (8, n) uint32: the row at each table position.
"""

from __future__ import annotations

from typing import Any

import numba
import numpy as np
from llvmlite import ir  # type: ignore[import-untyped]
from numba import extending, types

# numba's own annotations do not describe jit-compiled call signatures; treat its decorators as untyped.
njit: Any = numba.njit
intrinsic: Any = extending.intrinsic

N_TABLES = 8
BUCKETS = 1 << 16


@intrinsic  # type: ignore[untyped-decorator]
def _popcount(typingctx: Any, x: Any) -> Any:
    """LLVM's ctpop: one POPCNT instruction on the host CPU numba compiles for."""
    if not isinstance(x, types.Integer):
        return None
    sig = x(x)

    def codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:
        value: ir.Value = args[0]
        return builder.ctpop(value)

    return sig, codegen


@njit(cache=True, nogil=True)  # type: ignore[untyped-decorator]
def _distance(q: Any, hashes: Any, row: int) -> int:
    return int(
        _popcount(q[0] ^ hashes[row, 0])
        + _popcount(q[1] ^ hashes[row, 1])
        + _popcount(q[2] ^ hashes[row, 2])
        + _popcount(q[3] ^ hashes[row, 3])
    )


@njit(cache=True, nogil=True)  # type: ignore[untyped-decorator]
def _grow(rows: Any, dists: Any, count: int) -> Any:
    new_rows = np.empty(rows.shape[0] * 2, dtype=np.int64)
    new_dists = np.empty(rows.shape[0] * 2, dtype=np.int64)
    new_rows[:count] = rows[:count]
    new_dists[:count] = dists[:count]
    return new_rows, new_dists


@njit(cache=True, nogil=True)  # type: ignore[untyped-decorator]
def brute_search(q: Any, max_distance: int, hashes: Any, alive: Any) -> Any:
    """Every live row within ``max_distance`` of ``q`` by a linear scan: (rows, distances)."""
    rows = np.empty(64, dtype=np.int64)
    dists = np.empty(64, dtype=np.int64)
    count = 0
    for row in range(hashes.shape[0]):
        d = _distance(q, hashes, row)
        if d <= max_distance and alive[row]:
            if count == rows.shape[0]:
                rows, dists = _grow(rows, dists, count)
            rows[count] = row
            dists[count] = d
            count += 1
    return rows[:count], dists[:count]


@njit(cache=True, nogil=True)  # type: ignore[untyped-decorator]
def mih_search(
    q: Any,
    max_distance: int,
    radii: Any,
    masks: Any,
    mask_ends: Any,
    hashes: Any,
    chunks: Any,
    alive: Any,
    offsets: Any,
    low: Any,
    pos: Any,
) -> Any:
    """Multi-index hashing search of one segment: (rows, distances), each live row within range once.

    Pigeonhole: with ``sum(radii + 1) > max_distance`` some chunk ``t`` of every match differs from the
    query's chunk in at most ``radii[t]`` bits. Table ``t`` is probed at every bucket whose high 16 bits are
    within ``radii[t]`` of the query's, keeping entries whose low 16 bits fit the remaining budget. A row
    found by table ``t`` is reported only if no earlier table could have found it, so nothing repeats.
    ``masks`` holds all 16-bit masks ordered by popcount; ``mask_ends[k]`` counts those with popcount <= k.
    """
    qc = q.view(np.uint32)
    rows = np.empty(64, dtype=np.int64)
    dists = np.empty(64, dtype=np.int64)
    count = 0
    for t in range(N_TABLES):
        radius = radii[t]
        if radius < 0:
            continue
        chunk = qc[t]
        q_high = np.int64(chunk >> np.uint32(16))
        q_low = np.uint16(chunk & np.uint32(0xFFFF))
        for m in range(mask_ends[min(radius, 16)]):
            mask = masks[m]
            high = q_high ^ np.int64(mask)
            budget = radius - np.int64(_popcount(np.uint64(mask)))
            start = offsets[t, high]
            end = offsets[t, high + 1]
            if start == end:
                continue
            if budget == 0:
                # Entries are sorted by low bits within a bucket: only an exact low match can fit.
                lo = start
                hi = end
                while lo < hi:
                    mid = (lo + hi) >> 1
                    if low[t, mid] < q_low:
                        lo = mid + 1
                    else:
                        hi = mid
                first = lo
                last = lo
                while last < end and low[t, last] == q_low:
                    last += 1
            else:
                first = start
                last = end
            for e in range(first, last):
                if budget > 0 and _popcount(np.uint64(low[t, e] ^ q_low)) > budget:
                    continue
                row = np.int64(pos[t, e])
                if not alive[row]:
                    continue
                d = _distance(q, hashes, row)
                if d > max_distance:
                    continue
                seen = False
                for earlier in range(t):
                    if (
                        radii[earlier] >= 0
                        and _popcount(np.uint64(chunks[row, earlier] ^ qc[earlier])) <= radii[earlier]
                    ):
                        seen = True
                        break
                if seen:
                    continue
                if count == rows.shape[0]:
                    rows, dists = _grow(rows, dists, count)
                rows[count] = row
                dists[count] = d
                count += 1
    return rows[:count], dists[:count]


@njit(cache=True, nogil=True)  # type: ignore[untyped-decorator]
def build_table(keys: Any) -> Any:
    """Two-pass LSD radix sort of 32-bit chunk values: (offsets (65537,), low (n,), pos (n,))."""
    n = keys.shape[0]
    counts = np.zeros(BUCKETS + 1, dtype=np.int64)
    for i in range(n):
        counts[(keys[i] & 0xFFFF) + 1] += 1
    for b in range(BUCKETS):
        counts[b + 1] += counts[b]
    by_low = np.empty(n, dtype=np.uint32)
    for i in range(n):
        b = keys[i] & 0xFFFF
        by_low[counts[b]] = i
        counts[b] += 1
    offsets = np.zeros(BUCKETS + 1, dtype=np.int64)
    for i in range(n):
        offsets[(keys[i] >> 16) + 1] += 1
    for b in range(BUCKETS):
        offsets[b + 1] += offsets[b]
    fill = offsets[:BUCKETS].copy()
    pos = np.empty(n, dtype=np.uint32)
    low = np.empty(n, dtype=np.uint16)
    for j in range(n):
        row = by_low[j]
        key = keys[row]
        b = key >> 16
        k = fill[b]
        pos[k] = row
        low[k] = key & 0xFFFF
        fill[b] = k + 1
    return offsets, low, pos
