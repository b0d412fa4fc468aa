"""Record, verify, search and export audit events.

Events are written in the caller's transaction, so a change and its audit event commit or roll back
together. Append order is serialised through ``audit_head`` (see models.py).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Select, Table, bindparam, insert, select, update
from sqlalchemy.orm import Session

from netsafe.audit.chain import GENESIS, canonical_json, event_hash, normalise_time
from netsafe.audit.models import AuditEventRow, AuditHeadRow
from netsafe.errors import InvalidInput

HEAD_ID = 1
MAX_TEXT = 400


@dataclass(frozen=True, slots=True)
class Actor:
    """Who did something: a person, a token (and whose), or the command line."""

    name: str
    ip: str | None = None

    @staticmethod
    def cli() -> Actor:
        import getpass

        try:
            who = getpass.getuser()
        except Exception:
            who = "unknown"
        return Actor(f"cli:{who}")


def record(
    session: Session,
    actor: Actor,
    action: str,
    target: str | None = None,
    details: dict[str, Any] | None = None,
    outcome: str = "ok",
) -> str:
    """Append one event to the chain inside ``session``'s transaction; returns its hash."""
    return record_many(session, [(actor, action, target, details, outcome)])


EventSpec = tuple[Actor, str, "str | None", "dict[str, Any] | None", str]

_HEAD = cast(Table, AuditHeadRow.__table__)
_BUMP_HEAD = (
    update(_HEAD)
    .where(_HEAD.c.id == HEAD_ID)
    .values(seq=_HEAD.c.seq + bindparam("n"))
    .returning(_HEAD.c.seq, _HEAD.c.hash)
)
_INSERT_EVENTS = insert(cast(Table, AuditEventRow.__table__))
_SET_HEAD_HASH = update(_HEAD).where(_HEAD.c.id == HEAD_ID).values(hash=bindparam("h"))


def record_many(session: Session, events: list[EventSpec], times: list[datetime] | None = None) -> str:
    """Append events in order, in three statements whatever their number; returns the last hash.

    ``times`` (one per event, UTC) are when the events happened, for events that waited in an audit
    journal (``audit/journal.py``) while the store was locked; by default, now."""
    if not events:
        raise ValueError("no events to record")
    if times is not None and len(times) != len(events):
        raise ValueError("one time per event")
    # Core statements on the session's connection: the ORM's bulk paths cost ~1.5 ms a call, more than
    # the commit, and every match request waits for this.
    # The caller's pending changes go first, as the ORM's autoflush did before these Core statements: every
    # appender then takes its row locks before the head's, never after, so two cannot deadlock.
    session.flush()
    conn = session.connection()
    # Bumping the head first takes its write lock, which serialises appenders on every backend; RETURNING
    # hands back the new sequence number and the previous event's hash in the same round trip.
    bumped = conn.execute(_BUMP_HEAD, {"n": len(events)}).one_or_none()
    if bumped is None:  # a store created without the migration's head row
        conn.execute(insert(_HEAD).values(id=HEAD_ID, seq=len(events), hash=GENESIS))
        last, prev = len(events), GENESIS
    else:
        last, prev = int(bumped[0]), str(bumped[1])
    seq = last - len(events)
    rows = []
    now = datetime.now(UTC)
    for i, (actor, action, target, details, outcome) in enumerate(events):
        seq += 1
        at = now if times is None else times[i]
        text = canonical_json(details or {})
        who, what, result = actor.name[:200], action[:64], outcome[:16]
        where = None if target is None else target[:MAX_TEXT]
        ip = None if actor.ip is None else actor.ip[:64]
        digest = event_hash(
            seq=seq,
            at=at,
            actor=who,
            action=what,
            target=where,
            outcome=result,
            ip=ip,
            details=text,
            prev=prev,
        )
        rows.append(
            {
                "seq": seq,
                "at": at,
                "actor": who,
                "action": what,
                "target": where,
                "outcome": result,
                "ip": ip,
                "details": text,
                "prev_hash": prev,
                "hash": digest,
            }
        )
        prev = digest
    conn.execute(_INSERT_EVENTS, rows)
    conn.execute(_SET_HEAD_HASH, {"h": prev})
    return prev


