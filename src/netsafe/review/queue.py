"""A scan's review queue: its unmatched images and videos, grouped by near-duplicates, and its listing.

An item is a distinct content (a scan blob) of kind image or video that matched no hash set, neither a
known one nor an ignore list, and is not in the local graded set already (graded since, in another case).
Matched items never become items, so nothing here can list or serve them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from netsafe.audit.service import Actor, record
from netsafe.errors import InvalidInput, NotFound
from netsafe.review.access import finished_scan, get_scan
from netsafe.review.grouping import group_pdq, group_videos
from netsafe.review.localset import entries_by_sha256, frames_of
from netsafe.review.models import ReviewGroupRow, ReviewItemRow, ReviewQueueRow
from netsafe.review.settings import ReviewSettings
from netsafe.store import Database
from netsafe.store import repositories as repo
from netsafe.triage.models import ScanBlobRow, ScanEventRow, ScanRow
from netsafe.triage.report_json import SIGNAL_FIELDS

MAX_PAGE = 1000
ITEM_STATES = ("open", "graded", "ignored")


class NoSuchGroupError(NotFound):
    pass


class NoSuchItemError(NotFound):
    pass


@dataclass(frozen=True, slots=True)
class QueueInfo:
    scan_id: int
    items: int
    groups: int
    group_distance: int
    built: datetime
    created: bool  # built by this call

    def as_dict(self) -> dict[str, Any]:
        return {
            "scan": self.scan_id,
            "items": self.items,
            "groups": self.groups,
            "group_distance": self.group_distance,
        }


def _aware(at: datetime) -> datetime:
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def ensure_queue(session: Session, actor: Actor, scan_id: int, settings: ReviewSettings) -> QueueInfo:
    """The scan's queue, built now (and audited) if it was not yet. In the caller's transaction."""
    existing = session.get(ReviewQueueRow, scan_id)
    if existing is not None:
        return QueueInfo(
            scan_id, existing.items, existing.groups, existing.group_distance, _aware(existing.built), False
        )
    scan = finished_scan(session, scan_id)
    # Two first listings of one scan at once: the scan's row lock makes the second wait, then find the
    # queue the first built (PostgreSQL; SQLite serialises writers anyway).
    session.execute(update(ScanRow).where(ScanRow.id == scan.id).values(runs=ScanRow.runs))
    again = session.scalars(select(ReviewQueueRow).where(ReviewQueueRow.scan_id == scan.id)).first()
    if again is not None:
        return QueueInfo(scan.id, again.items, again.groups, again.group_distance, _aware(again.built), False)
    blobs = session.execute(
        select(
            ScanBlobRow.id,
            ScanBlobRow.kind,
            ScanBlobRow.sha256,
            ScanBlobRow.pdq,
            ScanBlobRow.vpdq,
            ScanBlobRow.matches,
        )
        .where(ScanBlobRow.scan_id == scan.id, ScanBlobRow.kind.in_(("image", "video")))
        .order_by(ScanBlobRow.first_seq)
    ).all()
    # Matched nothing: neither a known set nor an ignore list.
    blobs = [b for b in blobs if not b.matches]
    graded_elsewhere: set[str] = set()
    local = repo.find_set(session, settings.local_hashset)
    if local is not None:
        graded_elsewhere = set(entries_by_sha256(session, local.id, [b.sha256 for b in blobs]))
    blobs = [b for b in blobs if b.sha256 not in graded_elsewhere]
    images = [b for b in blobs if b.kind == "image"]
    videos = [b for b in blobs if b.kind == "video"]
    by_pdq = group_pdq([b.pdq for b in images], settings.group_distance)
    by_vpdq = group_videos([frames_of(b.vpdq) for b in videos], settings.group_distance)
    # Groups numbered in the walk's order of their leaders, images and videos interleaved as found.
    leaders: list[tuple[int, str, int]] = []  # (first blob position, kind, group index within its kind)
    position = {b.id: n for n, b in enumerate(blobs)}
    for kind, members, grouping in (("image", images, by_pdq), ("video", videos, by_vpdq)):
        for n, blob in enumerate(members):
            if grouping.leader[n]:
                leaders.append((position[blob.id], kind, grouping.group[n]))
    leaders.sort()
    number = {(kind, g): i + 1 for i, (_, kind, g) in enumerate(leaders)}
    if leaders:
        session.execute(
            insert(ReviewGroupRow),
            [{"scan_id": scan.id, "number": number[(k, g)], "kind": k} for _, k, g in leaders],
        )
    ids = dict(
        session.execute(
            select(ReviewGroupRow.number, ReviewGroupRow.id).where(ReviewGroupRow.scan_id == scan.id)
        ).all()
    )
    rows: list[dict[str, Any]] = []
    for kind, members, grouping in (("image", images, by_pdq), ("video", videos, by_vpdq)):
        for n, blob in enumerate(members):
            rows.append(
                {
                    "scan_id": scan.id,
                    "group_id": ids[number[(kind, grouping.group[n])]],
                    "blob_id": blob.id,
                    "leader": grouping.leader[n],
                    "distance": grouping.distance[n],
                    "state": "open",
                    "category": None,
                    "graded_by": None,
                    "graded_at": None,
                }
            )
    for start in range(0, len(rows), 5000):
        session.execute(insert(ReviewItemRow), rows[start : start + 5000])
    built = datetime.now(UTC)
    session.add(
        ReviewQueueRow(
            scan_id=scan.id,
            group_distance=settings.group_distance,
            local_hashset=settings.local_hashset,
            built=built,
            items=len(rows),
            groups=len(leaders),
        )
    )
    record(
        session,
        actor,
        "review.queue",
        f"scan:{scan.id}",
        {
            "items": len(rows),
            "groups": len(leaders),
            "group_distance": settings.group_distance,
            "graded_elsewhere": len(graded_elsewhere),
        },
    )
    return QueueInfo(scan.id, len(rows), len(leaders), settings.group_distance, built, True)


def build_queue(db: Database, actor: Actor, scan_id: int, settings: ReviewSettings) -> QueueInfo:
    """Build the review queue of a finished scan (once: later calls return it as built)."""
    with db.session() as session:
        return ensure_queue(session, actor, scan_id, settings)


# --- listing ---------------------------------------------------------------------------------------------


@dataclass(slots=True)
class ItemView:
    item: int
    group: int
    sha256: str
    size: int
    kind: str
    mime: str | None
    files: int
    leader: bool
    distance: int | None
    state: str
    category: str | None
    graded_by: str | None
    signals: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        return {
            "item": self.item,
            "sha256": self.sha256,
            "size": self.size,
            "kind": self.kind,
            "mime": self.mime,
            "files": self.files,
            "leader": self.leader,
            "distance": self.distance,
            "state": self.state,
            "category": self.category,
            "graded_by": self.graded_by,
            "signals": self.signals,
        }


@dataclass(slots=True)
class GroupView:
    group: int  # the group's id (what grade, ignore and the API's /review/{group_id} take)
    number: int  # its place in the scan's queue, 1-based
    kind: str
    items: list[ItemView] = field(default_factory=list)

    @property
    def files(self) -> int:
        return sum(i.files for i in self.items)

    @property
    def state(self) -> str:
        states = {i.state for i in self.items}
        return states.pop() if len(states) == 1 else "mixed"

    @property
    def category(self) -> str | None:
        cats = {i.category for i in self.items}
        return cats.pop() if len(cats) == 1 else None

    def as_dict(self) -> dict[str, Any]:
        leader = next((i for i in self.items if i.leader), self.items[0] if self.items else None)
        return {
            "group": self.group,
            "number": self.number,
            "kind": self.kind,
            "files": self.files,
            "state": self.state,
            "category": self.category,
            "signals": dict(leader.signals) if leader else {},
            "items": [i.as_dict() for i in self.items],
        }


@dataclass(slots=True)
class GroupPage:
    scan_id: int
    total_groups: int
    total_items: int
    offset: int
    limit: int
    groups: list[GroupView]
    counts: dict[str, int]  # items by state

    def as_dict(self) -> dict[str, Any]:
        return {
            "scan": self.scan_id,
            "total_groups": self.total_groups,
            "total_items": self.total_items,
            "offset": self.offset,
            "limit": self.limit,
            "counts": self.counts,
            "groups": [g.as_dict() for g in self.groups],
        }


# What a listed item's signals show (vPDQ's frames are many: a video's are not listed, only its PDQs' count).
_LISTED = tuple(n for n in SIGNAL_FIELDS if n != "vpdq")


def _signals(row: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"sha256": row.sha256}
    for name in _LISTED:
        value = getattr(row, name)
        if value is not None and name not in out:
            out[name] = value
    return out


def list_groups(
    db: Database,
    actor: Actor,
    scan_id: int,
    settings: ReviewSettings,
    *,
    offset: int = 0,
    limit: int = 100,
    state: str | None = None,
) -> GroupPage:
    """A page of the scan's groups with their items (the queue is built on first use). ``state`` keeps the
    groups with at least one item in that state (open, graded, ignored)."""
    if offset < 0:
        raise InvalidInput(f"offset: must not be negative, got {offset}")
    if not 1 <= limit <= MAX_PAGE:
        raise InvalidInput(f"limit: must be 1-{MAX_PAGE}, got {limit}")
    if state is not None and state not in ITEM_STATES:
        raise InvalidInput(f"state: {state[:20]!r} is not one of {', '.join(ITEM_STATES)}")
    with db.session() as session:
        ensure_queue(session, actor, scan_id, settings)
        counts = {s: 0 for s in ITEM_STATES}
        for s, n in session.execute(
            select(ReviewItemRow.state, func.count())
            .where(ReviewItemRow.scan_id == scan_id)
            .group_by(ReviewItemRow.state)
        ).all():
            counts[s] = int(n)
        groups_q = select(ReviewGroupRow).where(ReviewGroupRow.scan_id == scan_id)
        if state is not None:
            groups_q = groups_q.where(
                ReviewGroupRow.id.in_(
                    select(ReviewItemRow.group_id).where(
                        ReviewItemRow.scan_id == scan_id, ReviewItemRow.state == state
                    )
                )
            )
        total = int(session.scalar(select(func.count()).select_from(groups_q.subquery())) or 0)
        page = list(session.scalars(groups_q.order_by(ReviewGroupRow.number).offset(offset).limit(limit)))
        views = {g.id: GroupView(g.id, g.number, g.kind) for g in page}
        if views:
            for view in _items_of(session, list(views)):
                views[view.group].items.append(view)
        return GroupPage(
            scan_id, total, sum(counts.values()), offset, limit, [views[g.id] for g in page], counts
        )


def _items_of(session: Session, group_ids: Sequence[int]) -> list[ItemView]:
    """The items of these groups as plain rows (no ORM objects: a 1,000-item page builds in a fraction of
    the time), each with its number of locations in the scan."""
    files = (
        select(func.count())
        .where(ScanEventRow.blob_id == ReviewItemRow.blob_id)
        .correlate(ReviewItemRow)
        .scalar_subquery()
    )
    columns = [getattr(ScanBlobRow, n) for n in _LISTED if n != "sha256"]
    rows = session.execute(
        select(
            ReviewItemRow.id,
            ReviewItemRow.group_id,
            ReviewItemRow.leader,
            ReviewItemRow.distance,
            ReviewItemRow.state,
            ReviewItemRow.category,
            ReviewItemRow.graded_by,
            ScanBlobRow.sha256,
            ScanBlobRow.size,
            ScanBlobRow.kind,
            ScanBlobRow.mime,
            *columns,
            files.label("files"),
        )
        .join(ScanBlobRow, ScanBlobRow.id == ReviewItemRow.blob_id)
        .where(ReviewItemRow.group_id.in_(list(group_ids)))
        .order_by(ReviewItemRow.group_id, ReviewItemRow.leader.desc(), ScanBlobRow.first_seq)
    ).all()
    return [
        ItemView(
            item=r.id,
            group=r.group_id,
            sha256=r.sha256,
            size=r.size,
            kind=r.kind or "other",
            mime=r.mime,
            files=int(r.files),
            leader=bool(r.leader),
            distance=r.distance,
            state=r.state,
            category=r.category,
            graded_by=r.graded_by,
            signals=_signals(r),
        )
        for r in rows
    ]


@dataclass(frozen=True, slots=True)
class ItemSource:
    """Where an item's bytes are (for a thumbnail): the blob's first location in the evidence."""

    item: int
    scan_id: int
    group: int
    kind: str
    mime: str | None
    sha256: str
    size: int
    location: list[dict[str, Any]]  # media.location.Location JSON (Location.from_json)
    sources: list[dict[str, Any]]  # the scan's sources, as the scan recorded them


def item_source(db: Database, item_id: int) -> ItemSource:
    """The evidence location of review item ``item_id``. Only queue items exist here, and a queue item is
    unmatched by construction; the check below refuses anyway should a blob ever carry a match."""
    with db.session() as session:
        found = session.execute(
            select(ReviewItemRow, ScanBlobRow)
            .join(ScanBlobRow, ScanBlobRow.id == ReviewItemRow.blob_id)
            .where(ReviewItemRow.id == item_id)
        ).one_or_none()
        if found is None:
            raise NoSuchItemError(f"no review item with id {item_id}")
        item, blob = found
        if blob.matches:
            raise NoSuchItemError(f"no review item with id {item_id}")  # a known item is never served
        location = session.scalars(
            select(ScanEventRow.location)
            .where(ScanEventRow.blob_id == blob.id)
            .order_by(ScanEventRow.seq)
            .limit(1)
        ).one()
        scan = get_scan(session, item.scan_id)
        return ItemSource(
            item.id,
            item.scan_id,
            item.group_id,
            blob.kind or "other",
            blob.mime,
            blob.sha256,
            blob.size,
            location,
            list(scan.sources),
        )


def group_in_scan(db: Database, scan_id: int, group_id: int) -> bool:
    with db.session() as session:
        group = session.get(ReviewGroupRow, group_id)
        return group is not None and group.scan_id == scan_id
