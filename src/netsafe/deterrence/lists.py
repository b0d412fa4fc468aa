"""The URL and keyword lists as a service: import, remove, sync from the hotline, and read them.

Each change is one transaction with its audit event and a new version of the list (its version row says
what changed, when and by whom); entries are never deleted, only marked removed at a version, as hash
sets' are. The doors (CLI, API, pages) call these and only translate.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from netsafe.audit.service import Actor, record
from netsafe.deterrence.importers import ListFileError, RawEntry, read_entries
from netsafe.deterrence.keywords import INSIDE, WORD, KeywordError, pattern
from netsafe.deterrence.models import DeterrenceEntryRow, DeterrenceListRow, DeterrenceVersionRow
from netsafe.deterrence.urls import parse_entry
from netsafe.errors import Conflict, InvalidInput, NotFound
from netsafe.hotline.urllist import live_urls
from netsafe.hotline.urls import UrlError
from netsafe.store.db import Database

KINDS = ("url", "keyword")
HOTLINE_LIST = "hotline"  # the URL list's first source: the hotline's live confirmed URLs
MAX_REMOVE = 10_000
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")


class ListNotFoundError(NotFound):
    pass


class ListKindError(Conflict):
    pass


def _now() -> datetime:
    return datetime.now(UTC)


def check_name(name: str) -> str:
    if not _NAME.match(name):
        raise InvalidInput("name: letters, digits, '.', '-' or '_', up to 100, not starting with a sign")
    return name


@dataclass(frozen=True, slots=True)
class Parsed:
    match: str
    value: str
    original: str
    source: str | None
    listed: Any


def parse(raw: RawEntry, kind: str, where: str) -> Parsed:
    """A file's entry under its list's rule; ``InvalidInput`` naming the file and line."""
    try:
        if kind == "url":
            entry = parse_entry(raw.text, f"{where}:{raw.line}")
            return Parsed(entry.match, entry.value, raw.text, raw.source, raw.listed)
        match = INSIDE if raw.inside else WORD
        return Parsed(match, pattern(raw.text, match), raw.text, raw.source, raw.listed)
    except KeywordError as err:
        raise InvalidInput(f"{where}:{raw.line}: {err}") from None
    except UrlError as err:
        raise InvalidInput(str(err)) from None


def _list(session: Session, name: str) -> DeterrenceListRow:
    row = session.scalars(select(DeterrenceListRow).where(DeterrenceListRow.name == name)).first()
    if row is None:
        raise ListNotFoundError(f"no deterrence list named {name!r}")
    return row


def _live(session: Session, list_id: int) -> dict[tuple[str, str], DeterrenceEntryRow]:
    rows = session.scalars(
        select(DeterrenceEntryRow)
        .where(DeterrenceEntryRow.list_id == list_id)
        .where(DeterrenceEntryRow.removed_version.is_(None))
    )
    return {(r.match, r.value): r for r in rows}


def _new_version(
    session: Session,
    row: DeterrenceListRow,
    by: str,
    change: str,
    added: int,
    removed: int,
    note: str | None = None,
) -> int:
    row.version += 1
    row.updated = _now()
    session.add(
        DeterrenceVersionRow(
            list_id=row.id,
            version=row.version,
            at=row.updated,
            by=by,
            change=change,
            added=added,
            removed=removed,
            note=note,
        )
    )
    return row.version


def import_list(
    db: Database,
    actor: Actor,
    name: str,
    kind: str,
    text: str,
    fmt: str,
    where: str = "file",
    source: str | None = None,
) -> dict[str, Any]:
    """Add a file's entries to list ``name`` (created if new); entries already listed are left as they are.

    All or nothing: the first bad entry refuses the file (a one-line error naming its line), and the
    refusal is audited as failed."""
    check_name(name)
    if kind not in KINDS:
        raise InvalidInput(f"kind: url or keyword, not {kind[:20]!r}")
    try:
        parsed = [parse(raw, kind, where) for raw in read_entries(text, fmt, kind, where)]
    except (InvalidInput, ListFileError) as err:
        with db.session() as session:
            record(
                session,
                actor,
                f"deterrence.import.{kind}",
                f"deterrence:{name}",
                {"error": str(err)[:300]},
                outcome="failed",
            )
        raise
    with db.session() as session:
        row = session.scalars(select(DeterrenceListRow).where(DeterrenceListRow.name == name)).first()
        if row is None:
            now = _now()
            row = DeterrenceListRow(name=name, kind=kind, version=0, source=source, created=now, updated=now)
            session.add(row)
            session.flush()
        elif row.kind != kind:
            raise ListKindError(f"list {name!r} is a {row.kind} list")
        live = _live(session, row.id)
        fresh: dict[tuple[str, str], Parsed] = {}
        for p in parsed:
            if (p.match, p.value) not in live:
                fresh.setdefault((p.match, p.value), p)
        version = _new_version(session, row, actor.name, "import", len(fresh), 0)
        session.add_all(
            DeterrenceEntryRow(
                list_id=row.id,
                match=p.match,
                value=p.value,
                original=p.original,
                source=p.source or source,
                listed=p.listed,
                added_version=version,
            )
            for p in fresh.values()
        )
        result = {
            "list": name,
            "kind": kind,
            "version": version,
            "added": len(fresh),
            "unchanged": len(parsed) - len(fresh),
        }
        record(
            session,
            actor,
            f"deterrence.import.{kind}",
            f"deterrence:{name}",
            {"version": version, "added": len(fresh), "read": len(parsed)},
        )
        return result


def remove_entries(db: Database, actor: Actor, name: str, entry_ids: list[int]) -> dict[str, Any]:
    if not entry_ids or len(entry_ids) > MAX_REMOVE:
        raise InvalidInput(f"entries: give 1 to {MAX_REMOVE} entry ids")
    with db.session() as session:
        row = _list(session, name)
        rows = session.scalars(
            select(DeterrenceEntryRow)
            .where(DeterrenceEntryRow.list_id == row.id)
            .where(DeterrenceEntryRow.id.in_(entry_ids))
            .where(DeterrenceEntryRow.removed_version.is_(None))
        ).all()
        if not rows:
            raise NotFound(f"none of those entries is listed in {name!r}")
        version = _new_version(session, row, actor.name, "remove", 0, len(rows))
        for r in rows:
            r.removed_version = version
        record(
            session,
            actor,
            "deterrence.remove",
            f"deterrence:{name}",
            {"version": version, "removed": len(rows), "ids": sorted(r.id for r in rows)[:100]},
        )
        return {"list": name, "version": version, "removed": len(rows)}


def sync_hotline(db: Database, actor: Actor) -> dict[str, Any]:
    """Make list ``hotline`` the hotline's live confirmed URLs: new ones added, ones taken down removed."""
    urls = live_urls(db)
    with db.session() as session:
        row = session.scalars(select(DeterrenceListRow).where(DeterrenceListRow.name == HOTLINE_LIST)).first()
        if row is None:
            now = _now()
            row = DeterrenceListRow(
                name=HOTLINE_LIST, kind="url", version=0, source="hotline", created=now, updated=now
            )
            session.add(row)
            session.flush()
        live = _live(session, row.id)
        wanted = {("url", u["url"]): u for u in urls}
        added = [u for key, u in wanted.items() if key not in live]
        gone = [r for key, r in live.items() if key not in wanted]
        if not added and not gone:
            return {"list": HOTLINE_LIST, "version": row.version, "added": 0, "removed": 0}
        version = _new_version(session, row, actor.name, "sync", len(added), len(gone))
        for r in gone:
            r.removed_version = version
        session.add_all(
            DeterrenceEntryRow(
                list_id=row.id,
                match="url",
                value=u["url"],
                original=u["url"],
                source=u["reference"],
                listed=datetime.fromisoformat(u["confirmed_at"]).date() if u["confirmed_at"] else None,
                added_version=version,
            )
            for u in added
        )
        record(
            session,
            actor,
            "deterrence.sync",
            f"deterrence:{HOTLINE_LIST}",
            {"version": version, "added": len(added), "removed": len(gone)},
        )
        return {"list": HOTLINE_LIST, "version": version, "added": len(added), "removed": len(gone)}


