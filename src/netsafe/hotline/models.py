"""Tables of the hotline: reports of URLs, what was captured from them, assessments, traces, notices, the
monitor's checks and every change of a report's state.

A report's ``status`` is one of :mod:`netsafe.hotline.states`; every change of it writes a row in
``hotline_history`` and an audit event in the same transaction (``hotline/common.py``). Captured bytes are
never stored here: an item names its encrypted file in the vault (``vault_id``), cleared when the retention
period deletes it. The public form stores no address and no user agent: there is no column for either.
The schema is created by the Alembic migration ``0005_hotline``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from netsafe.store.base import Base, Id, Time


class ReportRow(Base):
    __tablename__ = "hotline_reports"
    __table_args__ = (Index(None, "status", "received_at"), Index(None, "normalised_url"))

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    reference: Mapped[str] = mapped_column(String(32), unique=True)
    url: Mapped[str] = mapped_column(Text)  # as reported
    normalised_url: Mapped[str] = mapped_column(Text)
    host: Mapped[str] = mapped_column(String(255))
    description: Mapped[str | None] = mapped_column(Text)
    email: Mapped[str | None] = mapped_column(String(320))
    source: Mapped[str] = mapped_column(String(200))  # "public" or "partner:<token name>"
    status: Mapped[str] = mapped_column(String(32))
    outcome: Mapped[str | None] = mapped_column(String(32))  # criminal | not_criminal | duplicate | ...
    # A URL already confirmed and still live: the first report of it.
    duplicate_of: Mapped[int | None] = mapped_column(ForeignKey("hotline_reports.id"))
    # Reports of a URL still waiting for assessment point at the first one, which is assessed for all.
    linked_to: Mapped[int | None] = mapped_column(ForeignKey("hotline_reports.id"), index=True)
    final_url: Mapped[str | None] = mapped_column(Text)
    capture_error: Mapped[str | None] = mapped_column(Text)
    criminal: Mapped[bool | None] = mapped_column(Boolean)
    site_type: Mapped[str | None] = mapped_column(String(32))
    category: Mapped[str | None] = mapped_column(String(8))  # most severe of its items
    age_band: Mapped[str | None] = mapped_column(String(8))  # youngest of its items
    country: Mapped[str | None] = mapped_column(String(2))
    route: Mapped[str | None] = mapped_column(String(16))
    abuse_contact: Mapped[str | None] = mapped_column(String(320))
    received_at: Mapped[datetime] = mapped_column(Time)
    captured_at: Mapped[datetime | None] = mapped_column(Time)
    assessed_at: Mapped[datetime | None] = mapped_column(Time)
    traced_at: Mapped[datetime | None] = mapped_column(Time)
    first_notice_at: Mapped[datetime | None] = mapped_column(Time)
    last_notice_at: Mapped[datetime | None] = mapped_column(Time)
    notices_sent: Mapped[int] = mapped_column(Integer, default=0)
    removed_at: Mapped[datetime | None] = mapped_column(Time)
    removed_after_seconds: Mapped[float | None] = mapped_column(Float)
    closed_at: Mapped[datetime | None] = mapped_column(Time)
    next_check_at: Mapped[datetime | None] = mapped_column(Time)


class ItemRow(Base):
    """One thing captured from a report's page: the page itself when it is a picture, or a linked media."""

    __tablename__ = "hotline_items"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("hotline_reports.id", ondelete="CASCADE"), index=True)
    url: Mapped[str] = mapped_column(Text)
    vault_id: Mapped[str | None] = mapped_column(String(128))  # None once purged (or never stored)
    size: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(16))  # image | video | other
    mime: Mapped[str | None] = mapped_column(String(255))
    truncated: Mapped[bool] = mapped_column(Boolean, default=False)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    md5: Mapped[str | None] = mapped_column(String(32))
    pdq: Mapped[str | None] = mapped_column(String(64))
    pdq_quality: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)
    matches: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    # The grade of a graded hash-set entry it matched: the analyst sees this and never the picture.
    known_category: Mapped[str | None] = mapped_column(String(8))
    captured_at: Mapped[datetime] = mapped_column(Time)
    purged_at: Mapped[datetime | None] = mapped_column(Time)


class AssessmentRow(Base):
    """One analyst's assessment of a report; an appeal adds a second row and keeps the first."""

    __tablename__ = "hotline_assessments"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("hotline_reports.id", ondelete="CASCADE"), index=True)
    analyst: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(Time)
    outcome: Mapped[str] = mapped_column(String(32))
    criminal: Mapped[bool] = mapped_column(Boolean)
    site_type: Mapped[str | None] = mapped_column(String(32))
    category: Mapped[str | None] = mapped_column(String(8))
    age_band: Mapped[str | None] = mapped_column(String(8))
    appeal: Mapped[bool] = mapped_column(Boolean, default=False)
    comment: Mapped[str | None] = mapped_column(Text)


