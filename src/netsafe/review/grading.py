"""Grading: a grade is a vote by a user on an item's hashes, kept as an entry of the local graded set.

One operation, one transaction: the grader's role is checked, the items and the local set change, the
grader's action is recorded (so ``undo_last`` can take it back) and the audit event is written, or none of
it happens. A trusted grade (three graders agreeing, or a senior's settlement) is not changed by a grade
that disagrees: only ``settle``, by a user with ``review:settle``, with a recorded reason.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from netsafe.accounts.roles import Permission
from netsafe.audit.service import Actor, record
from netsafe.errors import Conflict, InvalidInput
from netsafe.hashsets.model import Entry
from netsafe.hashsets.profiles import GradingProfile, ProfileError, load_profile
from netsafe.review.access import Reviewer, get_scan, reviewer
from netsafe.review.csvgrades import GradesFileError, read_grades
from netsafe.review.localset import (
    SETTLED,
    GradeStatus,
    add_vote,
    entries_by_sha256,
    frames_of,
    local_set,
    parse_category,
    refresh,
    scan_profile,
    status,
    votes_of,
)
from netsafe.review.models import ReviewActionRow, ReviewGroupRow, ReviewItemRow
from netsafe.review.queue import NoSuchGroupError, NoSuchItemError, ensure_queue
from netsafe.review.settings import ReviewSettings
from netsafe.signals.types import COMPUTED_SIGNALS, REGISTRY
from netsafe.store import Database
from netsafe.store import repositories as repo
from netsafe.store.models import EntryRow, HashSetRow, VoteRow
from netsafe.triage.models import ScanBlobRow

MAX_ITEMS = 10_000  # items one action may grade (a bigger batch is an import)
MAX_REASON = 1000
AUDITED_IDS = 100


class TrustedGradeError(Conflict):
    pass


class NothingToUndoError(Conflict):
    pass


@dataclass(slots=True)
class GradeResult:
    scan_id: int
    action: str  # grade | ignore
    user: str
    category: str | None
    items: list[int]
    hashset: str | None = None
    version: int | None = None
    added: int = 0  # new entries in the local set
    trusted: int = 0  # of the graded items, those whose grade is now trusted
    disputed: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "scan": self.scan_id,
            "action": self.action,
            "user": self.user,
            "category": self.category,
            "items": len(self.items),
            "item_ids": self.items,
            "hashset": self.hashset,
            "version": self.version,
            "added": self.added,
            "trusted": self.trusted,
            "disputed": self.disputed,
        }


def now() -> datetime:
    return datetime.now(UTC)


def _items(
    session: Session, group_id: int | None, item_ids: Sequence[int]
) -> tuple[int, list[tuple[ReviewItemRow, ScanBlobRow]]]:
    """The scan and the items an action is about: a group's, or the given ones (of one scan)."""
    if (group_id is None) == (not item_ids):
        raise InvalidInput("give a group or item ids, not both and not neither")
    if len(item_ids) > MAX_ITEMS:
        raise InvalidInput(f"{len(item_ids):,} items in one action: at most {MAX_ITEMS:,}")
    query = select(ReviewItemRow, ScanBlobRow).join(ScanBlobRow, ScanBlobRow.id == ReviewItemRow.blob_id)
    if group_id is not None:
        if session.get(ReviewGroupRow, group_id) is None:
            raise NoSuchGroupError(f"no review group with id {group_id}")
        query = query.where(ReviewItemRow.group_id == group_id)
    else:
        query = query.where(ReviewItemRow.id.in_(sorted(set(item_ids))))
    found = [(i, b) for i, b in session.execute(query.order_by(ReviewItemRow.id)).all()]
    if item_ids:
        missing = sorted(set(item_ids) - {i.id for i, _ in found})
        if missing:
            raise NoSuchItemError(f"no review item with id {missing[0]}")
    scans = {i.scan_id for i, _ in found}
    if len(scans) != 1:
        raise InvalidInput("the items of one action must belong to one scan")
    return scans.pop(), found


def _entry(blob: ScanBlobRow, category: str, scan_id: int) -> Entry:
    signals = {
        name: getattr(blob, name)
        for name in COMPUTED_SIGNALS
        if REGISTRY[name].in_entries and getattr(blob, name, None)
    }
    return Entry(
        signals=signals,
        vpdq=frames_of(blob.vpdq),
        category=category,
        media_size=blob.size,
        mime_type=blob.mime,
        origin_file="review",
        extra={"scan": scan_id},
    )


