"""The check: is this URL or this search on a list? One answer shape for the API, the CLI and the
middleware, counted per entry and day, never echoing what was asked.

The matchers are built from the store once per version of the lists and kept in memory; a worker looks for
a new version at most every ``refresh_seconds``, so a check costs a dictionary or automaton lookup and one
counter in memory (``counting.Tally``, written to the store with the others at most that often).
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from netsafe.deterrence import counting, lists
from netsafe.deterrence.keywords import KeywordMatcher
from netsafe.deterrence.urls import UrlMatcher
from netsafe.errors import InvalidInput
from netsafe.hotline.urls import normalise as normalise_url
from netsafe.store.db import Database

log = logging.getLogger(__name__)

MAX_QUERY = 1000
WARNING_PATH = "/warning"


@dataclass(slots=True)
class Lists:
    """One version of all the lists, ready to match."""

    version: tuple[tuple[int, int], ...] = ()
    urls: UrlMatcher = field(default_factory=lambda: UrlMatcher([]))
    keywords: KeywordMatcher = field(default_factory=lambda: KeywordMatcher([]))
    entries: frozenset[int] = frozenset()


class Checker:
    def __init__(
        self, db: Database, refresh_seconds: float = 2.0, flush_seconds: float | None = None
    ) -> None:
        self.db = db
        self.refresh_seconds = refresh_seconds
        # Counts are written with the same staleness as the lists are read, unless told otherwise.
        self.tally = counting.Tally(refresh_seconds if flush_seconds is None else flush_seconds)
        self._lists = Lists()
        self._looked = float("-inf")
        self._lock = threading.Lock()
        self._refreshing = False

    def current(self) -> Lists:
        if time.monotonic() - self._looked < self.refresh_seconds:
            return self._lists
        with self._lock:
            if time.monotonic() - self._looked >= self.refresh_seconds:
                with self.db.session() as session:
                    version = lists.fingerprint(session)
                if version != self._lists.version:
                    self._lists = _build(self.db, version)
                self._looked = time.monotonic()
        return self._lists

    def current_nowait(self) -> Lists | None:
        """The lists in memory without waiting for the store, a re-read started in a thread when they are
        older than ``refresh_seconds``; None when there are none yet or ``refresh_seconds`` is 0 (the caller
        then calls :meth:`current` where it may wait). For the event loop: one request must not hold up the
        others while the store is read, still less while a new version of a million URLs is built."""
        if time.monotonic() - self._looked < self.refresh_seconds:
            return self._lists
        if self.refresh_seconds <= 0 or self._looked == float("-inf"):
            return None
        with self._lock:
            if self._refreshing:
                return self._lists
            self._refreshing = True
        threading.Thread(target=self._refresh, name="deterrence-lists", daemon=True).start()
        return self._lists

    def _refresh(self) -> None:
        try:
            self.current()
        except Exception as err:  # the lists in memory still answer; tried again after refresh_seconds
            log.warning("deterrence lists not re-read: %s", type(err).__name__)
            self._looked = time.monotonic()
        finally:
            self._refreshing = False

    def count(self, entry_id: int, variant: str, day: date, column: str) -> None:
        self.tally.add(entry_id, variant, day, column)
        if self.tally.due():
            self.flush_quietly()

    def flush_quietly(self) -> None:
        """Write the counts; if the store cannot take them now they wait for the next flush, and the check
        that happened to be due to write them still gets its answer."""
        try:
            self.tally.flush(self.db)
        except Exception as err:
            log.warning("deterrence counts not written yet: %s", type(err).__name__)

    def flush(self) -> None:
        self.tally.flush(self.db)


def _build(db: Database, version: tuple[tuple[int, int], ...]) -> Lists:
    urls = lists.live_entries(db, "url")
    words = lists.live_entries(db, "keyword")
    return Lists(
        version,
        UrlMatcher((e["id"], 0, e["match"], e["value"]) for e in urls),
        KeywordMatcher((e["id"], 0, e["value"]) for e in words),
        frozenset(e["id"] for e in urls) | frozenset(e["id"] for e in words),
    )


def _today() -> date:
    return datetime.now(UTC).date()


def check(
    db: Database,
    checker: Checker,
    url: str | None = None,
    query: str | None = None,
    today: date | None = None,
) -> dict[str, Any]:
    """``{"blocked", "kind", "entry_id", "warning_url"}`` for one URL or one search; counted, not audited."""
    found = answer(checker.current(), url, query)
    checker.count(found["entry_id"] or counting.NO_ENTRY, "", today or _today(), "checks")
    return found


def answer(found: Lists, url: str | None = None, query: str | None = None) -> dict[str, Any]:
    """The check's answer from lists in memory, neither counted nor touching the store (the web fast path
    counts it in memory itself)."""
    if (url is None) == (query is None):
        raise InvalidInput("give either url or query")
    kind: str | None
    if url is not None:
        got = normalise_url(url)
        hit_url = found.urls.find_normalised(got.normalised, got.host)
        entry_id, kind = (hit_url.entry_id, "url") if hit_url else (None, None)
    else:
        assert query is not None
        if len(query) > MAX_QUERY:
            raise InvalidInput(f"query: longer than {MAX_QUERY} characters")
        hit_word = found.keywords.find(query)
        entry_id, kind = (hit_word.entry_id, "keyword") if hit_word else (None, None)
    return {
        "blocked": entry_id is not None,
        "kind": kind,
        "entry_id": entry_id,
        "warning_url": f"{WARNING_PATH}?e={entry_id}" if entry_id is not None else None,
    }


def known_entry(checker: Checker, entry_id: int | None) -> int:
    """The entry a warning page counts for: a listed entry's id, else none (so that a made-up id in the
    address cannot make rows)."""
    return entry_id if entry_id is not None and entry_id in checker.current().entries else counting.NO_ENTRY


def count_shown(
    db: Database, checker: Checker, entry_id: int | None, variant: str, today: date | None = None
) -> None:
    """Counted in the checker's tally with the checks (a warning is shown for every blocked search the
    middleware answers: a write each would put the store's write lock back in front of them)."""
    checker.count(known_entry(checker, entry_id), variant, today or _today(), "warnings")


def count_help(
    db: Database, checker: Checker, entry_id: int | None, variant: str, today: date | None = None
) -> None:
    checker.count(known_entry(checker, entry_id), variant, today or _today(), "help_clicks")