@dataclass(slots=True)
class VerifyResult:
    ok: bool
    checked: int
    head_seq: int
    head_hash: str
    problem: str | None = None
    broken_seq: int | None = None


def _describe(row: AuditEventRow) -> str:
    return f"event {row.seq} ({normalise_time(row.at)}, {row.action} by {row.actor})"


class AnchorError(InvalidInput, ValueError):
    """An anchor that is not ``SEQ:HASH``."""


@dataclass(frozen=True, slots=True)
class Anchor:
    """An event's sequence number and hash, kept outside the store: events cut off the end of the log
    (with ``audit_head`` rewritten to match) leave an intact chain behind, but not this event."""

    seq: int
    hash: str

    def __str__(self) -> str:
        return f"{self.seq}:{self.hash}"

    @staticmethod
    def parse(text: str) -> Anchor:
        seq, sep, digest = text.strip().partition(":")
        digest = digest.strip().lower()
        if (
            not sep
            or not seq.isdigit()
            or len(digest) != 64
            or any(c not in "0123456789abcdef" for c in digest)
        ):
            raise AnchorError(
                f"anchor {text[:100]!r}: expected SEQ:HASH as printed by `netsafe audit anchor` "
                "(a sequence number, a colon, 64 hex digits)"
            )
        return Anchor(int(seq), digest)


def anchor(session: Session) -> Anchor:
    """The newest event, to keep elsewhere; raises ValueError when the head and its event disagree."""
    seq, digest = _head(session)
    if seq == 0:
        return Anchor(0, GENESIS)
    stored = session.execute(select(AuditEventRow.hash).where(AuditEventRow.seq == seq)).scalar_one_or_none()
    if stored != digest:
        raise ValueError(
            f"the chain head (event {seq}) does not match event {seq} of the log: run `netsafe audit verify`"
        )
    return Anchor(seq, digest)


def verify(session: Session, batch: int = 5000, anchors: tuple[Anchor, ...] = ()) -> VerifyResult:
    """Walk the whole chain; report the first event that was edited or removed, then the first anchor
    that the log no longer holds."""
    wanted = {a.seq: a.hash for a in anchors}
    moved: Anchor | None = None  # the first anchored event found changed
    # Events keep coming while the walk runs (each statement sees its own snapshot): the head read before
    # it says how many events must be there at least; the head read after it, how many may be there at
    # most. The head and its events are committed together, so neither read can run ahead of the events.
    start_seq, start_hash = _head(session)
    hash_at_start = GENESIS
    prev_hash = GENESIS
    expected = 1
    checked = 0
    rows = session.execute(
        select(AuditEventRow).order_by(AuditEventRow.seq).execution_options(yield_per=batch)
    )
    for row in rows.scalars():
        if row.seq != expected:
            return VerifyResult(
                False,
                checked,
                row.seq,
                prev_hash,
                f"event {expected} is missing (deleted): the log jumps from event {expected - 1} "
                f"to event {row.seq}",
                expected,
            )
        if row.prev_hash != prev_hash:
            return VerifyResult(
                False,
                checked,
                row.seq,
                prev_hash,
                f"{_describe(row)} does not follow event {expected - 1}: previous-hash field was altered",
                row.seq,
            )
        actual = event_hash(
            seq=row.seq,
            at=row.at,
            actor=row.actor,
            action=row.action,
            target=row.target,
            outcome=row.outcome,
            ip=row.ip,
            details=row.details,
            prev=row.prev_hash,
        )
        if actual != row.hash:
            return VerifyResult(
                False,
                checked,
                row.seq,
                prev_hash,
                f"{_describe(row)} was edited: its content no longer matches its hash",
                row.seq,
            )
        if moved is None and wanted.get(row.seq, row.hash) != row.hash:
            moved = Anchor(row.seq, row.hash)
        if row.seq == start_seq:
            hash_at_start = row.hash
        prev_hash = row.hash
        expected += 1
        checked += 1
    end_seq = _head(session)[0]
    problem = None
    if start_seq > checked:
        problem = (
            f"event {checked + 1} is missing (deleted): the log ends at event {checked} "
            f"but {start_seq} were written"
        )
    elif hash_at_start != start_hash:
        problem = f"the chain head (event {start_seq}) does not match event {start_seq} of the log"
    elif end_seq < checked:
        problem = f"the chain head (event {end_seq}) does not match the last event {checked}"
    if problem is not None:
        return VerifyResult(False, checked, checked, prev_hash, problem, checked + 1)
    lost = _anchor_problem(anchors, moved, checked)
    if lost is not None:
        return VerifyResult(False, checked, checked, prev_hash, lost[0], lost[1])
    return VerifyResult(True, checked, checked, prev_hash)


