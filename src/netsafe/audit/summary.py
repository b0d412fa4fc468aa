"""Summarised audit events: at most one event per key per window, each saying how many requests it stands for.

Refused requests and reads are worth auditing, but one event per request would let anyone who can reach
the service grow the log without bound (every refused request is free to send) and would cost a commit per
page view. So the first request of a key (e.g. client address, actor, action and reason) is recorded at
once with ``count`` 1; further ones within ``window`` seconds are only counted, and their count is recorded
in one event when the window ends (or with the key's next request after it). Nothing is lost but detail:
every request is in some event's ``count``. Keys are bounded too: past ``max_keys`` distinct keys, new ones
share one overflow key per action, so a flood of made-up addresses or names costs a bounded number of
events per window. Events go through the writer without waiting (``AuditWriter.post``): the request's
answer never waits for them.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any

from netsafe.audit.service import Actor

DEFAULT_MAX_KEYS = 10_000
OVERFLOW_ACTOR = Actor("many:overflow")


@dataclass(slots=True)
class _Slot:
    last: float  # when this key's last event was emitted
    pending: int = 0  # requests counted since then, not yet in an event
    latest: tuple[Actor, str, str | None, dict[str, Any], str] | None = None  # the newest counted request


Emit = Callable[[Actor, str, "str | None", "dict[str, Any]", str], None]


@dataclass
class AuditSummary:
    emit: Emit  # e.g. AuditWriter.post: must not block
    window: float
    max_keys: int = DEFAULT_MAX_KEYS
    clock: Callable[[], float] = time.monotonic
    _slots: dict[Hashable, _Slot] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _swept: float = 0.0
    _timer: threading.Timer | None = None

    def note(
        self,
        key: Hashable,
        actor: Actor,
        action: str,
        target: str | None,
        details: dict[str, Any],
        outcome: str = "ok",
    ) -> None:
        """One request: recorded now, or counted into a later event."""
        if self.window <= 0:
            self.emit(actor, action, target, details | {"count": 1}, outcome)
            return
        out: list[tuple[Actor, str, str | None, dict[str, Any], str]] = []
        arm = False
        with self._lock:
            now = self.clock()
            if now - self._swept >= self.window:
                out.extend(self._sweep(now))
            slot = self._slots.get(key)
            if slot is None and len(self._slots) >= self.max_keys:
                key = ("overflow", action)
                actor, target = OVERFLOW_ACTOR, None
                details = {"overflow": True, "max_keys": self.max_keys}
                slot = self._slots.get(key)
            if slot is None:
                self._slots[key] = _Slot(now)
                out.append((actor, action, target, self._details(details, 1), outcome))
            elif now - slot.last >= self.window:
                out.append((actor, action, target, self._details(details, slot.pending + 1), outcome))
                slot.last, slot.pending, slot.latest = now, 0, None
            else:
                slot.pending += 1
                slot.latest = (actor, action, target, details, outcome)
                arm = self._timer is None
                if arm:
                    self._timer = threading.Timer(self.window, self._tick)
                    self._timer.daemon = True
        if arm and self._timer is not None:
            self._timer.start()
        for event in out:
            self.emit(*event)

    def flush(self) -> None:
        """Record every count still pending (at shutdown)."""
        with self._lock:
            out = self._sweep(None)
        for event in out:
            self.emit(*event)

    def _tick(self) -> None:
        with self._lock:
            self._timer = None
            out = self._sweep(self.clock())
            if any(slot.pending for slot in self._slots.values()):
                self._timer = threading.Timer(self.window, self._tick)
                self._timer.daemon = True
                self._timer.start()
        for event in out:
            self.emit(*event)

    def _sweep(self, now: float | None) -> list[tuple[Actor, str, str | None, dict[str, Any], str]]:
        """Events for the counts of windows that have ended (all of them when ``now`` is None); forgets
        keys idle for a whole window."""
        out = []
        for key, slot in list(self._slots.items()):
            if now is not None and now - slot.last < self.window:
                continue
            if slot.pending and slot.latest is not None:
                actor, action, target, details, outcome = slot.latest
                out.append((actor, action, target, self._details(details, slot.pending), outcome))
                slot.pending, slot.latest = 0, None
                if now is not None:
                    slot.last = now
            else:
                del self._slots[key]
        if now is not None:
            self._swept = now
        return out

    def _details(self, details: dict[str, Any], count: int) -> dict[str, Any]:
        return details | {"count": count, "window_seconds": self.window}
