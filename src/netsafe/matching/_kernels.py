"""Compiled inner loops of the PDQ index (numba, compiled on first use and cached on disk).

numpy alone cannot walk thousands of small buckets per query without paying interpreter overhead on every
bucket, so the probe-and-verify loop lives here. Everything is plain arrays in, plain arrays out; the
Python class in :mod:`netsafe.matching.pdq_index` owns the layout and its invariants.

Layout of one segment (n rows, m tables, one per chunk of the 256-bit hash):

* ``hashes`` (n, 4) uint64: bit ``i`` of a hash is bit ``i % 64`` of word ``i // 64``. Chunk ``t`` is the
  ``chunk_widths[t]`` bits starting at bit ``chunk_starts[t]``; a chunk may straddle two words.
* ``offsets`` (m, 2**high_bits + 1) uint32: for table ``t``, the rows whose chunk has high bits ``h`` sit
  at table positions ``offsets[t, h]:offsets[t, h + 1]``.
* ``entries`` (m, n) uint32 (uint64 for segments too large for that): at each table position, the row
  shifted left by the chunk's low-bit count, or-ed with the chunk's low bits (``width - high_bits`` of
  them); ascending by low bits within a bucket. One array instead of separate low bits and row positions
  saves a cache miss per bucket visit. Rows themselves are stored in table 0's order, so table 0's
  candidates sit next to each other.
"""

from __future__ import annotations

from typing import Any

import numba
import numpy as np
from llvmlite import ir  # type: ignore[import-untyped]
from numba import extending, types
from numba.core import cgutils as _cgutils

# numba's own annotations do not describe jit-compiled call signatures; treat its decorators as untyped.
njit: Any = numba.njit
intrinsic: Any = extending.intrinsic
cgutils: Any = _cgutils

# How many buckets ahead of the scan the probe prefetches (24 measured best of 8, 16, 24, 32, 48 at 10M rows).
LEAD = 24
# Candidates are gathered (their hash lines requested) in batches of up to this many, then verified.
CAND = 1024


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


@intrinsic  # type: ignore[untyped-decorator]
def _prefetch(typingctx: Any, arr: Any, index: Any) -> Any:
    """Hint the CPU to start loading ``arr[index]`` (1-D array) into cache; no effect on results."""
    if not isinstance(arr, types.Array) or arr.ndim != 1 or not isinstance(index, types.Integer):
        return None
    sig = types.void(arr, index)

    def codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:
        array = context.make_array(signature.args[0])(context, builder, args[0])
        pointer = cgutils.get_item_pointer(context, builder, signature.args[0], array, [args[1]])
        i32 = ir.IntType(32)
        byte_pointer = builder.bitcast(pointer, ir.IntType(8).as_pointer())
        fnty = ir.FunctionType(ir.VoidType(), [byte_pointer.type, i32, i32, i32])
        fn = cgutils.get_or_insert_function(builder.module, fnty, "llvm.prefetch.p0")
        # read, keep in all cache levels, data cache
        builder.call(fn, [byte_pointer, i32(0), i32(3), i32(1)])
        return context.get_dummy_value()

    return sig, codegen


# Inlined: a call between jitted functions that passes arrays pays reference counting on every row.
@njit(cache=True, nogil=True, inline="always")  # type: ignore[untyped-decorator]
def _distance(q: Any, hashes: Any, row: int) -> int:
    return int(
        _popcount(q[0] ^ hashes[row, 0])
        + _popcount(q[1] ^ hashes[row, 1])
        + _popcount(q[2] ^ hashes[row, 2])
        + _popcount(q[3] ^ hashes[row, 3])
    )


@njit(cache=True, nogil=True)  # type: ignore[untyped-decorator]
def brute_search(q: Any, max_distance: int, hashes: Any, alive: Any, out_rows: Any, out_dists: Any) -> int:
    """Every live row within ``max_distance`` of ``q`` by a linear scan.

    Writes up to ``len(out_rows)`` (row, distance) pairs and returns how many there are in all; the caller
    retries with bigger buffers when that is more (growing arrays inside the loop would slow it fivefold).
    """
    cap = out_rows.shape[0]
    count = 0
    for row in range(hashes.shape[0]):
        d = _distance(q, hashes, row)
        if d <= max_distance and alive[row]:
            if count < cap:
                out_rows[count] = row
                out_dists[count] = d
            count += 1
    return count


