"""Tables of the review of a scan: its queue (groups of near-duplicate unknown items), what each grader did
(for undo and the record), per-user review settings and exposure.

The grades themselves live as votes on entries of the local graded hash set (``store/models.py``): this
package keeps only what review needs on top. The schema is created by the Alembic migration ``0006_review``.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from netsafe.store.base import Base, Id, Time


class ReviewQueueRow(Base):
    """That a scan's queue was built, and with which grouping distance."""

    __tablename__ = "review_queues"

    scan_id: Mapped[int] = mapped_column(ForeignKey("scans.id", ondelete="CASCADE"), primary_key=True)
    group_distance: Mapped[int] = mapped_column(Integer)
    local_hashset: Mapped[str] = mapped_column(String(200))
    built: Mapped[datetime] = mapped_column(Time)
    items: Mapped[int] = mapped_column(Integer)
    groups: Mapped[int] = mapped_column(Integer)


class ReviewGroupRow(Base):
    """Near-duplicates graded by one decision: every member is within the distance of the group's leader."""

    __tablename__ = "review_groups"
    __table_args__ = (UniqueConstraint("scan_id", "number"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    scan_id: Mapped[int] = mapped_column(ForeignKey("scans.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)  # 1-based within the scan, in the walk's order
    kind: Mapped[str] = mapped_column(String(16))  # image | video


class ReviewItemRow(Base):
    """One unmatched image or video (a distinct content) of the scan, in one group."""

    __tablename__ = "review_items"
    __table_args__ = (UniqueConstraint("scan_id", "blob_id"), Index(None, "group_id"))

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    scan_id: Mapped[int] = mapped_column(ForeignKey("scans.id", ondelete="CASCADE"))
    group_id: Mapped[int] = mapped_column(ForeignKey("review_groups.id", ondelete="CASCADE"))
    blob_id: Mapped[int] = mapped_column(ForeignKey("scan_blobs.id", ondelete="CASCADE"))
    leader: Mapped[bool] = mapped_column(Boolean, default=False)
    distance: Mapped[int | None] = mapped_column(Integer)  # PDQ bits to the group's leader
    state: Mapped[str] = mapped_column(String(16))  # open | graded | ignored
    category: Mapped[str | None] = mapped_column(String(32))
    graded_by: Mapped[str | None] = mapped_column(String(200))
    graded_at: Mapped[datetime | None] = mapped_column(Time)


class ReviewActionRow(Base):
    """One item's part in a grader's action; one action's rows share ``batch`` and are undone together."""

    __tablename__ = "review_actions"
    __table_args__ = (Index(None, "scan_id", "user", "id"), Index(None, "batch"))

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    scan_id: Mapped[int] = mapped_column(ForeignKey("scans.id", ondelete="CASCADE"))
    batch: Mapped[str] = mapped_column(String(32))
    user: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(16))  # grade | ignore
    item_id: Mapped[int] = mapped_column(ForeignKey("review_items.id", ondelete="CASCADE"))
    # No foreign keys: the vote and the entry may be gone (a set deleted); the record outlives them.
    vote_id: Mapped[int | None] = mapped_column(Id)
    entry_id: Mapped[int | None] = mapped_column(Id)
    entry_created: Mapped[bool] = mapped_column(Boolean, default=False)
    prev_state: Mapped[str] = mapped_column(String(16))
    prev_category: Mapped[str | None] = mapped_column(String(32))
    prev_graded_by: Mapped[str | None] = mapped_column(String(200))
    prev_graded_at: Mapped[datetime | None] = mapped_column(Time)
    at: Mapped[datetime] = mapped_column(Time)
    undone: Mapped[bool] = mapped_column(Boolean, default=False)


class ReviewPrefsRow(Base):
    """A user's review settings: how thumbnails are shown to them."""

    __tablename__ = "review_prefs"

    user: Mapped[str] = mapped_column(String(200), primary_key=True)
    blur: Mapped[int] = mapped_column(Integer)
    colour: Mapped[bool] = mapped_column(Boolean)
    size: Mapped[int] = mapped_column(Integer)
    updated: Mapped[datetime] = mapped_column(Time)


class ReviewExposureRow(Base):
    """What one user saw on one UTC day: items unblurred and seconds in review."""

    __tablename__ = "review_exposure"
    __table_args__ = (UniqueConstraint("user", "day"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    user: Mapped[str] = mapped_column(String(200))
    day: Mapped[str] = mapped_column(String(10))  # YYYY-MM-DD, UTC: the same text on every backend
    unblurred: Mapped[int] = mapped_column(Integer, default=0)
    seconds: Mapped[float] = mapped_column(Float, default=0.0)
