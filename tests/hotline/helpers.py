"""Helpers for the hotline's tests."""

from __future__ import annotations

import hashlib
import io
from datetime import UTC, datetime

from netsafe.hotline.common import get_report
from netsafe.hotline.models import ItemRow
from netsafe.hotline.states import Status
from netsafe.samples import synthetic_photo
from netsafe.store.db import Database

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def put_items(
    db: Database, reference: str, contents: list[bytes], known: dict[int, str] | None = None
) -> list[int]:
    """Items as a capture would store them (without the vault), the report marked captured."""
    ids = []
    with db.session() as session:
        report = get_report(session, reference)
        for n, data in enumerate(contents):
            item = ItemRow(
                report_id=report.id,
                url=f"http://127.0.0.1/{n}.jpg",
                vault_id=None,
                size=len(data),
                kind="image",
                mime="image/jpeg",
                truncated=False,
                sha256=hashlib.sha256(data).hexdigest(),
                md5=hashlib.md5(data).hexdigest(),
                matches=[],
                known_category=(known or {}).get(n),
                captured_at=T0,
            )
            session.add(item)
            session.flush()
            ids.append(item.id)
        report.status = Status.CAPTURED.value
    return ids


def jpeg_bytes(seed: int = 1, size: tuple[int, int] = (640, 480)) -> bytes:
    """A benign generated photograph (netsafe.samples)."""
    buf = io.BytesIO()
    synthetic_photo(seed, *size).save(buf, "JPEG", quality=90)
    return buf.getvalue()
