"""Figures from outside: recorded offences by police force area and year (FOI releases, Home Office open
data). The schema is created by the Alembic migration ``0010_stats``."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from netsafe.store.base import Base, Id, Time


class OffenceRow(Base):
    __tablename__ = "stats_offences"
    __table_args__ = (UniqueConstraint("force", "year", "offence"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    force: Mapped[str] = mapped_column(String(16))  # the reference list's code (stats/forces.py)
    year: Mapped[str] = mapped_column(String(9))  # "2023" or a financial year "2023/24"
    offence: Mapped[str] = mapped_column(String(200))
    count: Mapped[int] = mapped_column(Integer)
    population: Mapped[int | None] = mapped_column(BigInteger)
    imported_at: Mapped[datetime] = mapped_column(Time)
