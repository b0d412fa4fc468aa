"""Tables of a triage scan: the checkpoint that lets ``netsafe scan --resume`` finish after a crash.

A scan walks its sources in a stable order and numbers every event (an item or a source issue) ``seq``.
Events are committed in order, in batches, together with the distinct contents (``scan_blobs``) they point
at and the scan's ``next_seq``: after a crash everything below ``next_seq`` is stored exactly once and
nothing above it is, so a resumed scan skips the first ``next_seq`` events and carries on.
The schema is created by the Alembic migration ``0003_triage_scans``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from netsafe.store.base import Base, Id, Time


class ScanRow(Base):
    __tablename__ = "scans"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    out_dir: Mapped[str] = mapped_column(Text, index=True)
    sources: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    options: Mapped[dict[str, Any]] = mapped_column(JSON)
    hash_sets: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    examiner: Mapped[str | None] = mapped_column(Text)
    netsafe_version: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))  # running | finished
    started: Mapped[datetime] = mapped_column(Time)
    finished: Mapped[datetime | None] = mapped_column(Time)
    next_seq: Mapped[int] = mapped_column(BigInteger, default=0)
    # Wall-clock seconds spent scanning over all runs (a resumed scan adds its own).
    elapsed: Mapped[float] = mapped_column(Float, default=0.0)
    runs: Mapped[int] = mapped_column(Integer, default=1)


class ScanBlobRow(Base):
    """One distinct content (size + SHA-256) seen by a scan, hashed once however often it occurs."""

    __tablename__ = "scan_blobs"
    __table_args__ = (UniqueConstraint("scan_id", "sha256", "size"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    scan_id: Mapped[int] = mapped_column(ForeignKey("scans.id", ondelete="CASCADE"))
    first_seq: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(BigInteger)
    md5: Mapped[str | None] = mapped_column(String(32))
    sha1: Mapped[str | None] = mapped_column(String(40))
    kind: Mapped[str | None] = mapped_column(String(16))
    mime: Mapped[str | None] = mapped_column(String(255))
    pdq: Mapped[str | None] = mapped_column(String(64))
    pdq_quality: Mapped[int | None] = mapped_column(Integer)
    vpdq: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(Text)
    matches: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    thumbnail: Mapped[str | None] = mapped_column(Text)  # base64 PNG, unmatched images with --thumbnails


class ScanEventRow(Base):
    """The ``seq``-th thing the walk met: a file at one location (``blob_id``) or an issue (``code``)."""

    __tablename__ = "scan_events"
    __table_args__ = (UniqueConstraint("scan_id", "seq"), Index(None, "blob_id"))

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    scan_id: Mapped[int] = mapped_column(ForeignKey("scans.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(BigInteger)
    blob_id: Mapped[int | None] = mapped_column(ForeignKey("scan_blobs.id", ondelete="CASCADE"))
    location: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    size: Mapped[int | None] = mapped_column(BigInteger)
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    times: Mapped[dict[str, float] | None] = mapped_column(JSON)
    code: Mapped[str | None] = mapped_column(String(32))  # issue code, or "unreadable" for a failed read
    message: Mapped[str | None] = mapped_column(Text)


class ScanTaskRow(Base):
    """One task of a scan run on a Dask cluster: the events ``first_seq`` to ``end_seq`` (exclusive) of one
    source. A task is ``done`` once all its events are stored; a resumed scan runs only the others again
    (their rows are written idempotently, so what a dead worker stored is not stored twice)."""

    __tablename__ = "scan_tasks"
    __table_args__ = (UniqueConstraint("scan_id", "first_seq"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    scan_id: Mapped[int] = mapped_column(ForeignKey("scans.id", ondelete="CASCADE"))
    source: Mapped[int] = mapped_column(Integer)  # index into scans.sources
    source_seq: Mapped[int] = mapped_column(BigInteger)  # seq of the source's first event
    first_seq: Mapped[int] = mapped_column(BigInteger)
    end_seq: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(16))  # pending | done
    worker: Mapped[str | None] = mapped_column(Text)  # the Dask worker's address that finished it
    files: Mapped[int] = mapped_column(BigInteger, default=0)
    bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    seconds: Mapped[float] = mapped_column(Float, default=0.0)
    cpu_seconds: Mapped[float] = mapped_column(Float, default=0.0)