@njit(cache=True, nogil=True, inline="always")  # type: ignore[untyped-decorator]
def _chunk(words: Any, start: int, width: int) -> Any:
    """Bits ``start .. start + width - 1`` (``width`` <= 32) of a hash held as 4 little-endian words."""
    word = start >> 6
    shift = start & 63
    value = words[word] >> np.uint64(shift)
    if shift + width > 64:
        value |= words[word + 1] << np.uint64(64 - shift)
    return np.int64(value & np.uint64((np.int64(1) << width) - 1))


@njit(cache=True, nogil=True, inline="always")  # type: ignore[untyped-decorator]
def _bounds(offsets: Any, entries: Any, highs: Any, starts: Any, ends: Any, m: int) -> None:
    """Read bucket ``highs[m]``'s bounds and request the cache lines holding its first and last entries."""
    start = np.int64(offsets[highs[m]])
    end = np.int64(offsets[highs[m] + 1])
    starts[m] = start
    ends[m] = end
    if start < end:
        _prefetch(entries, start)
        _prefetch(entries, end - 1)


# Inlined, as _distance: it runs inside the probe loop.
@njit(cache=True, nogil=True, inline="always")  # type: ignore[untyped-decorator]
def _verify(
    q: Any,
    max_distance: int,
    t: int,
    radii: Any,
    chunk_starts: Any,
    chunk_widths: Any,
    hashes: Any,
    alive: Any,
    cand: Any,
    n_cand: int,
    diff: Any,
    out_rows: Any,
    out_dists: Any,
    count: int,
) -> int:
    """Check candidate rows of table ``t`` against the full hash; returns the new match count.

    A match is reported only if no earlier table could have found it (its chunk there was beyond that
    table's radius), so no row is reported twice.
    """
    cap = out_rows.shape[0]
    for c in range(n_cand):
        row = cand[c]
        d = _distance(q, hashes, row)
        if d > max_distance or not alive[row]:
            continue
        for k in range(4):
            diff[k] = q[k] ^ hashes[row, k]
        seen = False
        for earlier in range(t):
            r = radii[earlier]
            if (
                r >= 0
                and _popcount(np.uint64(_chunk(diff, chunk_starts[earlier], chunk_widths[earlier]))) <= r
            ):
                seen = True
                break
        if seen:
            continue
        if count < cap:
            out_rows[count] = row
            out_dists[count] = d
        count += 1
    return count


