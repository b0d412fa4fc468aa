"""Tables of deterrence: the URL and keyword lists, their versions, and the counts.

Lists are versioned like hash sets: an entry records the version that added it and the one that removed it
(kept, so an export or a count can name what was listed when). The counts are per list entry, message
variant and day, and nothing else: no address, user agent, query text or cookie is ever written here.
The schema is created by the Alembic migration ``0008_deterrence``.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from netsafe.store.base import Base, Id, Time

Count = BigInteger().with_variant(Integer(), "sqlite")


class DeterrenceListRow(Base):
    __tablename__ = "deterrence_lists"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(16))  # url | keyword
    version: Mapped[int] = mapped_column(Integer, default=0)
    source: Mapped[str | None] = mapped_column(String(200))
    created: Mapped[datetime] = mapped_column(Time)
    updated: Mapped[datetime] = mapped_column(Time)


class DeterrenceEntryRow(Base):
    __tablename__ = "deterrence_entries"
    __table_args__ = (Index(None, "list_id", "removed_version"), Index(None, "list_id", "value"))

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    list_id: Mapped[int] = mapped_column(ForeignKey("deterrence_lists.id", ondelete="CASCADE"))
    # url | prefix | host (URL lists); word | inside (keyword lists: whole words, or inside words too)
    match: Mapped[str] = mapped_column(String(16))
    value: Mapped[str] = mapped_column(Text)  # normalised: what is matched and exported
    original: Mapped[str] = mapped_column(Text)  # as imported
    source: Mapped[str | None] = mapped_column(String(200))
    listed: Mapped[date | None] = mapped_column(Date)
    added_version: Mapped[int] = mapped_column(Integer)
    removed_version: Mapped[int | None] = mapped_column(Integer)


class DeterrenceVersionRow(Base):
    __tablename__ = "deterrence_versions"
    __table_args__ = (UniqueConstraint("list_id", "version"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    list_id: Mapped[int] = mapped_column(ForeignKey("deterrence_lists.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(Time)
    by: Mapped[str] = mapped_column(String(200))
    change: Mapped[str] = mapped_column(String(32))  # import | remove | sync
    added: Mapped[int] = mapped_column(Integer)
    removed: Mapped[int] = mapped_column(Integer)
    note: Mapped[str | None] = mapped_column(String(300))


class DeterrenceCountRow(Base):
    """One cell: a list entry (0: a check that hit nothing), a variant ('' for checks) and a day."""

    __tablename__ = "deterrence_counts"
    __table_args__ = (UniqueConstraint("entry_id", "variant", "day"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    entry_id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"))
    variant: Mapped[str] = mapped_column(String(32))
    day: Mapped[date] = mapped_column(Date)
    checks: Mapped[int] = mapped_column(Count, default=0)
    warnings: Mapped[int] = mapped_column(Count, default=0)
    help_clicks: Mapped[int] = mapped_column(Count, default=0)