def _local(session: Session, settings: ReviewSettings, scan_id: int) -> tuple[HashSetRow, GradingProfile]:
    scan = get_scan(session, scan_id)
    row, _ = local_set(session, settings.local_hashset, scan_profile(scan))
    return row, load_profile(row.profile)


def categories_of(db: Database, settings: ReviewSettings, scan_id: int) -> list[tuple[str, str]]:
    """The categories a scan's items are graded in, ``(code, label)`` in the profile's order: the grid's
    keys. The local set's profile once it exists, else the scan's."""
    with db.session() as session:
        scan = get_scan(session, scan_id)
        row = repo.find_set(session, settings.local_hashset)
        profile = load_profile(row.profile if row is not None else scan_profile(scan))
        return [(c.code, c.label) for c in profile.categories]


def _apply(
    session: Session,
    actor: Actor,
    settings: ReviewSettings,
    who: Reviewer,
    scan_id: int,
    found: list[tuple[ReviewItemRow, ScanBlobRow]],
    category_text: str | None,
    what: str,
    details: dict[str, Any] | None = None,
    batch: str | None = None,
) -> GradeResult:
    """Grade (``category_text`` given) or ignore the items, in the caller's transaction; ``batch`` names
    the action undo takes back as one (a new one by default)."""
    at = now()
    batch = batch or secrets.token_hex(8)
    result = GradeResult(scan_id, "grade" if category_text is not None else "ignore", who.name, None, [])
    actions: list[ReviewActionRow] = []
    entry_of: dict[int, tuple[int, bool, int]] = {}  # item id -> (entry id, created, vote id)
    if category_text is not None:
        local, profile = _local(session, settings, scan_id)
        code = parse_category(profile, category_text)
        result.category, result.hashset = code, local.name
        # The set's version first: its row lock serialises graders of one set, so what is read next
        # (which contents have an entry, their votes) cannot change before this transaction commits.
        version = repo.next_version(session, local)
        existing = entries_by_sha256(session, local.id, [b.sha256 for _, b in found])
        votes = votes_of(session, [e.id for e in existing.values()])
        for item, blob in found:
            entry = existing.get(blob.sha256)
            if entry is None:
                continue
            now_status = status(entry.extra, votes[entry.id], profile)
            if now_status.trusted and now_status.category != code:
                raise TrustedGradeError(
                    f"item {item.id} has the trusted grade {now_status.category}: a senior changes it "
                    "with a reason (review settle)"
                )
        new = [(i, b) for i, b in found if b.sha256 not in existing]
        unique: dict[str, ScanBlobRow] = {b.sha256: b for _, b in new}
        if unique:
            entries = [_entry(b, code, scan_id) for b in unique.values()]
            repo.upsert_entries(session, local.id, version, entries)
            existing.update(entries_by_sha256(session, local.id, list(unique)))
            result.added = len(unique)
        created = set(unique)
        statuses: dict[int, GradeStatus] = {}
        for item, blob in found:
            entry = existing[blob.sha256]
            vote_id = add_vote(session, entry.id, who.name, code, at)
            entry_of[item.id] = (entry.id, blob.sha256 in created, vote_id)
            created.discard(blob.sha256)  # the first item of a content created it; undo removes it once
        for entry in {e.id: e for e in existing.values()}.values():
            statuses[entry.id] = refresh(session, entry, profile, version)
        result.version = version
        result.trusted = sum(1 for i, _ in found if statuses[entry_of[i.id][0]].trusted)
        result.disputed = sum(1 for i, _ in found if statuses[entry_of[i.id][0]].disputed)
    for item, _ in found:
        linked: tuple[int | None, bool, int | None] = entry_of.get(item.id, (None, False, None))
        linked_entry, created_entry, linked_vote = linked
        actions.append(
            ReviewActionRow(
                scan_id=scan_id,
                batch=batch,
                user=who.name,
                action=result.action,
                item_id=item.id,
                vote_id=linked_vote,
                entry_id=linked_entry,
                entry_created=created_entry,
                prev_state=item.state,
                prev_category=item.category,
                prev_graded_by=item.graded_by,
                prev_graded_at=item.graded_at,
                at=at,
                undone=False,
            )
        )
        item.state = "graded" if category_text is not None else "ignored"
        item.category = result.category
        item.graded_by = who.name
        item.graded_at = at
        result.items.append(item.id)
    session.add_all(actions)
    session.flush()
    record(
        session,
        actor,
        f"review.{what}",
        f"scan:{scan_id}",
        {
            "user": who.name,
            "category": result.category,
            "items": len(result.items),
            "item_ids": result.items[:AUDITED_IDS],
            "hashset": result.hashset,
            "version": result.version,
            "added": result.added,
            **(details or {}),
        },
    )
    return result