# --- reading -------------------------------------------------------------------------------------------


def list_lists(db: Database) -> list[dict[str, Any]]:
    with db.session() as session:
        counts = dict(
            session.execute(
                select(DeterrenceEntryRow.list_id, func.count())
                .where(DeterrenceEntryRow.removed_version.is_(None))
                .group_by(DeterrenceEntryRow.list_id)
            ).all()
        )
        return [
            {
                "name": r.name,
                "kind": r.kind,
                "version": r.version,
                "entries": int(counts.get(r.id, 0)),
                "source": r.source,
                "updated": r.updated.isoformat(),
            }
            for r in session.scalars(select(DeterrenceListRow).order_by(DeterrenceListRow.name))
        ]


def list_versions(db: Database, name: str) -> list[dict[str, Any]]:
    with db.session() as session:
        row = _list(session, name)
        return [
            {
                "version": v.version,
                "at": v.at.isoformat(),
                "by": v.by,
                "change": v.change,
                "added": v.added,
                "removed": v.removed,
            }
            for v in session.scalars(
                select(DeterrenceVersionRow)
                .where(DeterrenceVersionRow.list_id == row.id)
                .order_by(DeterrenceVersionRow.version.desc())
            )
        ]


def live_entries(db: Database, kind: str, name: str | None = None) -> list[dict[str, Any]]:
    """Entries listed now, of every list of ``kind`` (or one list), oldest first."""
    with db.session() as session:
        q = (
            select(DeterrenceEntryRow, DeterrenceListRow.name, DeterrenceListRow.version)
            .join(DeterrenceListRow, DeterrenceListRow.id == DeterrenceEntryRow.list_id)
            .where(DeterrenceListRow.kind == kind)
            .where(DeterrenceEntryRow.removed_version.is_(None))
            .order_by(DeterrenceEntryRow.id)
        )
        if name is not None:
            _list(session, name)
            q = q.where(DeterrenceListRow.name == name)
        return [
            {
                "id": e.id,
                "list": lname,
                "list_version": version,
                "match": e.match,
                "value": e.value,
                "original": e.original,
                "source": e.source,
                "listed": e.listed.isoformat() if e.listed else None,
            }
            for e, lname, version in session.execute(q)
        ]


def fingerprint(session: Session) -> tuple[tuple[int, int], ...]:
    """What changes whenever any list does: each list's id and version."""
    return tuple(
        (int(i), int(v))
        for i, v in session.execute(
            select(DeterrenceListRow.id, DeterrenceListRow.version).order_by(DeterrenceListRow.id)
        )
    )
