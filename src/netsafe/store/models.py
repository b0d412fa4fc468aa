"""Tables of the hash sets (sets, entries, votes, removals). The schema itself is created and changed only by
the Alembic migrations in ``migrations/``; a test checks that the tables and the migrated schema agree."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from netsafe.signals.types import ENTRY_SIGNALS
from netsafe.store.base import Base, Id, Time


class HashSetRow(Base):
    __tablename__ = "hash_sets"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    description: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str | None] = mapped_column(Text)
    profile: Mapped[str] = mapped_column(String(64))
    # "match": its matches are known items; "ignore": known-benign files (an NSRL-style list), whose
    # matches are left out of review and of a report's counts.
    kind: Mapped[str] = mapped_column(String(16), default="match", server_default="match")
    version: Mapped[int] = mapped_column(Integer, default=0)
    created: Mapped[datetime] = mapped_column(Time)
    updated: Mapped[datetime] = mapped_column(Time)

    entries: Mapped[list[EntryRow]] = relationship(
        back_populates="hash_set", cascade="all, delete-orphan", passive_deletes=True, lazy="raise"
    )


def _has(column: str) -> Any:
    return text(f"{column} IS NOT NULL")


class EntryRow(Base):
    __tablename__ = "entries"
    __table_args__ = (
        UniqueConstraint("key_digest"),
        # Partial: only the rows that have the signal (migration 0014); lookups by value imply it.
        *(
            Index(
                None,
                column,
                sqlite_where=text(f"{column} IS NOT NULL"),
                postgresql_where=text(f"{column} IS NOT NULL"),
            )
            for column in (*ENTRY_SIGNALS, "photodna_key")
            if column != "photodna"  # looked up by its key form
        ),
        Index(None, "hash_set_id", "updated_version"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    hash_set_id: Mapped[int] = mapped_column(ForeignKey("hash_sets.id", ondelete="CASCADE"))
    # Entry.key(): the identity under which a later import updates this entry instead of adding another.
    key_kind: Mapped[str] = mapped_column(String(16))
    key_value: Mapped[str] = mapped_column(Text)
    # SHA-256 of (set id, key kind, key value): one fixed-size unique column, so "which of these keys exist"
    # is a plain index lookup on every backend, whatever the planner's statistics say mid-import.
    key_digest: Mapped[str] = mapped_column(String(64))
    md5: Mapped[str | None] = mapped_column(String(32))
    sha1: Mapped[str | None] = mapped_column(String(40))
    sha256: Mapped[str | None] = mapped_column(String(64))
    pdq: Mapped[str | None] = mapped_column(String(64))
    photodna: Mapped[str | None] = mapped_column(Text)  # verbatim, hex or base64 as the list carried it
    photodna_key: Mapped[str | None] = mapped_column(String(288))  # its hex form, what exact matching uses
    vpdq: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON(none_as_null=True))
    alternative_hashes: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    source_id: Mapped[str | None] = mapped_column(Text)
    category: Mapped[str | None] = mapped_column(String(32))
    series: Mapped[str | None] = mapped_column(Text)
    victim_identified: Mapped[bool | None] = mapped_column(Boolean)
    offender_identified: Mapped[bool | None] = mapped_column(Boolean)
    distributed: Mapped[bool | None] = mapped_column(Boolean)
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    comments: Mapped[str | None] = mapped_column(Text)
    media_size: Mapped[int | None] = mapped_column(BigInteger)
    mime_type: Mapped[str | None] = mapped_column(String(255))
    media_files: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    first_seen: Mapped[datetime | None] = mapped_column(Time)
    last_seen: Mapped[datetime | None] = mapped_column(Time)
    origin_file: Mapped[str | None] = mapped_column(Text)
    origin_record: Mapped[int | None] = mapped_column(BigInteger)
    extra: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # The hash-set version of the import that added / last changed this entry: lets an index catch up
    # incrementally and lets an import spot a key repeated within its own file in constant memory.
    added_version: Mapped[int] = mapped_column(Integer)
    updated_version: Mapped[int] = mapped_column(Integer)

    hash_set: Mapped[HashSetRow] = relationship(back_populates="entries", lazy="raise")
    votes: Mapped[list[VoteRow]] = relationship(
        back_populates="entry", cascade="all, delete-orphan", passive_deletes=True, lazy="raise"
    )


class VoteRow(Base):
    __tablename__ = "votes"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("entries.id", ondelete="CASCADE"), index=True)
    grader: Mapped[str] = mapped_column(String(200))
    category: Mapped[str | None] = mapped_column(String(32))
    at: Mapped[datetime] = mapped_column(Time)
    disputed: Mapped[bool] = mapped_column(Boolean, default=False)
    comment: Mapped[str | None] = mapped_column(Text)

    entry: Mapped[EntryRow] = relationship(back_populates="votes", lazy="raise")


class RemovedEntryRow(Base):
    """An entry removed from a set at ``version``: what an index built at an older version must forget."""

    __tablename__ = "removed_entries"
    __table_args__ = (Index(None, "hash_set_id", "version"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    hash_set_id: Mapped[int] = mapped_column(ForeignKey("hash_sets.id", ondelete="CASCADE"))
    # No foreign key: the entry row is gone, this record outlives it.
    entry_id: Mapped[int] = mapped_column(Id)
    version: Mapped[int] = mapped_column(Integer)
    removed_at: Mapped[datetime] = mapped_column(Time)
