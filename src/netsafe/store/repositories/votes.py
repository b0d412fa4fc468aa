"""Reading and writing graders' votes on entries, and the consensus they reach. Every function takes the
caller's session, so the caller decides the transaction."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from netsafe.hashsets.model import ConsensusResult, Vote, consensus, utc
from netsafe.hashsets.profiles import load_profile
from netsafe.store.convert import row_to_vote
from netsafe.store.models import EntryRow, HashSetRow, VoteRow
from netsafe.store.repositories.sets import NotFoundError


def add_vote(session: Session, entry_id: int, vote: Vote) -> None:
    hash_set_profile = session.execute(
        select(HashSetRow.profile).join(EntryRow.hash_set).where(EntryRow.id == entry_id)
    ).scalar_one_or_none()
    if hash_set_profile is None:
        raise NotFoundError(f"no entry with id {entry_id}")
    if vote.category is not None:
        load_profile(hash_set_profile).category(vote.category)  # ProfileError for a code the set lacks
    session.add(
        VoteRow(
            entry_id=entry_id,
            grader=vote.grader,
            category=vote.category,
            at=utc(vote.at),
            disputed=vote.disputed,
            comment=vote.comment,
        )
    )
    session.flush()


def votes_for(session: Session, entry_id: int) -> list[Vote]:
    rows = session.scalars(
        select(VoteRow).where(VoteRow.entry_id == entry_id).order_by(VoteRow.at, VoteRow.id)
    )
    return [row_to_vote(r) for r in rows]


def consensus_for(session: Session, entry_id: int, required: int = 3) -> ConsensusResult:
    return consensus(votes_for(session, entry_id), required=required)


def disagreements(session: Session, hash_set_id: int, required: int = 3) -> list[tuple[int, ConsensusResult]]:
    """Entries of the set whose votes disagree or dispute: what a grading lead must look at."""
    voted = session.scalars(
        select(VoteRow.entry_id)
        .join(EntryRow, EntryRow.id == VoteRow.entry_id)
        .where(EntryRow.hash_set_id == hash_set_id)
        .distinct()
        .order_by(VoteRow.entry_id)
    ).all()
    out: list[tuple[int, ConsensusResult]] = []
    for entry_id in voted:
        result = consensus_for(session, entry_id, required)
        if result.disagreements:
            out.append((entry_id, result))
    return out
