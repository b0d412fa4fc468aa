"""The PDQ index must return exactly what a brute-force scan returns."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from netsafe.matching import IndexFormatError, PDQIndex
from netsafe.matching.pdq_index import CHUNK_WIDTHS, FORMAT_VERSION, MANIFEST, table_radii
from netsafe.signals.codecs import HashFormatError, words_to_hex

Words = npt.NDArray[np.uint64]

# Layouts besides the default: the previous eight word-aligned 32-bit chunks, and one whose chunk edges
# fall at odd places, several straddling a 64-bit word boundary.
OLD_LAYOUT = (32,) * 8
ODD_LAYOUT = (17, 31, 19, 29, 23, 25, 21, 27, 16, 32, 16)
LAYOUTS = (CHUNK_WIDTHS, OLD_LAYOUT, ODD_LAYOUT)


def brute(
    ids: npt.NDArray[np.int64], hashes: Words, query: Words, max_distance: int
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    if len(ids) == 0:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    d = np.bitwise_count(hashes ^ query[np.newaxis, :]).sum(axis=1, dtype=np.int64)
    hit = np.nonzero(d <= max_distance)[0]
    order = np.lexsort((ids[hit], d[hit]))
    return ids[hit][order], d[hit][order]


def random_words(rng: np.random.Generator, n: int) -> Words:
    return rng.integers(0, 2**64, size=(n, 4), dtype=np.uint64)


def flip_bits(rng: np.random.Generator, word: Words, k: int) -> Words:
    out = word.copy()
    for bit in rng.choice(256, size=k, replace=False):
        out[bit // 64] ^= np.uint64(1) << np.uint64(bit % 64)
    return out


def clustered(rng: np.random.Generator, n: int, families: int) -> Words:
    """Near-duplicate families: each member a few to ~40 bits from its family's root."""
    roots = random_words(rng, max(families, 1))
    rows = [flip_bits(rng, roots[rng.integers(len(roots))], int(rng.integers(0, 41))) for _ in range(n)]
    return np.array(rows, dtype=np.uint64).reshape(-1, 4)


def assert_same(index: PDQIndex, ids: npt.NDArray[np.int64], hashes: Words, q: Words, t: int) -> None:
    got_ids, got_d = index.search(q, t)
    want_ids, want_d = brute(ids, hashes, q, t)
    assert got_ids.dtype == np.int64 and got_d.dtype == np.int64
    np.testing.assert_array_equal(got_d, want_d)
    np.testing.assert_array_equal(got_ids, want_ids)


