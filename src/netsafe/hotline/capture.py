"""Capture a reported page: the page itself and the media it shows or links to, within the report's limits.

A page that is itself an image or a video is the one item. An HTML page gives its media links (extract.py),
fetched one by one until ``fetch_max_items`` or ``fetch_max_report_bytes`` runs out; a link that turns out
not to be an image or a video is noted in ``skipped`` and not kept. A page that is neither (an archive, a
PDF) is kept as one item of kind ``other``: it is what was reported. A failure of the page itself raises
(FetchRefused / FetchFailed); a failure of one item is a line in ``errors`` and capture goes on.

No hashing and no storage here: the hotline's capture service does both with what this returns.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Protocol

from netsafe.hotline.extract import media_links, page_links
from netsafe.hotline.fetch import FetchBudget, Fetched, FetchFailed, FetchRefused, fetch
from netsafe.hotline.settings import HotlineSettings
from netsafe.hotline.sniffing import HTML, ItemKind, kind_of

# Frames beyond these are not opened: a page of a hundred ad frames must not eat the report's budget.
MAX_FRAMES = 10


class Fetcher(Protocol):
    def __call__(
        self,
        url: str,
        *,
        settings: HotlineSettings,
        budget: FetchBudget | None = None,
        referer: str | None = None,
    ) -> Fetched: ...


@dataclass(frozen=True, slots=True)
class CapturedItem:
    url: str  # where the bytes came from (after redirects)
    body: bytes
    content_type: str  # sniffed
    kind: ItemKind
    truncated: bool
    source_url: str = ""  # the link as found on the page (before redirects)


@dataclass(frozen=True, slots=True)
class ItemFailure:
    url: str
    reason: str  # FetchFailed/FetchRefused's reason code, or "status-<code>"


@dataclass(slots=True)
class CapturedPage:
    url: str
    final_url: str
    status: int
    redirects: list[str]
    items: list[CapturedItem] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # one line per item that could not be fetched
    skipped: list[str] = field(default_factory=list)  # one line per link fetched but not kept, or not fetched
    content_type: str = ""  # the page's, sniffed
    links: int = 0  # media links found on the page and in its frames
    frames: int = 0  # iframe/frame pages fetched for their media (one level, at most MAX_FRAMES)
    failures: list[ItemFailure] = field(default_factory=list)  # the errors above, as codes
    limited: bool = False  # links were left unfetched because a limit ran out


def capture_page(
    url: str,
    *,
    settings: HotlineSettings,
    fetcher: Fetcher = fetch,
    budget: FetchBudget | None = None,
    workers: int = 4,
    time_limit: float | None = None,
) -> CapturedPage:
    """Capture ``url`` and its media. ``workers`` items are fetched at once; the whole capture stops
    starting new fetches after ``time_limit`` seconds (default ten times ``fetch_timeout_seconds``)."""
    if budget is None:
        seconds = 10 * settings.fetch_timeout_seconds if time_limit is None else time_limit
        budget = FetchBudget.for_report(settings, seconds=seconds)
    page = fetcher(url, settings=settings, budget=budget)
    result = CapturedPage(
        url=url,
        final_url=page.final_url,
        status=page.status,
        redirects=list(page.redirects),
        content_type=page.content_type,
    )
    if page.status >= 400:
        result.errors.append(f"the page answered HTTP status {page.status}")
        return result
    if page.content_type != HTML:
        if page.body:
            result.items.append(_item(page, url))
        return result
    found = page_links(page.body, page.final_url)
    own = (url, page.final_url)
    links = [link for link in found.media if link not in own]
    referers = dict.fromkeys(links, page.final_url)
    shared = _SharedBudget(budget, settings.fetch_max_item_bytes)

    def one(link: str) -> Fetched | FetchRefused | FetchFailed | None:
        share = shared.reserve()
        if share is None:
            return None
        try:
            # Sent as a browser would: image hosts that refuse hotlinking answer a placeholder without it.
            return fetcher(link, settings=settings, budget=share, referer=referers.get(link, page.final_url))
        except (FetchRefused, FetchFailed) as err:
            return err
        finally:
            shared.refund(share)

    with ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="capture") as pool:
        frames = [frame for frame in found.frames if frame not in own][:MAX_FRAMES]
        result.frames = len(frames)
        for frame, got in zip(frames, pool.map(one, frames), strict=True):
            if got is None:
                result.errors.append(f"{frame}: frame not fetched: limits used up")
            elif isinstance(got, FetchRefused | FetchFailed):
                result.errors.append(f"{frame}: frame not loaded: {got}")
            elif got.status >= 400:
                result.errors.append(f"{frame}: frame not loaded: HTTP status {got.status}")
            elif got.content_type == HTML:
                for link in media_links(got.body, got.final_url):
                    if link not in referers and link not in own:
                        links.append(link)
                        referers[link] = got.final_url  # one level only: frames in frames are not followed
            elif kind_of(got.content_type) != "other":
                result.items.append(_item(got, frame))
        result.links = len(links)
        if len(links) > settings.fetch_max_items:
            result.skipped.append(
                f"{len(links) - settings.fetch_max_items} more links not fetched: fetch_max_items reached"
            )
            result.limited = True
            links = links[: settings.fetch_max_items]
        outcomes = list(pool.map(one, links))
    unfetched = 0
    for link, got in zip(links, outcomes, strict=True):
        if got is None:
            unfetched += 1
        elif isinstance(got, FetchRefused | FetchFailed):
            result.errors.append(f"{link}: {got}")
            result.failures.append(ItemFailure(link, got.reason))
        elif got.status >= 400:
            result.errors.append(f"{link}: HTTP status {got.status}")
            result.failures.append(ItemFailure(link, f"status-{got.status}"))
        elif kind_of(got.content_type) == "other":
            result.skipped.append(f"{link}: not an image or a video ({got.content_type}); not kept")
        else:
            result.items.append(_item(got, link))
    if unfetched:
        result.skipped.append(
            f"{unfetched} links not fetched: fetch_max_report_bytes (or the time limit) used up"
        )
        result.limited = True
    return result


class _SharedBudget:
    """The report's budget split between concurrent fetches: each reserves up to one item's cap before it
    starts and gives back what it did not use, so together they never exceed the report's bytes."""

    def __init__(self, budget: FetchBudget, item_cap: int) -> None:
        self._budget = budget
        self._item_cap = item_cap
        self._lock = threading.Lock()

    def reserve(self) -> FetchBudget | None:
        with self._lock:
            if self._budget.exhausted:
                return None
            take = min(self._item_cap, self._budget.bytes_left)
            self._budget.bytes_left -= take
            return FetchBudget(bytes_left=take, deadline=self._budget.deadline)

    def refund(self, share: FetchBudget) -> None:
        with self._lock:
            self._budget.bytes_left += max(0, share.bytes_left)


def _item(got: Fetched, source: str) -> CapturedItem:
    return CapturedItem(
        url=got.final_url,
        body=got.body,
        content_type=got.content_type,
        kind=kind_of(got.content_type),
        truncated=got.truncated,
        source_url=source,
    )