def _head(session: Session) -> tuple[int, str]:
    """The head as stored now (not from the session's identity map, which would repeat the first read)."""
    row = session.execute(select(_HEAD.c.seq, _HEAD.c.hash).where(_HEAD.c.id == HEAD_ID)).one_or_none()
    return (0, GENESIS) if row is None else (int(row[0]), str(row[1]))


def _anchor_problem(anchors: tuple[Anchor, ...], moved: Anchor | None, last: int) -> tuple[str, int] | None:
    if moved is not None:
        kept = next(a for a in anchors if a.seq == moved.seq)
        return (
            f"event {moved.seq} is not the anchored one: its hash is {moved.hash[:16]}..., the anchor says "
            f"{kept.hash[:16]}... (the log was rewritten from event {moved.seq} or earlier)",
            moved.seq,
        )
    for a in sorted(anchors, key=lambda a: a.seq):
        if a.seq > last:
            return (
                f"anchored event {a.seq} is gone: the log ends at event {last} (events were cut off the end)",
                a.seq,
            )
        if a.seq == 0 and a.hash != GENESIS:
            return (f"anchor {a}: event 0 has no hash but 64 zeros", 0)
    return None


@dataclass(slots=True)
class AuditFilter:
    actor: str | None = None
    action: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    outcome: str | None = None


def _filtered(flt: AuditFilter) -> Select[AuditEventRow]:
    stmt = select(AuditEventRow)
    if flt.actor:
        stmt = stmt.where(AuditEventRow.actor == flt.actor)
    if flt.action:
        # "hashset" finds every hashset.* action. Escaped: "_" and "%" in a search are letters, not LIKE's
        # wildcards (a search for "a_b" must not find "axb.y").
        stmt = stmt.where(
            (AuditEventRow.action == flt.action)
            | AuditEventRow.action.startswith(flt.action.rstrip(".") + ".", autoescape=True)
        )
    if flt.outcome:
        stmt = stmt.where(AuditEventRow.outcome == flt.outcome)
    if flt.since:
        stmt = stmt.where(AuditEventRow.at >= flt.since)
    if flt.until:
        stmt = stmt.where(AuditEventRow.at < flt.until)
    return stmt


def search(
    session: Session, flt: AuditFilter, limit: int = 100, before: int | None = None
) -> list[AuditEventRow]:
    """Newest first; ``before`` pages back from a sequence number."""
    stmt = _filtered(flt)
    if before is not None:
        stmt = stmt.where(AuditEventRow.seq < before)
    return list(session.execute(stmt.order_by(AuditEventRow.seq.desc()).limit(limit)).scalars())


def as_dict(row: AuditEventRow) -> dict[str, Any]:
    return {
        "seq": row.seq,
        "at": normalise_time(row.at) + "Z",
        "actor": row.actor,
        "action": row.action,
        "target": row.target,
        "outcome": row.outcome,
        "ip": row.ip,
        "details": json.loads(row.details),
        "details_json": row.details,
        "prev_hash": row.prev_hash,
        "hash": row.hash,
    }


def export(session: Session, flt: AuditFilter | None = None, batch: int = 5000) -> Iterator[str]:
    """JSON Lines, oldest first; ``details_json`` is the exact hashed text so the chain can be re-checked."""
    stmt = _filtered(flt or AuditFilter()).order_by(AuditEventRow.seq).execution_options(yield_per=batch)
    for row in session.execute(stmt).scalars():
        yield json.dumps(as_dict(row), ensure_ascii=False, sort_keys=True)