def grade(
    db: Database,
    actor: Actor,
    settings: ReviewSettings,
    *,
    user: str,
    category: str,
    group_id: int | None = None,
    item_ids: Sequence[int] = (),
) -> GradeResult:
    """Grade a whole group (``group_id``) or some items: a vote by ``user`` on each item's hashes."""
    with db.session() as session:
        who = reviewer(session, user)
        scan_id, found = _items(session, group_id, item_ids)
        extra = {"group": group_id} if group_id is not None else {}
        return _apply(session, actor, settings, who, scan_id, found, category, "grade", extra)


def ignore(
    db: Database,
    actor: Actor,
    settings: ReviewSettings,
    *,
    user: str,
    group_id: int | None = None,
    item_ids: Sequence[int] = (),
) -> GradeResult:
    """Mark a group or items as ignore (not pertinent, nothing to grade): out of the queue and the counts,
    and no vote in the local set."""
    with db.session() as session:
        who = reviewer(session, user)
        scan_id, found = _items(session, group_id, item_ids)
        extra = {"group": group_id} if group_id is not None else {}
        return _apply(session, actor, settings, who, scan_id, found, None, "ignore", extra)


@dataclass(slots=True)
class UndoResult:
    scan_id: int
    user: str
    action: str
    items: list[int]
    removed_entries: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "scan": self.scan_id,
            "user": self.user,
            "undone": self.action,
            "items": len(self.items),
            "item_ids": self.items,
            "removed_entries": self.removed_entries,
        }


def undo_last(db: Database, actor: Actor, settings: ReviewSettings, *, user: str, scan_id: int) -> UndoResult:
    """Take back ``user``'s last grade or ignore in the scan: their votes go, the items are as before, and
    an entry their grade created (and nobody voted on since) leaves the local set."""
    with db.session() as session:
        who = reviewer(session, user)
        get_scan(session, scan_id)
        last = session.scalars(
            select(ReviewActionRow.batch)
            .where(
                ReviewActionRow.scan_id == scan_id,
                ReviewActionRow.user == who.name,
                ReviewActionRow.undone.is_(False),
            )
            .order_by(ReviewActionRow.id.desc())
            .limit(1)
        ).first()
        if last is None:
            raise NothingToUndoError(f"user {who.name!r} has nothing to undo in scan {scan_id}")
        rows = list(
            session.scalars(
                select(ReviewActionRow).where(ReviewActionRow.batch == last).order_by(ReviewActionRow.id)
            )
        )
        result = UndoResult(scan_id, who.name, rows[0].action, [])
        vote_ids = [r.vote_id for r in rows if r.vote_id is not None]
        if vote_ids:
            session.execute(delete(VoteRow).where(VoteRow.id.in_(vote_ids)))
        entry_ids = sorted({r.entry_id for r in rows if r.entry_id is not None})
        if entry_ids:
            local = repo.find_set(session, settings.local_hashset)
            if local is not None:
                profile = load_profile(local.profile)
                left = votes_of(session, entry_ids)
                gone = [
                    r.entry_id
                    for r in rows
                    if r.entry_created and r.entry_id is not None and not left.get(r.entry_id)
                ]
                present = set(
                    session.scalars(
                        select(EntryRow.id).where(
                            EntryRow.id.in_(entry_ids), EntryRow.hash_set_id == local.id
                        )
                    )
                )
                gone = [e for e in gone if e in present]
                if gone:
                    repo.remove_entries(session, local, gone)  # a new version, recorded for the indexes
                    result.removed_entries = len(gone)
                version = repo.next_version(session, local)
                for entry in session.scalars(
                    select(EntryRow).where(EntryRow.id.in_(sorted(present - set(gone))))
                ):
                    refresh(session, entry, profile, version)
        for r in rows:
            item = session.get(ReviewItemRow, r.item_id)
            if item is not None:
                item.state, item.category = r.prev_state, r.prev_category
                item.graded_by, item.graded_at = r.prev_graded_by, r.prev_graded_at
                result.items.append(item.id)
            r.undone = True
        session.flush()
        record(
            session,
            actor,
            "review.undo",
            f"scan:{scan_id}",
            {
                "user": who.name,
                "undone": result.action,
                "items": len(result.items),
                "item_ids": result.items[:AUDITED_IDS],
                "removed_entries": result.removed_entries,
            },
        )
        return result


