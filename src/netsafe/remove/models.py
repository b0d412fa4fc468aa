"""Tables of Remove my image: a young person's request and the hashes their own device computed.

Nothing here identifies the person: no name, no address, no IP, no user agent, no image. A request is a
reference and the Argon2 hash of a short secret the person keeps; its items are hashes only. ``entry_id``
names the hash-set entry an item became (None until it is shared, and again after a withdrawal). A request
whose picture was uploaded for assessment names the hotline report it became (``hotline_report_id``): the
picture itself is only ever in the hotline's vault, sealed, until it is assessed.
The schema is created by the Alembic migrations ``0009_remove`` and ``0011_remove_upload``.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from netsafe.store.base import Base, Id, Time


class RemoveRequestRow(Base):
    __tablename__ = "remove_requests"
    __table_args__ = (Index(None, "status", "created"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    reference: Mapped[str] = mapped_column(String(32), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16))  # received | verified | not_confirmed | withdrawn
    age_under_18: Mapped[bool] = mapped_column(Boolean)
    hash_set: Mapped[str] = mapped_column(String(200))  # the set its hashes went (or go) into
    shared: Mapped[bool] = mapped_column(Boolean)  # whether its hashes are in the set now
    created: Mapped[datetime] = mapped_column(Time)
    updated: Mapped[datetime] = mapped_column(Time)
    verified_by: Mapped[str | None] = mapped_column(String(200))
    hotline_report_id: Mapped[int | None] = mapped_column(
        ForeignKey("hotline_reports.id", ondelete="SET NULL"), index=True
    )


class RemoveItemRow(Base):
    __tablename__ = "remove_items"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("remove_requests.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)  # 1, 2, ... within the request
    md5: Mapped[str | None] = mapped_column(String(32))
    sha256: Mapped[str | None] = mapped_column(String(64))
    pdq: Mapped[str | None] = mapped_column(String(64))
    pdq_quality: Mapped[int | None] = mapped_column(Integer)
    entry_id: Mapped[int | None] = mapped_column(BigInteger)
