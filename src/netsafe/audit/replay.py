"""Moving journaled audit events (``audit/journal.py``) into the hash chain, in their order and with the
times they happened, a bounded number per transaction so that no one waits long behind a replay.

A web worker replays its own journal in the background one batch at a time (``batches=1``), pausing
between batches (``audit/writer.py``): after a long import a worker may hold a million events, tens of
seconds of CPU, and replayed flat out they took the worker's time from its requests (p99 2-2.5 s for the
seconds after a 1M-entry import, measured)."""

from __future__ import annotations

import json
import logging
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from netsafe.audit.journal import KEY, JournalError, JournalEvent, JournalFile, journal_dir, orphans
from netsafe.audit.models import AuditEventRow
from netsafe.audit.service import record_many
from netsafe.store.db import Database, sqlite_path

log = logging.getLogger("netsafe.audit")

# Events per transaction: ~4 ms of CPU and of the store's write lock, about one switch interval of the
# GIL, so neither a request's own audit write (another worker's, queued on the write turn) nor this
# worker's event loop waits long behind one batch. 1,000 held both 40-200 ms on a busy machine.
BATCH = 100


def journal_dir_of(db: Database) -> Path | None:
    """Where the store's audit journals are: beside a SQLite file. PostgreSQL has none: its appenders
    queue on the head's row lock, which an import takes only when it records its own event, at its end."""
    path = sqlite_path(db.url)
    return None if path is None else journal_dir(path)


def drain(
    db: Database, journal: JournalFile, lock_wait: float | None = None, batches: int | None = None
) -> int:
    """Move the events of ``journal`` into the chain, :data:`BATCH` per transaction: all of them, or the
    first ``batches`` transactions' worth; returns how many were added.

    Raises :class:`netsafe.store.errors.StoreBusyError` when the store stays locked past ``lock_wait``
    (the events read so far are in the chain, the rest stay in the journal), :class:`JournalError` for a
    line that is not an event."""
    added = 0
    committed = 0
    while batches is None or committed < batches:
        events = journal.read(BATCH)
        if not events:
            break
        with db.write_turn(), db.session(lock_wait) as session:
            if not journal.own:
                # A dead process's journal: it may have died between its commit and clearing its journal.
                done = _already_in_chain(session, events)
                events = [e for e in events if e.key not in done]
            if events:
                record_many(session, [e.spec() for e in events], [e.at for e in events])
        journal.advance()
        added += len(events)
        committed += 1
    return added


def _already_in_chain(session: Session, events: list[JournalEvent]) -> set[str]:
    # Such events keep their times, so the index on the time finds them without reading the whole log.
    prefix = events[0].key.rsplit("#", 1)[0] + "#"
    rows = session.execute(
        select(AuditEventRow.details).where(
            AuditEventRow.at >= min(e.at for e in events),
            AuditEventRow.at <= max(e.at for e in events),
            AuditEventRow.details.contains(f'"{KEY}":"{prefix}', autoescape=True),
        )
    ).scalars()
    found: set[str] = set()
    for text in rows:
        key = json.loads(text).get(KEY)
        if isinstance(key, str):
            found.add(key)
    return found


def recover(
    db: Database, directory: Path, lock_wait: float | None = None, broken: set[Path] | None = None
) -> int:
    """Replay and remove the journals of processes that have ended; returns the events added.

    A journal with a line that is not an event is logged, left in place and added to ``broken`` (skipped
    on later calls with the same set). Raises StoreBusyError as :func:`drain` does."""
    added = 0
    skip = frozenset(broken or ())
    for journal in orphans(directory, skip):
        try:
            added += drain(db, journal, lock_wait)
        except JournalError as err:
            log.error("audit journal left in place, its events are not in the chain: %s", err)
            if broken is not None:
                broken.add(journal.path)
            journal.close()
            continue
        except BaseException:
            journal.close()
            raise
        journal.remove()
    return added