@dataclass(slots=True)
class SettleResult:
    item: int
    sha256: str
    category: str
    previous: str | None
    reason: str
    user: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "item": self.item,
            "sha256": self.sha256,
            "category": self.category,
            "previous": self.previous,
            "reason": self.reason,
            "user": self.user,
        }


def settle(
    db: Database,
    actor: Actor,
    settings: ReviewSettings,
    *,
    user: str,
    item_id: int,
    category: str,
    reason: str,
) -> SettleResult:
    """A senior's decision on a graded item (a dispute, or a change to a trusted grade), with the reason
    recorded on the entry, as a vote and in the audit log. Needs ``review:settle``."""
    text = " ".join(reason.split())
    if not text:
        raise InvalidInput("reason: say why the grade is settled this way (it is recorded)")
    if len(text) > MAX_REASON:
        raise InvalidInput(f"reason: at most {MAX_REASON} characters, got {len(text)}")
    with db.session() as session:
        who = reviewer(session, user, Permission.REVIEW_SETTLE)
        scan_id, [(item, blob)] = _items(session, None, [item_id])
        local, profile = _local(session, settings, scan_id)
        code = parse_category(profile, category)
        entry = entries_by_sha256(session, local.id, [blob.sha256]).get(blob.sha256)
        if entry is None:
            raise NoSuchItemError(f"item {item_id} has no grade to settle: grade it first")
        previous = status(entry.extra, votes_of(session, [entry.id])[entry.id], profile).category
        at = now()
        vote_id = add_vote(session, entry.id, who.name, code, at)
        session.execute(
            update(VoteRow).where(VoteRow.id == vote_id).values(comment=f"settled: {text}"[:MAX_REASON])
        )
        extra = dict(entry.extra or {})
        extra[SETTLED] = {"by": who.name, "category": code, "reason": text, "at": at.isoformat()}
        version = repo.next_version(session, local)
        session.execute(update(EntryRow).where(EntryRow.id == entry.id).values(extra=extra))
        session.refresh(entry)
        refresh(session, entry, profile, version)
        session.add(
            ReviewActionRow(
                scan_id=scan_id,
                batch=secrets.token_hex(8),
                user=who.name,
                action="settle",
                item_id=item.id,
                vote_id=vote_id,
                entry_id=entry.id,
                entry_created=False,
                prev_state=item.state,
                prev_category=item.category,
                prev_graded_by=item.graded_by,
                prev_graded_at=item.graded_at,
                at=at,
                undone=True,  # a settlement is not undone by "undo": settle again, with a reason
            )
        )
        item.state, item.category, item.graded_by, item.graded_at = "graded", code, who.name, at
        record(
            session,
            actor,
            "review.settle",
            f"scan:{scan_id}",
            {
                "user": who.name,
                "item": item.id,
                "entry": entry.id,
                "category": code,
                "previous": previous,
                "reason": text,
            },
        )
        return SettleResult(item.id, blob.sha256, code, previous, text, who.name)


@dataclass(slots=True)
class Dispute:
    """An entry of the local set whose graders disagree, with the review items that show it."""

    entry_id: int
    sha256: str | None
    category: str | None
    votes: list[dict[str, Any]]
    items: list[dict[str, int]] = field(default_factory=list)  # {"scan", "item"}

    def as_dict(self) -> dict[str, Any]:
        return {
            "entry": self.entry_id,
            "sha256": self.sha256,
            "category": self.category,
            "votes": self.votes,
            "items": self.items,
        }


