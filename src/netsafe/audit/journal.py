"""Audit journals: where a web worker's events wait, durably, while another process holds the write lock of
the SQLite store (a hash-list import holds it for its whole transaction, minutes for a million entries).

Each process appends to its own file, ``<store>.audit-journal/<pid>-<start>.jsonl``, one JSON line per
event with the time it happened, written and flushed to the operating system before the requests it audits
are answered: a crash of the process loses nothing, as with a SQLite commit under ``synchronous=NORMAL``
(neither is fsynced, so both can lose their last moments to a crash of the machine). The owner holds an
exclusive ``flock`` on its file for as long as it lives: a file nobody holds was left by a process that
died, and whoever claims it replays it (``audit/replay.py``).

Nothing here knows the store; this module reads and writes files only.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from netsafe.audit.service import Actor, EventSpec
from netsafe.errors import InvalidInput

try:
    import fcntl
except ImportError:  # not POSIX: no journal, writers wait for the store as before
    fcntl = None  # type: ignore[assignment]

log = logging.getLogger("netsafe.audit")

SUFFIX = ".jsonl"
KEY = "journaled"  # the detail that names an event's journal line once it is in the chain
READ_BLOCK = 1 << 20


class JournalError(InvalidInput, ValueError):
    """A journal line that is not a journal event (not a torn last line: those are expected)."""


def journal_dir(store: Path) -> Path:
    return store.with_name(store.name + ".audit-journal")


def supported() -> bool:
    return fcntl is not None


@dataclass(frozen=True, slots=True)
class JournalEvent:
    key: str  # "<journal name>#<n>": unique for the life of the store
    at: datetime
    actor: Actor
    action: str
    target: str | None
    details: dict[str, Any]
    outcome: str

    def spec(self) -> EventSpec:
        """The event as it goes into the chain: its details name its journal line, which tells an auditor
        why its time is earlier than its neighbours' and lets a replay cut short by a crash skip it."""
        return (self.actor, self.action, self.target, self.details | {KEY: self.key}, self.outcome)


def _encode(key: str, at: datetime, event: EventSpec) -> bytes:
    actor, action, target, details, outcome = event
    line = {
        "key": key,
        "at": at.astimezone(UTC).isoformat(timespec="microseconds"),
        "actor": actor.name,
        "ip": actor.ip,
        "action": action,
        "target": target,
        "details": details or {},
        "outcome": outcome,
    }
    # ASCII escapes: a name that is not valid UTF-8 (a surrogate escape) still makes a valid line.
    return (json.dumps(line, sort_keys=True, default=str) + "\n").encode("ascii")


def _decode(raw: bytes, where: str) -> JournalEvent:
    try:
        line = json.loads(raw)
        return JournalEvent(
            key=str(line["key"]),
            at=datetime.fromisoformat(line["at"]),
            actor=Actor(str(line["actor"]), None if line["ip"] is None else str(line["ip"])),
            action=str(line["action"]),
            target=None if line["target"] is None else str(line["target"]),
            details=dict(line["details"]),
            outcome=str(line["outcome"]),
        )
    except (ValueError, KeyError, TypeError) as err:
        raise JournalError(f"{where}: not an audit journal event ({type(err).__name__})") from None


