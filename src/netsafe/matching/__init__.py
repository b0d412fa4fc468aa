"""Matching signals against hash sets: exact indexes, the PDQ Hamming index, dihedral and video matching.

This package knows signals and numpy only; it maps hashes to int64 ids and leaves what an id means (an entry
of some hash set) to the store.
"""

from netsafe.matching.pdq_index import DEFAULT_MAX_DISTANCE, IndexFormatError, PDQIndex

__all__ = ["DEFAULT_MAX_DISTANCE", "IndexFormatError", "PDQIndex"]
