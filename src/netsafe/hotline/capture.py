"""Capture a reported page: the page itself and the media it shows or links to, within the report's limits.

A page that is itself an image or a video is the one item. An HTML page gives its media links (extract.py),
fetched one by one until ``fetch_max_items`` or ``fetch_max_report_bytes`` runs out; a link that turns out
not to be an image or a video is noted in ``skipped`` and not kept. A page that is neither (an archive, a
PDF) is kept as one item of kind ``other``: it is what was reported. A failure of the page itself raises
(FetchRefused / FetchFailed); a failure of one item is a line in ``errors`` and capture goes on.

No hashing and no storage here: the hotline's capture service does both with what this returns.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from netsafe.hotline.extract import media_links
from netsafe.hotline.fetch import FetchBudget, Fetched, FetchFailed, FetchRefused, fetch
from netsafe.hotline.settings import HotlineSettings
from netsafe.hotline.sniffing import HTML, ItemKind, kind_of


class Fetcher(Protocol):
    def __call__(
        self, url: str, *, settings: HotlineSettings, budget: FetchBudget | None = None
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
    links: int = 0  # media links found on the page
    failures: list[ItemFailure] = field(default_factory=list)  # the errors above, as codes
    limited: bool = False  # links were left unfetched because a limit ran out


def capture_page(
    url: str,
    *,
    settings: HotlineSettings,
    fetcher: Fetcher = fetch,
    budget: FetchBudget | None = None,
) -> CapturedPage:
    budget = budget if budget is not None else FetchBudget.for_report(settings)
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
    links = [link for link in media_links(page.body, page.final_url) if link not in (url, page.final_url)]
    result.links = len(links)
    for index, link in enumerate(links):
        if index >= settings.fetch_max_items:
            result.skipped.append(f"{len(links) - index} more links not fetched: fetch_max_items reached")
            result.limited = True
            break
        if budget.exhausted:
            result.skipped.append(
                f"{len(links) - index} more links not fetched: fetch_max_report_bytes (or time) used up"
            )
            result.limited = True
            break
        try:
            got = fetcher(link, settings=settings, budget=budget)
        except (FetchRefused, FetchFailed) as err:
            result.errors.append(f"{link}: {err}")
            result.failures.append(ItemFailure(link, err.reason))
            continue
        if got.status >= 400:
            result.errors.append(f"{link}: HTTP status {got.status}")
            result.failures.append(ItemFailure(link, f"status-{got.status}"))
            continue
        kind = kind_of(got.content_type)
        if kind == "other":
            result.skipped.append(f"{link}: not an image or a video ({got.content_type}); not kept")
            continue
        result.items.append(_item(got, link))
    return result


def _item(got: Fetched, source: str) -> CapturedItem:
    return CapturedItem(
        url=got.final_url,
        body=got.body,
        content_type=got.content_type,
        kind=kind_of(got.content_type),
        truncated=got.truncated,
        source_url=source,
    )
