"""Matching signals against hash sets: exact indexes, the PDQ Hamming index, dihedral and video matching.

This package knows signals and numpy only; it maps hashes to int64 ids and leaves what an id means (an entry
of some hash set) to the store.
"""

from netsafe.matching.dihedral import DihedralMatches, search_dihedral
from netsafe.matching.exact import ExactIndex
from netsafe.matching.pdq_index import DEFAULT_MAX_DISTANCE, IndexFormatError, PDQIndex
from netsafe.matching.vpdq import VpdqMatch, VpdqSegment, match_videos, parse_vpdq_text, read_vpdq_file

__all__ = [
    "DEFAULT_MAX_DISTANCE",
    "DihedralMatches",
    "ExactIndex",
    "IndexFormatError",
    "PDQIndex",
    "VpdqMatch",
    "VpdqSegment",
    "match_videos",
    "parse_vpdq_text",
    "read_vpdq_file",
    "search_dihedral",
]
