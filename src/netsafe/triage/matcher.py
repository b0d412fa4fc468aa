"""The hash sets a scan matches against, loaded once from the store into in-memory indexes.

Exact signals (MD5, SHA-1, SHA-256) by hash table, PDQ through netsafe.matching's exact Hamming index.
Each match names the hash set, the entry, the signal, the distance and the entry's category in the set's
grading profile. The set versions are recorded so a resumed scan can refuse to mix two versions.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from netsafe.hashsets.profiles import load_profile
from netsafe.matching import PDQIndex
from netsafe.signals.pdq import QUALITY_THRESHOLD
from netsafe.store import Database
from netsafe.store.repositories import get_set, iter_columns

EXACT = ("md5", "sha1", "sha256")


@dataclass(frozen=True, slots=True)
class SetInfo:
    id: int
    name: str
    profile: str
    version: int
    entries: int

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "version": self.version, "profile": self.profile, "entries": self.entries}


class ScanMatcher:
    """Matches one item's signals against the chosen hash sets; empty (matches nothing) without sets."""

    def __init__(self, sets: list[SetInfo], max_distance: int = 31) -> None:
        self.sets = sets
        self.max_distance = max_distance
        self._exact: dict[str, dict[str, list[int]]] = {name: {} for name in EXACT}
        self._entry: dict[int, tuple[int, str | None]] = {}  # entry id -> (set position, category)
        self._pdq = PDQIndex()

    @classmethod
    def load(cls, db: Database, names: list[str], max_distance: int = 31) -> ScanMatcher:
        sets: list[SetInfo] = []
        with db.session() as session:
            rows = [get_set(session, name) for name in names]
            for row in rows:
                sets.append(SetInfo(row.id, row.name, row.profile, row.version, 0))
            matcher = cls(sets, max_distance)
            for pos, info in enumerate(sets):
                count = 0
                for page in iter_columns(session, info.id, ["md5", "sha1", "sha256", "pdq", "category"]):
                    count += len(page)
                    pdq_ids: list[int] = []
                    pdq_hex: list[str] = []
                    for entry_id, md5, sha1, sha256, pdq, category in page:
                        matcher._entry[entry_id] = (pos, category)
                        for name, value in (("md5", md5), ("sha1", sha1), ("sha256", sha256)):
                            if value:
                                matcher._exact[name].setdefault(value, []).append(entry_id)
                        if pdq:
                            pdq_ids.append(entry_id)
                            pdq_hex.append(pdq)
                    if pdq_ids:
                        matcher._pdq.add(np.asarray(pdq_ids, dtype=np.int64), pdq_hex)
                sets[pos] = SetInfo(info.id, info.name, info.profile, info.version, count)
        return matcher

    def match(
        self, digests: dict[str, str], pdq: str | None, pdq_quality: int | None
    ) -> list[dict[str, Any]]:
        found: dict[int, dict[str, Any]] = {}
        for name in EXACT:
            value = digests.get(name)
            if value:
                for entry_id in self._exact[name].get(value, ()):
                    found.setdefault(entry_id, self._describe(entry_id, name, 0))
        if pdq and len(self._pdq) and (pdq_quality is None or pdq_quality >= QUALITY_THRESHOLD):
            ids, distances = self._pdq.search(pdq, self.max_distance)
            for entry_id, distance in zip(ids.tolist(), distances.tolist(), strict=True):
                if entry_id not in found:
                    found[entry_id] = self._describe(entry_id, "pdq", int(distance))
        return sorted(found.values(), key=lambda m: (m["hashset"], m["distance"], m["entry_id"]))

    def _describe(self, entry_id: int, signal: str, distance: int) -> dict[str, Any]:
        pos, category = self._entry[entry_id]
        info = self.sets[pos]
        return {
            "hashset": info.name,
            "entry_id": entry_id,
            "signal": signal,
            "distance": distance,
            "category": category,
            "category_label": load_profile(info.profile).label(category),
            "profile": info.profile,
        }