@njit(cache=True, nogil=True)  # type: ignore[untyped-decorator]
def mih_search(
    q: Any,
    max_distance: int,
    radii: Any,
    chunk_starts: Any,
    chunk_widths: Any,
    high_bits: int,
    masks: Any,
    mask_ends: Any,
    hashes: Any,
    alive: Any,
    offsets: Any,
    entries: Any,
    out_rows: Any,
    out_dists: Any,
) -> int:
    """Multi-index hashing search of one segment; output as in :func:`brute_search`.

    Pigeonhole: with ``sum(radii + 1) > max_distance`` some chunk ``t`` of every match differs from the
    query's chunk in at most ``radii[t]`` bits (``-1``: table not probed). Table ``t`` is probed at every
    bucket whose high bits are within ``radii[t]`` of the query's, keeping entries whose low bits fit the
    remaining budget. ``masks`` holds all ``high_bits``-bit masks ordered by popcount; ``mask_ends[k]``
    counts those with popcount <= k.
    """
    n_tables = chunk_widths.shape[0]
    count = 0
    q_chunks = np.empty(n_tables, dtype=np.int64)
    for t in range(n_tables):
        q_chunks[t] = _chunk(q, chunk_starts[t], chunk_widths[t])
    diff = np.empty(4, dtype=np.uint64)
    flat = hashes.reshape(hashes.shape[0] * 4)
    cand = np.empty(CAND, dtype=np.int64)
    starts = np.empty(mask_ends[min(int(radii.max()), high_bits)], dtype=np.int64)
    ends = np.empty_like(starts)
    highs = np.empty_like(starts)
    for t in range(n_tables):
        radius = radii[t]
        if radius < 0:
            continue
        low_bits = chunk_widths[t] - high_bits
        low_mask = (np.int64(1) << low_bits) - 1
        q_high = q_chunks[t] >> low_bits
        q_low = q_chunks[t] & low_mask
        table_offsets = offsets[t]
        table_entries = entries[t]
        visits = mask_ends[min(radius, high_bits)]
        n_cand = 0
        # Software pipeline: while bucket m is scanned, the bounds of bucket m + LEAD are read and its
        # cache lines requested, and the bounds of bucket m + 2 * LEAD requested. At 10M rows the tables are
        # far larger than the caches, and overlapping these fetches is what makes the walk fast.
        for m in range(visits):
            highs[m] = q_high ^ np.int64(masks[m])
        for m in range(min(2 * LEAD, visits)):
            _prefetch(table_offsets, highs[m])
        for m in range(min(LEAD, visits)):
            _bounds(table_offsets, table_entries, highs, starts, ends, m)
        for m in range(visits):
            if m + 2 * LEAD < visits:
                _prefetch(table_offsets, highs[m + 2 * LEAD])
            if m + LEAD < visits:
                _bounds(table_offsets, table_entries, highs, starts, ends, m + LEAD)
            start = starts[m]
            end = ends[m]
            if start == end:
                continue
            budget = radius - np.int64(_popcount(np.uint64(masks[m])))
            if budget == 0:
                # Entries ascend by low bits within a bucket: only an exact low match fits. Small buckets
                # are walked (predictable branches), large ones bisected.
                lo = start
                hi = end
                if end - start <= 24:
                    while lo < end and (np.int64(table_entries[lo]) & low_mask) < q_low:
                        lo += 1
                    hi = lo
                while lo < hi:
                    mid = (lo + hi) >> 1
                    if (np.int64(table_entries[mid]) & low_mask) < q_low:
                        lo = mid + 1
                    else:
                        hi = mid
                first = lo
                last = lo
                while last < end and (np.int64(table_entries[last]) & low_mask) == q_low:
                    last += 1
            else:
                first = start
                last = end
            for e in range(first, last):
                entry = np.int64(table_entries[e])
                if budget > 0 and np.int64(_popcount(np.uint64((entry & low_mask) ^ q_low))) > budget:
                    continue
                # Candidates are verified in batches, their hash lines requested now: the random reads of
                # the full hashes then overlap instead of stalling one by one.
                row = entry >> low_bits
                _prefetch(flat, row * 4)
                cand[n_cand] = row
                n_cand += 1
                if n_cand == CAND:
                    count = _verify(q, max_distance, t, radii, chunk_starts, chunk_widths, hashes, alive,
                                    cand, n_cand, diff, out_rows, out_dists, count)  # fmt: skip
                    n_cand = 0
        count = _verify(q, max_distance, t, radii, chunk_starts, chunk_widths, hashes, alive,
                        cand, n_cand, diff, out_rows, out_dists, count)  # fmt: skip
    return count


@njit(cache=True, nogil=True)  # type: ignore[untyped-decorator]
def chunk_keys(hashes: Any, start: int, width: int) -> Any:
    """Chunk ``(start, width)`` of every row, as uint32."""
    n = hashes.shape[0]
    keys = np.empty(n, dtype=np.uint32)
    for i in range(n):
        keys[i] = np.uint32(_chunk(hashes[i], start, width))
    return keys


@njit(cache=True, nogil=True)  # type: ignore[untyped-decorator]
def build_table(keys: Any, width: int, high_bits: int, offsets: Any, entries: Any) -> None:
    """Fill one table's ``offsets`` and ``entries`` (layout above) from its ``width``-bit chunk values.

    A two-pass LSD radix sort: by low bits, then (stably) by high bits.
    """
    n = keys.shape[0]
    low_bits = width - high_bits
    low_mask = (np.int64(1) << low_bits) - 1
    counts = np.zeros((1 << low_bits) + 1, dtype=np.int64)
    for i in range(n):
        counts[(keys[i] & low_mask) + 1] += 1
    for b in range(1 << low_bits):
        counts[b + 1] += counts[b]
    by_low = np.empty(n, dtype=np.int64)
    for i in range(n):
        b = keys[i] & low_mask
        by_low[counts[b]] = i
        counts[b] += 1
    buckets = 1 << high_bits
    offsets[:] = 0
    for i in range(n):
        offsets[(keys[i] >> low_bits) + 1] += 1
    for b in range(buckets):
        offsets[b + 1] += offsets[b]
    fill = offsets[:buckets].astype(np.int64)
    for j in range(n):
        row = by_low[j]
        key = np.int64(keys[row])
        bucket = key >> low_bits
        k = fill[bucket]
        entries[k] = (row << low_bits) | (key & low_mask)
        fill[bucket] = k + 1
