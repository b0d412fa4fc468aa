"""What a lookup asks the matcher (:class:`Query`), what it gets back (:class:`Found`, then :class:`Match`
each), and how the matcher refuses (:class:`MatchError` and the rest).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from netsafe.errors import InvalidInput, NotFound
from netsafe.hashsets.profiles import GradingProfile, ProfileError
from netsafe.matching.vpdq import VpdqMatch
from netsafe.services.indexes import SetIndex
from netsafe.signals.vpdq import VpdqFrame


class MatchError(InvalidInput):
    """A request the matcher cannot serve (unknown hash set, bad hash); ``str(err)`` is one line."""


class UnknownHashSetError(NotFound, MatchError):
    """A query named a hash set the store does not have."""


class StoreNeededError(Exception):
    """Raised by ``match(..., offline=True)`` when answering needs the store (versions due for a re-read,
    an index to load, a category not cached) or another thread holds the indexes: call again online."""


@dataclass(slots=True)
class Query:
    """What to look up: signals of a file (or given by hand). ``query`` is what the person asked for."""

    query: str
    path: str | None = None
    signals: dict[str, str] = field(default_factory=dict)
    pdq_quality: int | None = None
    pdq_dihedral: list[str] | None = None
    vpdq: list[VpdqFrame] | None = None
    error: str | None = None
    kind: str = "signals"  # file, upload, hash (typed by a person) or signals (named, from a platform)
    size: int | None = None
    mime: str | None = None


@dataclass(frozen=True, slots=True)
class Match:
    hashset: str
    entry_id: int
    signal: str
    distance: int
    category: str | None
    category_label: str
    source_id: str | None = None
    transform: str | None = None  # dihedral variant of the query that matched ("original", "rotate90", ...)
    video: VpdqMatch | None = None  # vPDQ: shares of matching frames and the matching segments

    def as_dict(self) -> dict[str, Any]:
        """Every key, always (null where it does not apply): one shape for every door."""
        video = self.video
        return {
            "hashset": self.hashset,
            "entry_id": self.entry_id,
            "source_id": self.source_id,
            "signal": self.signal,
            "distance": self.distance,
            "category": self.category,
            "category_label": self.category_label,
            "transform": self.transform,
            "query_match_percent": None if video is None else round(video.query_match_percent, 2),
            "compared_match_percent": None if video is None else round(video.compared_match_percent, 2),
            "segments": None
            if video is None
            else [
                {
                    "query_start": g.query_start,
                    "query_end": g.query_end,
                    "compared_start": g.candidate_start,
                    "compared_end": g.candidate_end,
                    "frames": g.frames,
                }
                for g in video.segments
            ],
        }

    @property
    def list_id(self) -> str:
        """How a person finds the entry: the list's own id (its ``MediaID``) where it has one, else
        ``#`` and netsafe's entry id (what ``netsafe hashset remove --entry`` takes)."""
        return self.source_id or f"#{self.entry_id}"


@dataclass(slots=True)
class Found:
    """Hits of a :meth:`Matcher.search`, and what is known about their entries so far."""

    hits: list[list[Hit]]
    details: dict[int, tuple[str | None, str | None]]
    missing: dict[int, SetIndex]  # entries whose category must still be read (Matcher.load_details)

    def matches(self) -> list[list[Match]]:
        out: list[list[Match]] = []
        for hits in self.hits:
            matches = []
            for h in hits:
                category, source_id = self.details.get(h.entry_id, (None, None))
                label = _label(h.index.profile, category)
                matches.append(
                    Match(h.index.name, h.entry_id, h.signal, h.distance, category, label, source_id,
                          h.transform, h.video)
                )  # fmt: skip
            matches.sort(key=lambda m: (m.distance, m.hashset, m.entry_id, m.signal))
            out.append(matches)
        return out


@dataclass(frozen=True, slots=True)
class Hit:
    index: SetIndex
    entry_id: int
    signal: str
    distance: int
    transform: str | None = None
    video: VpdqMatch | None = None


def _label(profile: GradingProfile, category: str | None) -> str:
    try:
        return profile.label(category)
    except ProfileError:
        return category or profile.uncategorised_label
