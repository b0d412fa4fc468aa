from __future__ import annotations

import numpy as np

from netsafe.matching import PDQIndex
from netsafe.matching.dihedral import search_dihedral
from netsafe.samples import synthetic_photo
from netsafe.signals.codecs import hamming_hex
from netsafe.signals.pdq import DIHEDRAL_NAMES, pdq_from_rgb


def test_rotated_and_mirrored_copies_are_found() -> None:
    photos = [np.asarray(synthetic_photo(seed, 256, 192).convert("RGB")) for seed in range(6)]
    index = PDQIndex(delta_rows=4)
    index.add(np.arange(6) + 100, [pdq_from_rgb(p).hash for p in photos])
    original = photos[2]
    for copy in (
        np.rot90(original, 1),
        np.rot90(original, 2),
        original[:, ::-1],
        original.transpose(1, 0, 2),
    ):
        query = pdq_from_rgb(np.ascontiguousarray(copy), dihedral=True)
        assert query.dihedral is not None
        plain_ids, _ = index.search(query.hash, 31)
        assert 102 not in plain_ids  # without the variants the copy is missed
        found = search_dihedral(index, list(query.dihedral), 31)
        assert found.ids[0] == 102
        assert found.distances[0] <= 31
        assert len(set(found.ids.tolist())) == len(found.ids)  # one row per id
        best = min(hamming_hex(h, pdq_from_rgb(original).hash) for h in query.dihedral)
        assert found.distances[0] == best
        assert DIHEDRAL_NAMES[int(found.variants[0])] != "original"


def test_best_variant_per_id_and_empty() -> None:
    index = PDQIndex()
    base = "0" * 64
    index.add([1, 2], [base, "f" + "0" * 63])
    found = search_dihedral(index, ["0" * 63 + "1", base], 31)
    assert found.ids.tolist() == [1, 2]
    assert found.distances.tolist() == [0, 4]
    assert found.variants.tolist() == [1, 1]
    assert search_dihedral(PDQIndex(), [base], 31).ids.size == 0
