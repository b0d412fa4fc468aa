"""The local graded hash set: every graded item becomes an entry (MD5, SHA-1, SHA-256, PDQ, vPDQ) carrying
its graders' votes, so the next scan of any case matches it without anyone looking again.

An entry's category is what its votes say (``consensus``: three graders agreeing with no dispute make it
trusted, as CAID does); until they agree it is the most severe category voted, so a match is never graded
lighter than a grader saw it. A senior's settlement (recorded with a reason in the entry's ``extra``)
overrides the votes.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from netsafe.hashsets.model import ConsensusResult, Vote, consensus
from netsafe.hashsets.profiles import DEFAULT_PROFILE, GradingProfile, ProfileError
from netsafe.signals.vpdq import VpdqFrame
from netsafe.store import repositories as repo
from netsafe.store.convert import row_to_vote
from netsafe.store.models import EntryRow, HashSetRow, VoteRow
from netsafe.triage.models import ScanRow

# CAID's rule: three graders agreeing and none disputing make a grade trusted.
REQUIRED_VOTES = 3
SETTLED = "settled"


def scan_profile(scan: ScanRow) -> str:
    """The profile a scan's items are graded in: its hash sets' when they share one, else uk-caid."""
    profiles = {s["profile"] for s in scan.hash_sets if s.get("kind", "match") == "match"}
    return profiles.pop() if len(profiles) == 1 else DEFAULT_PROFILE


def local_set(session: Session, name: str, profile: str) -> tuple[HashSetRow, bool]:
    """The local set (created on demand with ``profile``); and whether it was created now."""
    row = repo.find_set(session, name)
    if row is not None:
        return row, False
    created = repo.create_set(
        session,
        name,
        profile,
        description="Items graded in netsafe review: one entry per graded content, with its votes",
        source="netsafe review",
    )
    return created, True


def parse_category(profile: GradingProfile, text: str) -> str:
    """A grader's category (code, label or alias) as the profile's code; InvalidInput for anything else."""
    try:
        code = profile.parse(text)
    except ProfileError:
        code = None
    if code is None:
        raise ProfileError(
            f"category: {text[:40]!r} is not a category of profile {profile.name} "
            f"(use one of {', '.join(profile.codes)})"
        )
    return code


def entries_by_sha256(session: Session, set_id: int, sha256s: Iterable[str]) -> dict[str, EntryRow]:
    wanted = sorted(set(sha256s))
    out: dict[str, EntryRow] = {}
    for start in range(0, len(wanted), repo.BATCH):
        chunk = wanted[start : start + repo.BATCH]
        rows = session.scalars(
            select(EntryRow).where(EntryRow.hash_set_id == set_id, EntryRow.sha256.in_(chunk))
        )
        for row in rows:
            if row.sha256 is not None:
                out[row.sha256] = row
    return out


def votes_of(session: Session, entry_ids: Sequence[int]) -> dict[int, list[Vote]]:
    out: dict[int, list[Vote]] = {i: [] for i in entry_ids}
    for start in range(0, len(entry_ids), repo.BATCH):
        rows = session.scalars(
            select(VoteRow)
            .where(VoteRow.entry_id.in_(list(entry_ids[start : start + repo.BATCH])))
            .order_by(VoteRow.at, VoteRow.id)
        )
        for row in rows:
            out[row.entry_id].append(row_to_vote(row))
    return out


@dataclass(frozen=True, slots=True)
class GradeStatus:
    """Where an entry's grading stands."""

    category: str | None
    trusted: bool
    disputed: bool
    settled: dict[str, Any] | None
    votes: int
    graders: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "category": self.category,
            "trusted": self.trusted,
            "disputed": self.disputed,
            "settled": self.settled,
            "votes": self.votes,
            "graders": self.graders,
        }


def status(extra: dict[str, Any] | None, votes: list[Vote], profile: GradingProfile) -> GradeStatus:
    settled = (extra or {}).get(SETTLED)
    result: ConsensusResult = consensus(votes, required=REQUIRED_VOTES)
    if settled:
        return GradeStatus(settled["category"], True, False, settled, len(votes), result.graders)
    category = result.category
    if category is None and votes:
        category = profile.most_severe([v.category for v in votes if not v.disputed])
    return GradeStatus(category, result.trusted, bool(result.disagreements), None, len(votes), result.graders)


def refresh(session: Session, entry: EntryRow, profile: GradingProfile, version: int) -> GradeStatus:
    """Set the entry's category from its votes, as part of ``version`` (so indexes' category caches move)."""
    votes = votes_of(session, [entry.id])[entry.id]
    now_status = status(entry.extra, votes, profile)
    session.execute(
        update(EntryRow)
        .where(EntryRow.id == entry.id)
        .values(category=now_status.category, updated_version=version)
    )
    return now_status


def add_vote(session: Session, entry_id: int, grader: str, category: str | None, at: datetime) -> int:
    """A vote row; its id (undo removes exactly it)."""
    row = VoteRow(entry_id=entry_id, grader=grader, category=category, at=at, disputed=False)
    session.add(row)
    session.flush()
    return row.id


def frames_of(value: list[dict[str, Any]] | None) -> list[VpdqFrame] | None:
    """vPDQ frames as a scan blob stores them (JSON), as the model's frames."""
    if not value:
        return None
    return [
        VpdqFrame(int(f["frame"]), float(f["timestamp"]), int(f["quality"]), str(f["pdq"])) for f in value
    ]