class JournalFile:
    """One journal file, open and locked by this process: its own, or a dead process's being replayed.

    Events are read from ``offset`` (what is already in the chain) on; the reader moves it with
    :meth:`advance` once the events it read are committed.
    """

    def __init__(self, path: Path, fd: int, own: bool) -> None:
        self.path = path
        self.own = own
        self._fd = fd
        self._lock = threading.Lock()  # the appender (the writer's thread) and the replaying thread
        self._size = os.fstat(fd).st_size
        self._offset = 0
        self._line = 0  # lines before offset
        self._counter = 0  # the n of the next key this process writes
        self._read_to: tuple[int, int] = (0, 0)

    @staticmethod
    def create(directory: Path) -> JournalFile:
        """This process's journal, locked for its life."""
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        path = directory / f"{os.getpid()}-{time.time_ns()}{SUFFIX}"
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_APPEND, 0o600)
        fcntl.flock(fd, fcntl.LOCK_EX)
        return JournalFile(path, fd, own=True)

    @staticmethod
    def claim(path: Path) -> JournalFile | None:
        """A journal whose process has ended, locked for replay; None while its owner (or another
        replayer) holds it, or once it is gone."""
        try:
            fd = os.open(path, os.O_RDWR)
        except FileNotFoundError:
            return None
        except OSError as err:  # another user's (0600): it waits for that user's service or for a person
            log.warning("audit journal %s cannot be replayed by this user: %s", path.name, err.strerror)
            return None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return None
        if os.fstat(fd).st_nlink == 0:  # replayed and removed while we waited to open it
            os.close(fd)
            return None
        return JournalFile(path, fd, own=False)

    @property
    def name(self) -> str:
        return self.path.stem

    def append(self, events: list[EventSpec], at: datetime) -> None:
        """Write the events and hand them to the operating system; raises OSError with nothing written."""
        with self._lock:
            keys = [f"{self.name}#{self._counter + i}" for i in range(len(events))]
            data = b"".join(_encode(k, at, e) for k, e in zip(keys, events, strict=True))
            try:
                written = 0
                while written < len(data):
                    written += os.write(self._fd, data[written:])
            except OSError:
                # A torn line would be followed by whole ones: put the file back as it was.
                os.ftruncate(self._fd, self._size)
                raise
            self._size += len(data)
            self._counter += len(events)

    def waiting(self) -> bool:
        with self._lock:
            return self._offset < self._size

    def read(self, limit: int) -> list[JournalEvent]:
        """Up to ``limit`` events from the offset on; a torn last line (a crash while writing it) is not
        an event and is left out. Raises :class:`JournalError` for any other line that is not one."""
        with self._lock:
            offset, size, line = self._offset, self._size, self._line
        events: list[JournalEvent] = []
        while len(events) < limit and offset < size:
            block = os.pread(self._fd, min(READ_BLOCK, size - offset), offset)
            lines = block.split(b"\n")
            lines.pop()  # after the last newline: a torn line, or the start of one beyond the block
            if not lines:
                if offset + len(block) >= size:
                    break  # the torn last line
                raise JournalError(f"{self.path.name}:{line + 1}: a line over {READ_BLOCK} bytes")
            for raw in lines:
                if len(events) == limit:
                    break
                line += 1
                offset += len(raw) + 1
                events.append(_decode(raw, f"{self.path.name}:{line}"))
        self._read_to = (offset, line)
        return events

    def advance(self) -> None:
        """The events of the last :meth:`read` are in the chain; an own journal read to its end starts
        again empty."""
        with self._lock:
            self._offset, self._line = self._read_to
            if self.own and self._offset >= self._size:
                os.ftruncate(self._fd, 0)
                self._offset = self._line = self._size = 0
                self._read_to = (0, 0)

    def remove(self) -> None:
        """A replayed journal: deleted before its lock is released, so no one replays it again."""
        self.path.unlink(missing_ok=True)
        self.close()

    def close(self) -> None:
        with self._lock:
            if self._fd >= 0:
                os.close(self._fd)  # releases the flock
                self._fd = -1


def orphans(directory: Path, skip: frozenset[Path] = frozenset()) -> Iterator[JournalFile]:
    """The journals of processes that have ended, each locked while the caller replays it."""
    if fcntl is None or not directory.is_dir():
        return
    for path in sorted(directory.glob(f"*{SUFFIX}")):
        if path in skip:
            continue
        claimed = JournalFile.claim(path)
        if claimed is not None:
            yield claimed


def count_waiting(directory: Path) -> int:
    """Whole lines in every journal (running processes' included): events not yet in the chain, or
    committed a moment ago and not yet cleared from their journal."""
    if not directory.is_dir():
        return 0
    total = 0
    for path in directory.glob(f"*{SUFFIX}"):
        try:
            with path.open("rb") as f:
                total += sum(chunk.count(b"\n") for chunk in iter(lambda: f.read(READ_BLOCK), b""))
        except OSError:  # replayed and removed meanwhile, or another user's
            continue
    return total
