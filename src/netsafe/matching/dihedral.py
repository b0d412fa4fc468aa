"""Rotation- and mirror-aware PDQ matching.

PDQ can hash the eight dihedral transforms of an image (four rotations, each optionally mirrored) in one
pass. Querying the index with all eight finds stored copies that were rotated or flipped; each id is
reported once, with its smallest distance and the variant that gave it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from netsafe.matching.pdq_index import DEFAULT_MAX_DISTANCE, PDQIndex, as_words


@dataclass(frozen=True, slots=True)
class DihedralMatches:
    """Parallel arrays sorted by distance then id: ``variants[k]`` indexes the query list."""

    ids: npt.NDArray[np.int64]
    distances: npt.NDArray[np.int64]
    variants: npt.NDArray[np.int64]


def search_dihedral(
    index: PDQIndex,
    hashes: Sequence[str] | npt.ArrayLike,
    max_distance: int = DEFAULT_MAX_DISTANCE,
) -> DihedralMatches:
    """Best distance per id over the query variants ``hashes`` (usually the 8 from ``pdq_from_rgb``)."""
    words = as_words(hashes)
    results = index.search_many(words, max_distance)
    ids = np.concatenate([r[0] for r in results]) if results else np.empty(0, np.int64)
    dists = np.concatenate([r[1] for r in results]) if results else np.empty(0, np.int64)
    variants = np.concatenate([np.full(len(r[0]), k, dtype=np.int64) for k, r in enumerate(results)])
    if len(ids) == 0:
        return DihedralMatches(ids, dists, variants.astype(np.int64))
    # Best first per id (ties: the lower variant, so "original" wins when it is as close as any).
    order = np.lexsort((variants, dists, ids))
    ids, dists, variants = ids[order], dists[order], variants[order]
    first = np.ones(len(ids), dtype=np.bool_)
    first[1:] = ids[1:] != ids[:-1]
    ids, dists, variants = ids[first], dists[first], variants[first]
    order = np.lexsort((ids, dists))
    return DihedralMatches(ids[order], dists[order], variants[order])
