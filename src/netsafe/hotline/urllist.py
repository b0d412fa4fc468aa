"""The URL list: confirmed URLs still live, for blocking (text, CSV, JSON), and what deterrence reads."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from sqlalchemy import select

from netsafe.errors import InvalidInput
from netsafe.hotline.common import aware
from netsafe.hotline.models import ReportRow
from netsafe.hotline.states import LIVE, Outcome
from netsafe.store.db import Database
from netsafe.textsafe import csv_cell

FORMATS = ("txt", "csv", "json")
FIELDS = ("url", "reference", "host", "category", "country", "confirmed_at")


def live_urls(db: Database) -> list[dict[str, Any]]:
    """One row per live confirmed URL (its first report), oldest confirmation first."""
    with db.session() as session:
        rows = session.scalars(
            select(ReportRow)
            .where(ReportRow.outcome == Outcome.CRIMINAL.value)
            .where(ReportRow.status.in_([s.value for s in LIVE]))
            .order_by(ReportRow.assessed_at, ReportRow.id)
        ).all()
        seen: set[str] = set()
        out = []
        for r in rows:
            if r.normalised_url in seen:
                continue
            seen.add(r.normalised_url)
            confirmed = aware(r.assessed_at)
            out.append(
                {
                    "url": r.normalised_url,
                    "reference": r.reference,
                    "host": r.host,
                    "category": r.category,
                    "country": r.country,
                    "confirmed_at": confirmed.isoformat() if confirmed else None,
                }
            )
        return out


def check_format(text: str) -> str:
    value = text.strip().lower()
    if value not in FORMATS:
        raise InvalidInput(f"format: choose one of {', '.join(FORMATS)}")
    return value


def render(rows: list[dict[str, Any]], fmt: str) -> str:
    fmt = check_format(fmt)
    if fmt == "txt":
        return "".join(r["url"] + "\n" for r in rows)
    if fmt == "json":
        return json.dumps(rows, ensure_ascii=False, indent=None, separators=(",", ":")) + "\n"
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=FIELDS, lineterminator="\n")
    writer.writeheader()
    for r in rows:
        writer.writerow({k: csv_cell(r[k]) for k in FIELDS})  # a URL must never become a formula
    return buf.getvalue()


MEDIA_TYPES = {
    "txt": "text/plain; charset=utf-8",
    "csv": "text/csv; charset=utf-8",
    "json": "application/json",
}