class ItemAssessmentRow(Base):
    __tablename__ = "hotline_item_assessments"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    assessment_id: Mapped[int] = mapped_column(
        ForeignKey("hotline_assessments.id", ondelete="CASCADE"), index=True
    )
    item_id: Mapped[int] = mapped_column(ForeignKey("hotline_items.id", ondelete="CASCADE"), index=True)
    category: Mapped[str | None] = mapped_column(String(8))  # None: not indecent
    age_band: Mapped[str | None] = mapped_column(String(8))
    sex: Mapped[str | None] = mapped_column(String(16))
    self_generated: Mapped[bool] = mapped_column(Boolean, default=False)
    commercial: Mapped[bool] = mapped_column(Boolean, default=False)
    hashset: Mapped[str | None] = mapped_column(String(200))  # the set it was added to, as a vote


class TraceRow(Base):
    """One host lookup: every one is kept (a host that moves shows as a new row)."""

    __tablename__ = "hotline_traces"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("hotline_reports.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(Time)
    host: Mapped[str] = mapped_column(String(255))
    ips: Mapped[list[str]] = mapped_column(JSON, default=list)
    country: Mapped[str | None] = mapped_column(String(2))
    asn: Mapped[int | None] = mapped_column(BigInteger)
    organisation: Mapped[str | None] = mapped_column(Text)
    abuse_contact: Mapped[str | None] = mapped_column(String(320))
    route: Mapped[str] = mapped_column(String(16))
    partner: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str | None] = mapped_column(String(32))
    error: Mapped[str | None] = mapped_column(Text)


class NoticeRow(Base):
    """A notice about one report to one contact; the reports sharing ``batch`` went in one email."""

    __tablename__ = "hotline_notices"
    __table_args__ = (Index(None, "status"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("hotline_reports.id", ondelete="CASCADE"), index=True)
    batch: Mapped[str] = mapped_column(String(64), index=True)
    to: Mapped[str] = mapped_column(String(320))
    kind: Mapped[str] = mapped_column(String(16))  # host | partner | police
    attempt: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(32))  # awaiting_authorisation | sent | failed
    created_at: Mapped[datetime] = mapped_column(Time)
    sent_at: Mapped[datetime | None] = mapped_column(Time)
    authorised_by: Mapped[str | None] = mapped_column(String(200))
    error: Mapped[str | None] = mapped_column(Text)


class CheckRow(Base):
    """One re-fetch by the monitor."""

    __tablename__ = "hotline_checks"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("hotline_reports.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(Time)
    removed: Mapped[bool] = mapped_column(Boolean)
    reason: Mapped[str] = mapped_column(Text)


class HistoryRow(Base):
    """A report's change of state: who and when (its audit event carries the same)."""

    __tablename__ = "hotline_history"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("hotline_reports.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(Time)
    actor: Mapped[str] = mapped_column(String(200))
    from_status: Mapped[str | None] = mapped_column(String(32))
    to_status: Mapped[str] = mapped_column(String(32))
    note: Mapped[str | None] = mapped_column(Text)


class MonitorLeaseRow(Base):
    """Which process runs the background monitor: one row, taken by whoever finds it expired, so that one
    worker of ``netsafe serve`` monitors and the others do not."""

    __tablename__ = "hotline_monitor_lease"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    holder: Mapped[str] = mapped_column(String(200))
    until: Mapped[datetime] = mapped_column(Time)


class DailyRow(Base):
    """The statistics' summary of the reports: how many counted under each ``measure`` and ``key`` on each
    UTC ``day`` ("received"/"", "category"/"A", "removal"/"37" tenths of an hour, ...), kept in the same
    transaction as every change of a report (``hotline/daily.py``), so the dashboard adds up a few thousand
    rows instead of scanning a million reports."""

    __tablename__ = "hotline_daily"

    day: Mapped[str] = mapped_column(String(10), primary_key=True)  # YYYY-MM-DD, UTC
    measure: Mapped[str] = mapped_column(String(24), primary_key=True)
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    n: Mapped[int] = mapped_column(BigInteger)


# The summary's upkeep listens to this module's ReportRow; importing it here means no write of a report can
# miss it, whichever module made the change.
from netsafe.hotline import daily as _daily  # noqa: E402, F401
