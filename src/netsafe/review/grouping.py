"""Near-duplicate grouping of a scan's unknown items, so one decision grades a whole group.

Greedy leader ("star") clustering in the walk's order: the first item not yet in a group leads a new one,
and every item not yet in a group within ``max_distance`` bits of it joins it. Every member is then within
the distance of its leader, so a group never drifts by chaining (A near B near C with A far from C), which
single-linkage clustering would allow. The neighbours come from the PDQ index (``matching.pdq_index``),
built once over all the hashes and asked once per leader: exact, and ~5 s for 100,000 random hashes on one
core (benchmarks/review.py). Videos are grouped the same way by vPDQ (``matching.vpdq.match_videos``),
pair by pair with the leaders: a scan holds few videos.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from netsafe.matching.pdq_index import PDQIndex
from netsafe.matching.vpdq import match_videos
from netsafe.signals.vpdq import VpdqFrame


@dataclass(frozen=True, slots=True)
class Grouping:
    """Per input position: its group (0-based, numbered in the order of their leaders), whether it leads
    the group, and its PDQ distance to the leader (None for the leader, for vPDQ and for singletons)."""

    group: list[int]
    leader: list[bool]
    distance: list[int | None]

    @property
    def groups(self) -> int:
        return max(self.group, default=-1) + 1


def group_pdq(hashes: Sequence[str | None], max_distance: int) -> Grouping:
    """Group PDQ hashes (hex); an input without one (not decoded) is a group of its own."""
    n = len(hashes)
    owner = np.full(n, -1, dtype=np.int64)  # the leader's position
    distance: list[int | None] = [None] * n
    known: dict[int, str] = {i: h for i, h in enumerate(hashes) if h}
    present = list(known)
    if present:
        index = PDQIndex()
        index.add(np.asarray(present, dtype=np.int64), list(known.values()))
        index.compact()  # one segment: each search then walks one table set, not the delta's rows too
        for i in present:
            if owner[i] >= 0:
                continue
            owner[i] = i
            ids, dists = index.search(known[i], max_distance)
            fresh = owner[ids] < 0
            owner[ids[fresh]] = i
            for j, d in zip(ids[fresh].tolist(), dists[fresh].tolist(), strict=True):
                distance[j] = int(d)
    return _numbered(owner, distance)


def group_videos(videos: Sequence[list[VpdqFrame] | None], max_distance: int) -> Grouping:
    """Group videos whose vPDQ frames match (both ways, as ``match_videos`` decides)."""
    n = len(videos)
    owner = np.full(n, -1, dtype=np.int64)
    leaders: list[int] = []
    for i, frames in enumerate(videos):
        if frames:
            for lead in leaders:
                other = videos[lead]
                assert other is not None
                if match_videos(frames, other, distance_tolerance=max_distance).is_match:
                    owner[i] = lead
                    break
        if owner[i] < 0:
            owner[i] = i
            if frames:
                leaders.append(i)
    return _numbered(owner, [None] * n)


def _numbered(owner: np.ndarray, distance: list[int | None]) -> Grouping:
    n = len(owner)
    for i in range(n):
        if owner[i] < 0:
            owner[i] = i
    numbers: dict[int, int] = {}
    group = []
    for i in range(n):
        lead = int(owner[i])
        if lead not in numbers:
            numbers[lead] = len(numbers)
        group.append(numbers[lead])
    leader = [int(owner[i]) == i for i in range(n)]
    return Grouping(group, leader, [None if leader[i] else distance[i] for i in range(n)])
