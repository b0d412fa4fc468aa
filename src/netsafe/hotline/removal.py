"""Is a notified URL's content gone? The monitor's one question, answered from a fresh capture.

Removed: the page answers 404, 410 or 451 (gone for legal reasons); its host no longer resolves; the
server refuses the connection; or the page is up but none of its items hashes to a confirmed one (SHA-256
exactly, PDQ within the threshold, so a re-encoded copy still counts as present).

Not removed, and said why: a confirmed item is still there (``present``); the page could not be fetched for
a reason that proves nothing (a time-out, a broken connection: ``unreachable``); the host now points into a
private network (``blocked``, the fetcher refuses to go there); or no confirmed item was seen but some items
failed to load or limits left links unfetched, so their absence is not proven (``inconclusive``). A
monitor that closed a report on a flaky network day would send no more notices for content still online.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, field

from netsafe.hashing.engine import hash_bytes
from netsafe.hashing.options import HashOptions
from netsafe.hotline.capture import CapturedItem, Fetcher, capture_page
from netsafe.hotline.fetch import FetchFailed, FetchRefused, fetch
from netsafe.hotline.settings import HotlineSettings

GONE_STATUSES = frozenset({404, 410, 451})
REMOVED_FAILURES = frozenset({"dns", "refused"})
# Item failures that prove nothing about the item (a 404 on an item does: it is gone).
_UNPROVEN = frozenset({"timeout", "network", "connect", "protocol", "tls", "budget", "encoding", "private"})
DEFAULT_PDQ_THRESHOLD = 31
_HASH_OPTIONS = HashOptions(signals=frozenset({"sha256", "pdq"}))


@dataclass(frozen=True, slots=True)
class ItemHashes:
    sha256: str | None
    pdq: str | None = None


Hasher = Callable[[bytes], ItemHashes]


def hash_item(data: bytes) -> ItemHashes:
    """SHA-256 and, for an image, PDQ, with the hashing engine (the same code that hashed the capture)."""
    record = hash_bytes(data, "captured item", _HASH_OPTIONS)
    return ItemHashes(sha256=record.digests.get("sha256"), pdq=record.pdq)


@dataclass(frozen=True, slots=True)
class Removal:
    removed: bool
    reason: str  # gone, dns, refused, no-confirmed-item | present, unreachable, blocked, inconclusive
    detail: str = ""  # one line for the record
    status: int | None = None  # the page's HTTP status, when it answered
    final_url: str | None = None
    present: list[str] = field(default_factory=list)  # URLs of items still matching a confirmed hash


def check_removed(
    url: str,
    confirmed: Collection[str],
    *,
    settings: HotlineSettings,
    fetcher: Fetcher = fetch,
    hasher: Hasher = hash_item,
    confirmed_pdq: Collection[str] = (),
    pdq_threshold: int = DEFAULT_PDQ_THRESHOLD,
) -> Removal:
    """``confirmed``: SHA-256 hex of the report's confirmed items; ``confirmed_pdq``: their PDQ hex."""
    sha256s = {value.lower() for value in confirmed}
    pdqs = [value.lower() for value in confirmed_pdq]
    try:
        page = capture_page(url, settings=settings, fetcher=fetcher)
    except FetchFailed as err:
        if err.reason in REMOVED_FAILURES:
            return Removal(True, err.reason, str(err))
        return Removal(False, "unreachable", str(err))
    except FetchRefused as err:
        return Removal(False, "blocked", str(err))
    if page.status in GONE_STATUSES:
        return Removal(True, "gone", f"HTTP status {page.status}", page.status, page.final_url)
    present = [item.url for item in page.items if _matches(item, sha256s, pdqs, pdq_threshold, hasher)]
    if present:
        count = f"{len(present)} confirmed item{'s' if len(present) != 1 else ''}"
        return Removal(False, "present", f"{count} still online", page.status, page.final_url, present)
    unproven = [failure for failure in page.failures if failure.reason in _UNPROVEN]
    if page.status >= 400 or unproven or page.limited:
        why = (
            f"HTTP status {page.status}"
            if page.status >= 400
            else f"{len(unproven)} item(s) failed to load"
            if unproven
            else "limits left links unfetched"
        )
        return Removal(
            False, "inconclusive", f"no confirmed item seen, but {why}", page.status, page.final_url
        )
    return Removal(
        True,
        "no-confirmed-item",
        f"the page is up with {len(page.items)} item(s), none of them confirmed",
        page.status,
        page.final_url,
    )


def _matches(item: CapturedItem, sha256s: set[str], pdqs: list[str], threshold: int, hasher: Hasher) -> bool:
    if not item.body:
        return False
    hashes = hasher(item.body)
    if hashes.sha256 is not None and hashes.sha256.lower() in sha256s:
        return True
    if hashes.pdq is None or not pdqs:
        return False
    mine = int(hashes.pdq, 16)
    return any((mine ^ int(other, 16)).bit_count() <= threshold for other in pdqs)
