"""The worker's matcher: the store's :class:`netsafe.services.matcher.Matcher` (the one ``netsafe match``
uses). A background thread re-reads the hash-set versions every ``index_refresh_seconds`` and catches the
indexes up, so that an entry added through any worker is matchable through every worker within about that
time, while requests keep matching against the indexes in memory and never wait for the store.

Plumbing only: what a lookup matches, how it is audited and what it returns is
:mod:`netsafe.services.lookup`'s; :meth:`SharedMatcher.search_async` is the search it is given on the event
loop."""

from __future__ import annotations

import gc
import logging
import threading
from collections.abc import Sequence

from starlette.concurrency import run_in_threadpool

from netsafe.services.lookup import LookupOptions, search
from netsafe.services.matcher import Found, Match, Matcher, Query, StoreNeededError
from netsafe.store.batch import BatchThread
from netsafe.store.db import Database

log = logging.getLogger("netsafe.web")
INLINE_MAX_DISTANCE = 32  # searches up to this many bits run on the event loop (~0.1-0.2 ms at 1M-10M rows)


class SharedMatcher:
    def __init__(self, db: Database, refresh_seconds: float) -> None:
        self.matcher = Matcher(db, refresh_seconds=refresh_seconds)
        self._details: BatchThread[Found] = BatchThread("netsafe-match-details", self.matcher.load_details)
        self._searched = False
        self._refresher: threading.Thread | None = None
        self._start_lock = threading.Lock()

    def _ensure_refresher(self) -> None:
        if self._refresher is not None and self._refresher.is_alive():
            return
        with self._start_lock:
            if self._refresher is None or not self._refresher.is_alive():
                self._refresher = threading.Thread(
                    target=self._refresh_forever, name="netsafe-index-refresh", daemon=True
                )
                self._refresher.start()

    def _refresh_forever(self) -> None:
        interval = max(self.matcher.refresh_seconds, 0.05)
        wait = threading.Event()
        frozen = False
        while True:
            wait.wait(interval)
            try:
                self.matcher.catch_up(new_sets_apart=True)
                if not frozen:
                    _freeze_warm_process()
                    frozen = True
            except Exception as err:  # the store is down or busy: keep serving what is loaded, retry
                log.warning("index refresh failed: %s", _first_line(err))

    def refresh(self) -> bool:
        """Versions re-read and every set's index loaded and caught up (what /ready reports).

        The first call also runs one PDQ search: the index's compiled kernels load (or compile, up to tens of
        seconds on a busy machine) on first use, which belongs in the warm-up, not in a client's request.
        Then it freezes the garbage collector's view of the warmed-up process (see below).
        """
        self._ensure_refresher()  # the indexes it loads must be kept current from now on
        query = Query(query="ready")
        first = not self._searched
        if first:
            query.signals["pdq"] = "0" * 64
        self.matcher.match([query])
        self._searched = True
        if first:
            _freeze_warm_process()
        return True

    def changed(self) -> None:
        """A hash set was changed through this worker: catch the indexes up before answering again."""
        # Whatever this loads is served offline from now on, so the refresher must be running: without it,
        # an index loaded here stayed at this version until the worker's first match started the refresher.
        self._ensure_refresher()
        try:
            self.matcher.catch_up()
        except Exception as err:  # the change is committed; the background refresh will try again
            log.warning("index refresh after a change failed: %s", _first_line(err))

    async def search_async(self, queries: Sequence[Query], options: LookupOptions) -> list[list[Match]]:
        """What :func:`netsafe.services.lookup.lookup_async` searches with on a web worker's event loop.

        The search runs in place, on the indexes in memory (well under a millisecond, less than a hop to a
        thread and back); categories not yet cached are read for all waiting requests at once by one
        thread. What needs the store or is costly goes to a thread whole: an index not loaded yet (the
        worker's first requests), a video (its candidates' frames are read from the store), eight dihedral
        searches, a wide search."""
        if (
            self.matcher.refresh_seconds <= 0  # configured to re-read the store before every match
            or options.dihedral  # eight searches
            or options.widest > INLINE_MAX_DISTANCE  # a wide search: ~30x the work at 64 bits than at 31
        ):
            # In a thread: the search kernels release the GIL, and the event loop keeps serving others.
            return await run_in_threadpool(search, self.matcher, queries, options)
        self._ensure_refresher()
        try:
            found = self.matcher.search(
                queries,
                options.hashsets or None,
                options.max_distance,
                options.min_quality,
                options.dihedral,
                options.set_distances,
                offline=True,
            )
        except StoreNeededError:
            return await run_in_threadpool(search, self.matcher, queries, options)
        if found.missing:
            await self._details.submit_async(found)
        return found.matches()


def _freeze_warm_process() -> None:
    # Everything a warmed-up worker holds (modules, the app, the indexes' bookkeeping) lives as long as the
    # process: move it out of the collector's reach. Measured: full collections over it paused the worker
    # 90-200 ms every few seconds under load, the largest part of /match's p99.
    gc.freeze()


def _first_line(err: Exception) -> str:
    lines = str(err).splitlines()
    return lines[0] if lines else type(err).__name__
