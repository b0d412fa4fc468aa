"""Between the model's dataclasses (netsafe.hashsets.model) and rows of the store."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from netsafe.hashsets.model import Entry, HashSetInfo, Vote, utc
from netsafe.hashsets.stage_rows import photodna_key
from netsafe.signals.types import ENTRY_SIGNALS
from netsafe.signals.vpdq import VpdqFrame
from netsafe.store.models import EntryRow, HashSetRow, VoteRow

HASH_COLUMNS = ENTRY_SIGNALS  # each entry signal has a column of its name holding its canonical text


def now() -> datetime:
    return datetime.now(UTC)


def aware(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; everything the store writes is UTC."""
    return utc(value)


def entry_values(entry: Entry) -> dict[str, Any]:
    """Column values for ``entry`` (everything but ids, set and versions)."""
    kind, value = entry.key()
    signals = entry.signals
    return {
        "key_kind": kind,
        "key_value": value,
        **{name: signals.get(name) for name in HASH_COLUMNS},
        "photodna_key": photodna_key(signals.get("photodna")),
        "vpdq": None if entry.vpdq is None else [f.as_dict() for f in entry.vpdq],
        "alternative_hashes": dict(entry.alternative_hashes),
        "source_id": entry.source_id,
        "category": entry.category,
        "series": entry.series,
        "victim_identified": entry.victim_identified,
        "offender_identified": entry.offender_identified,
        "distributed": entry.distributed,
        "tags": list(entry.tags),
        "comments": entry.comments,
        "media_size": entry.media_size,
        "mime_type": entry.mime_type,
        "media_files": list(entry.media_files),
        "first_seen": utc(entry.first_seen),
        "last_seen": utc(entry.last_seen),
        "origin_file": entry.origin_file,
        "origin_record": entry.origin_record,
        "extra": dict(entry.extra),
    }


def row_to_entry(row: EntryRow) -> Entry:
    signals = {name: getattr(row, name) for name in HASH_COLUMNS if getattr(row, name) is not None}
    vpdq = None
    if row.vpdq is not None:
        vpdq = [
            VpdqFrame(
                frame=int(f["frame"]),
                timestamp=float(f["timestamp"]),
                quality=int(f["quality"]),
                pdq=str(f["pdq"]),
            )
            for f in row.vpdq
        ]
    return Entry(
        signals=signals,
        vpdq=vpdq,
        alternative_hashes=dict(row.alternative_hashes or {}),
        source_id=row.source_id,
        category=row.category,
        series=row.series,
        victim_identified=row.victim_identified,
        offender_identified=row.offender_identified,
        distributed=row.distributed,
        tags=list(row.tags or []),
        comments=row.comments,
        media_size=row.media_size,
        mime_type=row.mime_type,
        media_files=list(row.media_files or []),
        first_seen=aware(row.first_seen),
        last_seen=aware(row.last_seen),
        origin_file=row.origin_file,
        origin_record=row.origin_record,
        extra=dict(row.extra or {}),
    )


def set_info(row: HashSetRow, entry_count: int) -> HashSetInfo:
    return HashSetInfo(
        name=row.name,
        profile=row.profile,
        description=row.description,
        source=row.source,
        version=row.version,
        created=aware(row.created),
        updated=aware(row.updated),
        entry_count=entry_count,
        kind=row.kind or "match",
    )


def row_to_vote(row: VoteRow) -> Vote:
    at = aware(row.at)
    assert at is not None
    return Vote(grader=row.grader, category=row.category, at=at, disputed=row.disputed, comment=row.comment)
