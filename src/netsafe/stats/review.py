"""The review part of the "triage and review" section: items newly graded by month and category, where the
graded hashes stand (trusted, settled by a senior, disputed and waiting for one, or waiting for more
graders) by hash set, and the seniors' settlements by month. All of it grouped by the database.

A grade is a vote on an entry's hashes (``review/grading.py``); an entry's standing follows the same rule as
``review/localset.status``: settled when a senior settled it; else, over each grader's latest vote,
trusted when at least three agree on one category with no other category and no dispute, disputed when
the votes differ or one disputes, otherwise waiting for more graders.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, literal_column, or_, select
from sqlalchemy.orm import Session

from netsafe.review.localset import REQUIRED_VOTES, SETTLED
from netsafe.review.models import ReviewActionRow, ReviewItemRow
from netsafe.stats import sql
from netsafe.stats.disclosure import Rule
from netsafe.stats.tables import cross, table
from netsafe.store.models import EntryRow, HashSetRow, VoteRow

STANDINGS = ("trusted", "settled", "disputed", "awaiting graders")
UNGRADED = "none"  # a vote of "could not grade"


def review_rows(
    session: Session, times: Any, rule: Rule | None, dialect: str, hashset: str | None = None
) -> list[dict[str, Any]]:
    """``times(column)`` gives the period's conditions on a timestamp column; ``hashset`` keeps the graded
    hashes of that set only."""
    rows: list[dict[str, Any]] = []
    rows += _graded_items(session, times, rule, dialect)
    rows += _standing(session, times, rule, dialect, hashset)
    action = ReviewActionRow
    month = sql.month(action.at, dialect)
    settled = session.execute(
        select(month, func.count()).where(action.action == "settle", *times(action.at)).group_by(month)
    )
    rows += table("settled_by_month", "month", dict(sorted((str(m), int(n)) for m, n in settled)), rule)
    return rows


def _graded_items(session: Session, times: Any, rule: Rule | None, dialect: str) -> list[dict[str, Any]]:
    """Items of the review queues graded now, in the month of their first grade that stands (not undone;
    a settlement counts), by the category they were last graded."""
    action = ReviewActionRow
    standing = or_(and_(action.action == "grade", action.undone.is_(False)), action.action == "settle")
    first = (
        select(action.item_id, func.min(action.at).label("at")).where(standing).group_by(action.item_id)
    ).subquery()
    item = ReviewItemRow
    month = sql.month(first.c.at, dialect)
    category = func.coalesce(item.category, UNGRADED)
    found = session.execute(
        select(month, category, func.count())
        .select_from(item)
        .join(first, first.c.item_id == item.id)
        .where(item.state == "graded", *times(first.c.at))
        .group_by(month, category)
    )
    counts = {(str(m), str(c)): int(n) for m, c, n in found}
    return cross("graded_items_by_month", ("month", "category"), dict(sorted(counts.items())), rule)


def _standing(
    session: Session, times: Any, rule: Rule | None, dialect: str, hashset: str | None
) -> list[dict[str, Any]]:
    """Entries first voted on in the period, by hash set and where their grade stands now."""
    vote = VoteRow
    ranked = select(
        vote.entry_id,
        vote.category,
        vote.disputed,
        func.row_number()
        .over(partition_by=(vote.entry_id, vote.grader), order_by=(vote.at.desc(), vote.id.desc()))
        .label("rank"),
    ).subquery()
    latest = ranked.c.rank == 1
    agreed = func.count(func.distinct(func.coalesce(ranked.c.category, literal_column("'-'"))))
    disputes = func.sum(case((ranked.c.disputed, 1), else_=0))
    per_entry = (
        select(
            ranked.c.entry_id,
            func.count().label("graders"),
            agreed.label("kinds"),
            func.count(ranked.c.category).label("graded"),
            disputes.label("disputes"),
        )
        .where(latest)
        .group_by(ranked.c.entry_id)
    ).subquery()
    first_vote = (select(vote.entry_id, func.min(vote.at).label("at")).group_by(vote.entry_id)).subquery()
    e = per_entry.c
    trusted: ColumnElement[bool] = and_(
        e.graders >= REQUIRED_VOTES, e.kinds == 1, e.graded == e.graders, e.disputes == 0
    )
    disputed: ColumnElement[bool] = or_(e.disputes > 0, e.kinds > 1)
    standing = case(
        (sql.json_has(EntryRow.extra, SETTLED, dialect), "settled"),
        (trusted, "trusted"),
        (disputed, "disputed"),
        else_="awaiting graders",
    )
    found = session.execute(
        select(HashSetRow.name, standing, func.count())
        .select_from(per_entry)
        .join(EntryRow, EntryRow.id == e.entry_id)
        .join(HashSetRow, HashSetRow.id == EntryRow.hash_set_id)
        .join(first_vote, first_vote.c.entry_id == e.entry_id)
        .where(*times(first_vote.c.at), *([HashSetRow.name == hashset] if hashset else []))
        .group_by(HashSetRow.name, standing)
    )
    order = {name: n for n, name in enumerate(STANDINGS)}
    counts = {(str(s), str(st)): int(n) for s, st, n in found}
    ordered = dict(sorted(counts.items(), key=lambda kv: (kv[0][0], order[kv[0][1]])))
    overall = {name: 0 for name in STANDINGS}
    for (_, name), n in counts.items():
        overall[name] += n
    return [
        *table("graded_hashes_by_standing", "standing", overall if counts else {}, rule),
        *cross("graded_hashes_by_set", ("hashset", "standing"), ordered, rule),
    ]