@st.composite
def scenario(draw: st.DrawFn) -> tuple[int, int, int, int, int, str, int, int, tuple[int, ...]]:
    seed = draw(st.integers(0, 2**32 - 1))
    n = draw(st.integers(0, 300))
    families = draw(st.integers(1, 12))
    delta = draw(st.sampled_from([1, 7, 64, 100_000]))
    threshold = draw(st.integers(0, 64))
    mode = draw(st.sampled_from(["mih", "scan", "auto"]))
    removals = draw(st.integers(0, 40))
    high_bits = draw(st.sampled_from([16, 18, 20]))
    widths = draw(st.sampled_from(LAYOUTS))
    return seed, n, families, delta, threshold, mode, removals, high_bits, widths


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenario())
def test_matches_brute_force(case: tuple[int, int, int, int, int, str, int, int, tuple[int, ...]]) -> None:
    seed, n, families, delta, threshold, mode, removals, high_bits, widths = case
    rng = np.random.default_rng(seed)
    hashes = np.concatenate([clustered(rng, n // 2, families), random_words(rng, n - n // 2)])
    hashes = np.concatenate([hashes, hashes[: n // 10]])  # exact duplicates under other ids
    ids = rng.permutation(len(hashes)).astype(np.int64) * 3 - 50
    ids[: len(ids) // 20] = 7  # one id carrying several hashes
    index = PDQIndex(delta_rows=delta, mode=mode, high_bits=high_bits, chunk_widths=widths)  # type: ignore[arg-type]
    # Added in uneven batches so segments, merges and the delta all take part.
    cuts = np.sort(rng.integers(0, len(ids) + 1, size=4))
    for part in np.split(np.arange(len(ids)), cuts):
        index.add(ids[part], hashes[part])
    gone = rng.choice(ids, size=min(removals, len(ids)), replace=False) if len(ids) else ids
    index.remove(gone)
    keep = ~np.isin(ids, gone)
    ids, hashes = ids[keep], hashes[keep]
    assert len(index) == len(ids)
    queries = [*(flip_bits(rng, h, int(rng.integers(0, 40))) for h in hashes[:6]), *random_words(rng, 2)]
    for q in queries:
        assert_same(index, ids, hashes, q, threshold)


@pytest.mark.parametrize(
    ("mode", "high_bits", "widths"),
    [("mih", 16, CHUNK_WIDTHS), ("mih", 19, CHUNK_WIDTHS), ("mih", 20, OLD_LAYOUT), ("mih", 16, ODD_LAYOUT),
     ("scan", 16, CHUNK_WIDTHS)],
)  # fmt: skip
def test_every_threshold_on_a_dense_family(mode: str, high_bits: int, widths: tuple[int, ...]) -> None:
    """Rows at every distance 0..64 from the query: each threshold must cut exactly there."""
    rng = np.random.default_rng(3)
    root = random_words(rng, 1)[0]
    hashes = np.array([flip_bits(rng, root, k) for k in range(65) for _ in range(3)], dtype=np.uint64)
    ids = np.arange(len(hashes), dtype=np.int64)
    index = PDQIndex(delta_rows=50, mode=mode, high_bits=high_bits, chunk_widths=widths)  # type: ignore[arg-type]
    index.add(ids, hashes)
    for t in range(65):
        assert_same(index, ids, hashes, root, t)
    assert len(index.search(root, 256)[0]) == len(ids)


@pytest.mark.parametrize("widths", LAYOUTS)
def test_radii_satisfy_the_pigeonhole(widths: tuple[int, ...]) -> None:
    for rows in (100, 20_000, 10_000_000):
        for t in range(257):
            radii = table_radii(t, widths, 16, rows)
            assert int((radii + 1).sum()) == t + 1
            assert radii.min() >= -1 and all(r <= w for r, w in zip(radii, widths, strict=True))
    # At the default threshold the default layout probes the 20-bit chunk at radius 1, the others at 2.
    assert table_radii(31).tolist() == [1] + [2] * 10


def chunk_edges(widths: tuple[int, ...]) -> list[tuple[int, int]]:
    starts = np.concatenate([[0], np.cumsum(widths)[:-1]])
    return [(int(s), int(s) + w) for s, w in zip(starts, widths, strict=True)]


def with_flips(base: Words, bits: list[int]) -> Words:
    out = base.copy()
    for bit in bits:
        out[bit // 64] ^= np.uint64(1) << np.uint64(bit % 64)
    return out


def edge_bits(start: int, end: int, k: int) -> list[int]:
    """k distinct bits of the chunk [start, end), from its edges inwards: end - 1, start, end - 2, ..."""
    order = [b for pair in zip(range(end - 1, start - 1, -1), range(start, end), strict=True) for b in pair]
    return list(dict.fromkeys(order))[:k]


@pytest.mark.parametrize("widths", LAYOUTS)
@pytest.mark.parametrize("threshold", [0, 10, 31, 40])
def test_worst_case_rows_at_chunk_edges(widths: tuple[int, ...], threshold: int) -> None:
    """Rows the pigeonhole only just catches: one chunk exactly at its table's radius, every other chunk one
    bit beyond its radius (the distance is then exactly the threshold), with the flipped bits at the chunk
    edges, where a chunk meets its neighbour or straddles two 64-bit words. Each must be found, by one table
    only; the same rows with one more bit flipped must not be."""
    rng = np.random.default_rng(threshold)
    query = random_words(rng, 1)[0]
    filler = random_words(rng, 3000)  # far from the query: buckets are not all empty
    high_bits = 16
    rows = len(filler) + 2 * len(widths)
    radii = table_radii(threshold, widths, high_bits, rows)
    edges = chunk_edges(widths)
    near, beyond = [], []
    for s in range(len(widths)):
        flips: list[int] = []
        for t, (start, end) in enumerate(edges):
            want = int(radii[t]) + (0 if t == s else 1)
            flips += edge_bits(start, end, want)
        near.append(with_flips(query, flips))
        spare = next(b for start, end in edges for b in range(start, end) if b not in flips)
        beyond.append(with_flips(query, [*flips, spare]))
    hashes = np.concatenate([filler, np.array(near), np.array(beyond)])
    ids = np.arange(len(hashes), dtype=np.int64)
    index = PDQIndex(delta_rows=16, mode="mih", high_bits=high_bits, chunk_widths=widths)
    index.add(ids, hashes)
    assert index.segment_count == 1
    got_ids, got_d = index.search(query, threshold)
    near_ids = ids[len(filler) : len(filler) + len(widths)]
    # Tables at radius -1 (skipped) cannot hold the chunk that is within its radius; those rows are farther.
    expect = [int(i) for s, i in enumerate(near_ids) if radii[s] >= 0]
    assert sorted(got_ids.tolist()) == expect
    assert set(got_d.tolist()) <= {threshold}
    assert_same(index, ids, hashes, query, threshold)
    assert_same(index, ids, hashes, query, threshold + 1)


def test_hex_queries_and_search_many() -> None:
    rng = np.random.default_rng(5)
    hashes = clustered(rng, 400, 5)
    ids = np.arange(400, dtype=np.int64) + 1000
    index = PDQIndex(delta_rows=32)
    index.add(ids, words_to_hex(hashes))
    qs = hashes[:20]
    many = index.search_many(words_to_hex(qs), max_distance=[31] * 10 + [10] * 10)
    for k, (got_ids, got_d) in enumerate(many):
        want = brute(ids, hashes, qs[k], 31 if k < 10 else 10)
        np.testing.assert_array_equal(got_ids, want[0])
        np.testing.assert_array_equal(got_d, want[1])
    single = index.search(words_to_hex(qs[:1])[0])
    np.testing.assert_array_equal(single[0], many[0][0])


def test_added_rows_match_at_once_and_removed_rows_stop() -> None:
    rng = np.random.default_rng(9)
    base = random_words(rng, 5000)
    index = PDQIndex(delta_rows=256)
    index.add(np.arange(5000), base)
    new = flip_bits(rng, base[17], 3)
    index.add([99_999], new[np.newaxis, :])
    ids, dists = index.search(new, 0)
    assert ids.tolist() == [99_999] and dists.tolist() == [0]
    ids, _ = index.search(base[17], 31)
    assert set(ids.tolist()) >= {17, 99_999}
    assert index.remove([17, 99_999, 123_456_789]) == 2
    ids, _ = index.search(base[17], 31)
    assert 17 not in ids and 99_999 not in ids
    assert index.remove([17]) == 0


def test_segments_merge_logarithmically_and_compact() -> None:
    rng = np.random.default_rng(11)
    index = PDQIndex(delta_rows=16)
    hashes = random_words(rng, 2000)
    for k in range(0, 2000, 10):
        index.add(np.arange(k, k + 10), hashes[k : k + 10])
    assert index.segment_count <= 8
    index.remove(np.arange(0, 2000, 2))
    index.compact()
    assert index.segment_count == 1 and len(index) == 1000
    assert_same(index, np.arange(1, 2000, 2), hashes[1::2], hashes[1], 64)


def test_save_load_round_trip(tmp_path: Path) -> None:
    rng = np.random.default_rng(13)
    hashes = clustered(rng, 3000, 20)
    ids = rng.permutation(3000).astype(np.int64)
    index = PDQIndex(delta_rows=100)
    index.add(ids, hashes)
    index.add([5_000_000], hashes[:1])  # left in the delta: save must keep it
    index.remove(ids[:10])
    index.save(tmp_path / "idx")
    for mmap in (True, False):
        loaded = PDQIndex.load(tmp_path / "idx", mmap=mmap)
        assert len(loaded) == len(index)
        for q in hashes[:25]:
            a, b = index.search(q, 31), loaded.search(q, 31)
            np.testing.assert_array_equal(a[0], b[0])
            np.testing.assert_array_equal(a[1], b[1])
    # A loaded index keeps taking adds and removals, and saves over itself.
    loaded.add([6_000_000], hashes[1:2])
    loaded.remove([5_000_000])
    loaded.save(tmp_path / "idx")
    again = PDQIndex.load(tmp_path / "idx")
    ids_found, _ = again.search(hashes[0], 0)
    assert 5_000_000 not in ids_found
    assert 6_000_000 in again.search(hashes[1], 0)[0]
    assert not list((tmp_path / "idx").glob("g1-*"))  # the previous generation is cleaned up
    assert all(p.suffix in {".npy", ".json"} for p in (tmp_path / "idx").iterdir())


def test_load_rejects_corrupt_directories(tmp_path: Path) -> None:
    with pytest.raises(IndexFormatError, match="manifest missing"):
        PDQIndex.load(tmp_path)
    rng = np.random.default_rng(17)
    index = PDQIndex(delta_rows=8)
    index.add(np.arange(100), random_words(rng, 100))
    index.save(tmp_path)
    pos = next(tmp_path.glob("*.entries.npy"))
    bad = np.load(pos)
    bad[3, 0] = 10_000 << 8
    np.save(pos, bad)
    with pytest.raises(IndexFormatError, match="out of range"):
        PDQIndex.load(tmp_path)
    np.save(pos, bad.astype(np.int64))
    with pytest.raises(IndexFormatError, match="'entries'"):
        PDQIndex.load(tmp_path)
    pickled = np.array([{"a": 1}], dtype=object)
    np.save(pos, pickled, allow_pickle=True)
    with pytest.raises(IndexFormatError, match="cannot read"):
        PDQIndex.load(tmp_path)
    (tmp_path / "manifest.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(IndexFormatError, match="unreadable"):
        PDQIndex.load(tmp_path)


def test_an_index_saved_in_another_format_version_says_to_rebuild(tmp_path: Path) -> None:
    rng = np.random.default_rng(19)
    index = PDQIndex(delta_rows=8)
    index.add(np.arange(100), random_words(rng, 100))
    index.save(tmp_path)
    manifest = json.loads((tmp_path / MANIFEST).read_text())
    cases = ((FORMAT_VERSION - 1, "from an older netsafe"), (FORMAT_VERSION + 1, "not supported"))
    for version, says in cases:
        manifest["version"] = version
        (tmp_path / MANIFEST).write_text(json.dumps(manifest))
        with pytest.raises(IndexFormatError, match=f"version {version} is {says}.*rebuild the index"):
            PDQIndex.load(tmp_path)
    manifest["version"] = FORMAT_VERSION
    manifest["segments"][0]["chunk_widths"] = [32] * 7
    (tmp_path / MANIFEST).write_text(json.dumps(manifest))
    with pytest.raises(IndexFormatError, match="bad segment entry"):
        PDQIndex.load(tmp_path)


def test_bad_arguments() -> None:
    index = PDQIndex()
    with pytest.raises(HashFormatError):
        index.search("abc")
    with pytest.raises(HashFormatError):
        index.add([1], ["00" * 16])
    with pytest.raises(ValueError, match="max_distance"):
        index.search("0" * 64, 300)
    with pytest.raises(ValueError, match="2 ids but 1 hashes"):
        index.add([1, 2], ["0" * 64])
    assert index.search("0" * 64)[0].size == 0
    with pytest.raises(ValueError, match="sum to 256"):
        PDQIndex(chunk_widths=[32] * 7)
    with pytest.raises(ValueError, match="16-32 bits"):
        PDQIndex(chunk_widths=[64] * 4)


def test_wide_ids_survive_segments_and_saving(tmp_path: Path) -> None:
    """Ids that fit 32 bits are stored narrow; wider ones (and negative ones) must come back unchanged."""
    rng = np.random.default_rng(21)
    hashes = random_words(rng, 300)
    for ids in (np.arange(300, dtype=np.int64) + 2**40, np.arange(300, dtype=np.int64) - 2**31):
        index = PDQIndex(delta_rows=16)
        index.add(ids, hashes)
        index.save(tmp_path / str(ids[0]))
        loaded = PDQIndex.load(tmp_path / str(ids[0]))
        for q in hashes[:5]:
            assert_same(index, ids, hashes, q, 31)
            assert_same(loaded, ids, hashes, q, 31)
        assert loaded.remove([ids[0]]) == 1


def test_segments_too_large_for_32_bit_entries(tmp_path: Path) -> None:
    """A table entry packs the row with the chunk's low bits; when that passes 32 bits it is stored in 64."""
    rng = np.random.default_rng(23)
    base = random_words(rng, 70_000)  # 32-bit chunks over 16 bucket bits: 16 low bits, rows need 17
    queries = [flip_bits(rng, base[k], int(rng.integers(0, 32))) for k in (0, 69_999, 4_321)]
    hashes = np.concatenate([base, np.array([flip_bits(rng, q, 3) for q in queries])])
    ids = np.arange(len(hashes), dtype=np.int64)
    index = PDQIndex(mode="mih", high_bits=16, chunk_widths=ODD_LAYOUT)
    index.add(ids, hashes)
    assert index._segments[0].entries.dtype == np.uint64
    index.save(tmp_path)
    loaded = PDQIndex.load(tmp_path, mode="mih")
    for q in queries:
        assert_same(index, ids, hashes, q, 31)
        assert_same(loaded, ids, hashes, q, 31)
