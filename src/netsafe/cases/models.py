"""Tables of the cases workflow: referrals, their risk assessments, exhibits and links, actions, operations.

A case keeps its latest level, deadline and first enforcement action on its own row, so the queue is one
indexed read; every assessment stays in ``case_assessments`` (re-assessment keeps history). The subject
is a pseudonymous label; a name and a year of birth are optional and are the only personal details kept.
Scans and hotline reports are linked by their ids and references, checked through their own workflow's
service, so these tables carry no foreign key into another workflow's tables.
The schema is created by the Alembic migration ``0007_cases``.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from netsafe.store.base import Base, Id, Time


class OperationRow(Base):
    __tablename__ = "operations"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    created: Mapped[datetime] = mapped_column(Time)


class CaseRow(Base):
    __tablename__ = "cases"
    __table_args__ = (Index(None, "status", "level_rank", "deadline"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    reference: Mapped[str] = mapped_column(String(64), unique=True)
    source: Mapped[str] = mapped_column(String(16))  # nca | ncmec | hotline | intelligence | other
    received: Mapped[date] = mapped_column(Date)
    referral_reference: Mapped[str | None] = mapped_column(String(200))
    subject_label: Mapped[str] = mapped_column(String(100))
    subject_name: Mapped[str | None] = mapped_column(String(200))
    subject_birth_year: Mapped[int | None] = mapped_column(Integer)
    officer: Mapped[str | None] = mapped_column(String(200))
    operation_id: Mapped[int | None] = mapped_column(
        ForeignKey("operations.id", ondelete="SET NULL"), index=True
    )
    status: Mapped[str] = mapped_column(String(16))
    created: Mapped[datetime] = mapped_column(Time)
    created_by: Mapped[str] = mapped_column(String(200))
    # The latest assessment's outcome (None until assessed) and the clock it sets.
    level: Mapped[str | None] = mapped_column(String(48))
    level_label: Mapped[str | None] = mapped_column(String(100))
    level_rank: Mapped[int | None] = mapped_column(Integer)
    deadline: Mapped[date | None] = mapped_column(Date)
    first_action: Mapped[date | None] = mapped_column(Date)  # the clock stops here
    closed: Mapped[date | None] = mapped_column(Date)


class AssessmentRow(Base):
    __tablename__ = "case_assessments"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(Time)
    by: Mapped[str] = mapped_column(String(200))
    model_name: Mapped[str] = mapped_column(String(300))
    model_origin: Mapped[str] = mapped_column(String(300))
    model_digest: Mapped[str] = mapped_column(String(64))
    # factor id -> {"answer": yes|no|unknown, "source": where the answer comes from}
    answers: Mapped[dict[str, Any]] = mapped_column(JSON)
    level: Mapped[str] = mapped_column(String(48))
    level_label: Mapped[str] = mapped_column(String(100))
    level_rank: Mapped[int] = mapped_column(Integer)
    rule: Mapped[str | None] = mapped_column(String(48))
    reasons: Mapped[list[str]] = mapped_column(JSON)
    gaps: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    deadline: Mapped[date] = mapped_column(Date)


class ExhibitRow(Base):
    """A device seized or examined (a phone, a laptop), known by its exhibit label."""

    __tablename__ = "case_exhibits"
    __table_args__ = (UniqueConstraint("case_id", "label"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    label: Mapped[str] = mapped_column(String(100))
    added: Mapped[datetime] = mapped_column(Time)


class ScanLinkRow(Base):
    __tablename__ = "case_scan_links"
    __table_args__ = (UniqueConstraint("exhibit_id", "scan_id"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    exhibit_id: Mapped[int] = mapped_column(ForeignKey("case_exhibits.id", ondelete="CASCADE"))
    scan_id: Mapped[int] = mapped_column(BigInteger)
    added: Mapped[datetime] = mapped_column(Time)
    by: Mapped[str] = mapped_column(String(200))


class ReportLinkRow(Base):
    """A hotline report linked by its reference, kept as given."""

    __tablename__ = "case_reports"
    __table_args__ = (UniqueConstraint("case_id", "reference"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    reference: Mapped[str] = mapped_column(String(200))
    added: Mapped[datetime] = mapped_column(Time)
    by: Mapped[str] = mapped_column(String(200))


class ActionRow(Base):
    __tablename__ = "case_actions"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    done_on: Mapped[date] = mapped_column(Date)  # when it was done
    at: Mapped[datetime] = mapped_column(Time)  # when it was recorded
    by: Mapped[str] = mapped_column(String(200))
    offence: Mapped[str | None] = mapped_column(String(32))  # charges only
    counts: Mapped[dict[str, int] | None] = mapped_column(JSON)  # charges: items by category from the scans
    children_safeguarded: Mapped[int] = mapped_column(Integer, default=0)
    devices: Mapped[int] = mapped_column(Integer, default=0)  # seizures
    note: Mapped[str | None] = mapped_column(Text)
