from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from netsafe.matching import IndexFormatError
from netsafe.matching.exact import ExactIndex
from netsafe.signals.codecs import HashFormatError


def md5(i: int) -> str:
    return hashlib.md5(str(i).encode()).hexdigest()


@settings(max_examples=40, deadline=None)
@given(
    pairs=st.lists(st.tuples(st.integers(-5, 60), st.integers(0, 30)), max_size=200),
    gone=st.lists(st.integers(-5, 60), max_size=10),
)
def test_lookup_matches_a_dict(pairs: list[tuple[int, int]], gone: list[int]) -> None:
    index = ExactIndex("md5")
    for start in range(0, len(pairs), 37):  # several batches, so merges happen between them
        batch = pairs[start : start + 37]
        index.add([i for i, _ in batch], [md5(v) for _, v in batch])
    index.remove(gone)
    want: dict[str, set[int]] = {}
    for ident, v in pairs:
        if ident not in gone:
            want.setdefault(md5(v), set()).add(ident)
    for v in range(31):
        assert index.lookup(md5(v)).tolist() == sorted(want.get(md5(v), set()))


def test_merge_and_round_trip(tmp_path: Path) -> None:
    index = ExactIndex("sha256")
    values = [hashlib.sha256(str(i).encode()).hexdigest() for i in range(10_000)]
    index.add(range(10_000), values)
    index.add([42], [values[7].upper()])  # hex case does not matter
    assert index.lookup(values[7]).tolist() == [7, 42]
    index.remove([3])
    index.save(tmp_path)
    loaded = ExactIndex.load(tmp_path, "sha256")
    assert len(loaded) == 10_000
    assert loaded.lookup(values[7]).tolist() == [7, 42]
    assert loaded.lookup(values[3]).size == 0
    assert [a.tolist() for a in loaded.lookup_many(values[8:10])] == [[8], [9]]


def test_photodna_and_bad_values(tmp_path: Path) -> None:
    index = ExactIndex("photodna")
    index.add([1], ["ab" * 144])
    assert index.lookup("AB" * 144).tolist() == [1]
    with pytest.raises(HashFormatError, match="photodna: expected 288"):
        index.add([2], ["ab" * 16])
    assert len(index) == 1  # the bad batch left nothing behind
    with pytest.raises(ValueError, match="unknown signal"):
        ExactIndex("crc32")
    with pytest.raises(IndexFormatError, match="manifest missing"):
        ExactIndex.load(tmp_path, "md5")
    index.save(tmp_path)
    (tmp_path / "photodna.manifest.json").write_text('{"format": "x"}', encoding="utf-8")
    with pytest.raises(IndexFormatError, match="not a version"):
        ExactIndex.load(tmp_path, "photodna")
