"""The hash sets a scan matches against: a thin layer over the shared matcher service
(netsafe.services.matcher.Matcher), pinned to the set versions the scan started with."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from netsafe.hashing.record import FileRecord
from netsafe.services.lookup import file_query
from netsafe.services.matcher import Matcher, Query
from netsafe.store import Database
from netsafe.store.models import EntryRow
from netsafe.store.repositories import set_info_by_name, set_infos

# The versions are read once: a scan reports against one version of each set, never a mix.
NEVER_REFRESH = float("inf")


@dataclass(frozen=True, slots=True)
class SetInfo:
    name: str
    profile: str
    version: int
    entries: int
    kind: str = "match"

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "name": self.name,
            "version": self.version,
            "profile": self.profile,
            "entries": self.entries,
        }
        if self.kind != "match":
            out["kind"] = self.kind  # an ignore list: its matches are left out of review and counts
        return out


class ScanMatcher:
    """Matches one item's signals against the chosen hash sets (all sets in the store if none named)."""

    def __init__(self, db: Database, names: list[str] | None, max_distance: int = 31) -> None:
        with db.session() as session:
            infos = [set_info_by_name(session, n) for n in names] if names else set_infos(session)
        self.sets = [SetInfo(i.name, i.profile, i.version, i.entry_count, i.kind) for i in infos]
        self.names = [s.name for s in self.sets]
        self.max_distance = max_distance
        self._db = db
        self._matcher = Matcher(db, refresh_seconds=NEVER_REFRESH)
        if self.names:
            self._matcher.refresh(force=True)
            self._matcher.match([Query("warm-up")], self.names)  # load or build the indexes now, not mid-scan

    def match(
        self, digests: dict[str, str], pdq: str | None, pdq_quality: int | None
    ) -> list[dict[str, Any]]:
        if not self.names:
            return []
        # The same rule as every door's: a hashed item becomes a query by the lookup service.
        record = FileRecord(
            digests.get("sha256", ""), digests=dict(digests), pdq=pdq, pdq_quality=pdq_quality
        )
        query = file_query(record)
        (found,) = self._matcher.match([query], self.names, self.max_distance)
        profiles = {s.name: s.profile for s in self.sets}
        seen: set[int] = set()
        out: list[dict[str, Any]] = []
        # One line per entry: its best signal (exact before PDQ at equal distance).
        for m in sorted(found, key=lambda m: (m.distance, m.signal == "pdq", m.hashset, m.entry_id)):
            if m.entry_id in seen:
                continue
            seen.add(m.entry_id)
            out.append(
                {
                    "hashset": m.hashset,
                    "entry_id": m.entry_id,
                    "signal": m.signal,
                    "distance": m.distance,
                    "category": m.category,
                    "category_label": m.category_label,
                    "profile": profiles[m.hashset],
                    "source_id": m.source_id,
                }
            )
        self._add_series(out)
        return sorted(out, key=lambda m: (m["hashset"], m["distance"], m["entry_id"]))

    def _add_series(self, matches: list[dict[str, Any]]) -> None:
        """Each entry's series, read once here: the exhibit table names it as the list had it then."""
        if not matches:
            return
        ids = [m["entry_id"] for m in matches]
        with self._db.session() as session:
            query = select(EntryRow.id, EntryRow.series).where(EntryRow.id.in_(ids))
            found = {entry_id: series for entry_id, series in session.execute(query)}
        for m in matches:
            m["series"] = found.get(m["entry_id"])