def disputes(db: Database, settings: ReviewSettings, *, user: str) -> list[Dispute]:
    """Disputed grades of the local set, not yet settled: for a senior (``review:settle``) to settle."""
    with db.session() as session:
        reviewer(session, user, Permission.REVIEW_SETTLE)
        local = repo.find_set(session, settings.local_hashset)
        if local is None:
            return []
        profile = load_profile(local.profile)
        voted = sorted(
            set(
                session.scalars(
                    select(VoteRow.entry_id)
                    .join(EntryRow, EntryRow.id == VoteRow.entry_id)
                    .where(EntryRow.hash_set_id == local.id)
                )
            )
        )
        votes = votes_of(session, voted)
        out: list[Dispute] = []
        for entry in session.scalars(select(EntryRow).where(EntryRow.id.in_(voted)).order_by(EntryRow.id)):
            now_status = status(entry.extra, votes[entry.id], profile)
            if not now_status.disputed:
                continue
            out.append(
                Dispute(
                    entry.id,
                    entry.sha256,
                    now_status.category,
                    [
                        {"grader": v.grader, "category": v.category, "at": v.at.isoformat()}
                        for v in votes[entry.id]
                    ],
                )
            )
        by_sha = {d.sha256: d for d in out}
        if by_sha:
            for item_id, scan_id, sha in session.execute(
                select(ReviewItemRow.id, ReviewItemRow.scan_id, ScanBlobRow.sha256)
                .join(ScanBlobRow, ScanBlobRow.id == ReviewItemRow.blob_id)
                .where(ScanBlobRow.sha256.in_([s for s in by_sha if s]))
                .order_by(ReviewItemRow.id)
            ).all():
                by_sha[sha].items.append({"scan": scan_id, "item": item_id})
        return out


@dataclass(slots=True)
class ImportResult:
    scan_id: int
    user: str
    lines: int
    items: int
    by_category: dict[str, int]
    added: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "scan": self.scan_id,
            "user": self.user,
            "lines": self.lines,
            "items": self.items,
            "by_category": self.by_category,
            "added": self.added,
        }


def import_grades(
    db: Database,
    actor: Actor,
    settings: ReviewSettings,
    *,
    user: str,
    scan_id: int,
    data: bytes | str,
    name: str = "grades.csv",
) -> ImportResult:
    """Grades made in another tool (``grades.csv``: sha256 or md5, category) as votes by ``user`` on the
    scan's review items: all or nothing, the first bad line named (file, line, field)."""
    lines = read_grades(data, name)
    with db.session() as session:
        who = reviewer(session, user)
        ensure_queue(session, actor, scan_id, settings)
        _, profile = _local(session, settings, scan_id)
        found = session.execute(
            select(ReviewItemRow, ScanBlobRow)
            .join(ScanBlobRow, ScanBlobRow.id == ReviewItemRow.blob_id)
            .where(ReviewItemRow.scan_id == scan_id)
        ).all()
        by_hash: dict[tuple[str, str], tuple[ReviewItemRow, ScanBlobRow]] = {}
        for item, blob in found:
            by_hash[("sha256", blob.sha256)] = (item, blob)
            if blob.md5:
                by_hash[("md5", blob.md5)] = (item, blob)
        chosen: dict[int, tuple[str, int]] = {}  # item id -> (category code, line)
        rows: dict[str, list[tuple[ReviewItemRow, ScanBlobRow]]] = {}
        for line in lines:
            pair = by_hash.get((line.signal, line.value))
            if pair is None:
                raise GradesFileError(
                    f"{name}:{line.line}: field {line.signal}: no review item of scan {scan_id} has this "
                    "hash (matched, not an image or video, or from another scan)"
                )
            try:
                code = parse_category(profile, line.category)
            except ProfileError as err:
                raise GradesFileError(f"{name}:{line.line}: field {err}") from None
            item = pair[0]
            if item.id in chosen and chosen[item.id][0] != code:
                raise GradesFileError(
                    f"{name}:{line.line}: field category: {code} for an item line {chosen[item.id][1]} "
                    f"grades {chosen[item.id][0]}"
                )
            if item.id not in chosen:
                chosen[item.id] = (code, line.line)
                rows.setdefault(code, []).append(pair)
        added = 0
        batch = secrets.token_hex(8)  # one import, one undo
        for code in sorted(rows):
            result = _apply(
                session,
                actor,
                settings,
                who,
                scan_id,
                rows[code],
                code,
                "import",
                {"file": name[:200]},
                batch,
            )
            added += result.added
        return ImportResult(
            scan_id,
            who.name,
            len(lines),
            len(chosen),
            {code: len(items) for code, items in sorted(rows.items())},
            added,
        )
