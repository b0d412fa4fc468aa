"""The worker's matcher: the store's :class:`netsafe.matching.service.Matcher` (the one ``netsafe match``
uses), re-reading hash-set versions at most every ``index_refresh_seconds`` so that an entry added through
any worker is matchable through every worker within that time."""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool

from netsafe.matching.service import Found, Matcher, MatchError, Query, StoreNeededError
from netsafe.store.batch import BatchThread
from netsafe.store.db import Database
from netsafe.web.errors import ApiError


class SharedMatcher:
    def __init__(self, db: Database, refresh_seconds: float) -> None:
        self.matcher = Matcher(db, refresh_seconds=refresh_seconds)
        self._details: BatchThread[Found] = BatchThread("netsafe-match-details", self.matcher.load_details)
        self._searched = False

    def refresh(self) -> bool:
        """Versions re-read and every set's index loaded and caught up (what /ready reports).

        The first call also runs one PDQ search: the index's compiled kernels load (or compile, up to tens of
        seconds on a busy machine) on first use, which belongs in the warm-up, not in a client's request.
        """
        query = Query(query="ready")
        if not self._searched:
            query.signals["pdq"] = "0" * 64
        self.matcher.match([query])
        self._searched = True
        return True

    def match(
        self,
        signals: dict[str, str],
        dihedral: list[str] | None,
        hashsets: list[str] | None,
        max_distance: int,
        pdq_quality: int | None = None,
        offline: bool = False,
    ) -> list[dict[str, Any]]:
        query = Query(query="api", signals=signals, pdq_quality=pdq_quality, pdq_dihedral=dihedral)
        try:
            found = self.matcher.match(
                [query], hashsets or None, max_distance, dihedral=bool(dihedral), offline=offline
            )
        except MatchError as err:
            raise _api_error(err) from None
        return [m.as_dict() for m in found[0]]

    async def match_async(
        self,
        signals: dict[str, str],
        dihedral: list[str] | None,
        hashsets: list[str] | None,
        max_distance: int,
        pdq_quality: int | None = None,
    ) -> list[dict[str, Any]]:
        """:meth:`match` from the event loop. The search runs in place (well under a millisecond, less than
        a hop to a thread and back); categories not yet cached are read for all waiting requests at once
        by one thread; anything else that needs the store (a due version check, an index to load) runs
        the whole match in a thread."""
        query = Query(query="api", signals=signals, pdq_quality=pdq_quality, pdq_dihedral=dihedral)
        try:
            found = self.matcher.search(
                [query], hashsets or None, max_distance, dihedral=bool(dihedral), offline=True
            )
        except StoreNeededError:
            return await run_in_threadpool(self.match, signals, dihedral, hashsets, max_distance, pdq_quality)
        except MatchError as err:
            raise _api_error(err) from None
        if found.missing:
            await self._details.submit_async(found)
        return [m.as_dict() for m in found.matches()[0]]


def _api_error(err: MatchError) -> ApiError:
    text = str(err)
    return ApiError(404 if text.startswith("no hash set") else 422, text)
