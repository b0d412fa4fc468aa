"""Capture as a service: fetch the reported page and its media (hotline/capture.py), hash every item with
the hashing engine, match it against the hash sets, seal its bytes in the vault, and store the items with
the report's change to ``captured`` and its audit event in one transaction.

An item that matches a graded entry carries that grade (``known_category``): the pages show the grade and
never the picture. The fetch happens outside any transaction (it can take the whole time budget); a report
that cannot be fetched keeps its state and records why (``capture_error``), with a failed audit event.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from netsafe.audit.service import Actor, record
from netsafe.errors import Conflict
from netsafe.hashing.engine import hash_bytes
from netsafe.hashing.options import HashOptions
from netsafe.hashing.record import FileRecord
from netsafe.hotline.assessment import most_severe
from netsafe.hotline.capture import CapturedPage, Fetcher, capture_page
from netsafe.hotline.common import at, change_state, get_report
from netsafe.hotline.fetch import FetchFailed, FetchRefused, fetch
from netsafe.hotline.models import ItemRow, ReportRow
from netsafe.hotline.referrals import is_self_referred
from netsafe.hotline.settings import HotlineSettings
from netsafe.hotline.states import PENDING, Status
from netsafe.hotline.vault import Vault
from netsafe.services.lookup import LookupOptions, file_query, search
from netsafe.services.matcher import Match, Matcher
from netsafe.store.db import Database

# Hashing a capture: every signal netsafe computes (the registry's), as `netsafe hash` does.
HASH_OPTIONS = HashOptions()
MAX_ERRORS_KEPT = 20


@dataclass(slots=True)
class Hashed:
    url: str
    kind: str
    truncated: bool
    body: bytes
    record: FileRecord
    matches: list[Match]

    @property
    def known_category(self) -> str | None:
        graded = [m.category for m in self.matches if m.category]
        try:
            return most_severe(graded)
        except Exception:  # a set graded on another profile: its first graded code still counts
            return graded[0] if graded else None


def _item_out(h: Hashed) -> dict[str, Any]:
    return {
        "url": h.url,
        "sha256": h.record.digests.get("sha256"),
        "pdq": h.record.pdq,
        "kind": h.kind,
        "known_category": h.known_category,
        "matches": [{"hashset": m.hashset, "category": m.category} for m in h.matches],
    }


def hash_and_match(page: CapturedPage, matcher: Matcher) -> list[Hashed]:
    out = []
    records = [hash_bytes(item.body, item.url, HASH_OPTIONS) for item in page.items]
    found = search(matcher, [file_query(r, "capture") for r in records], LookupOptions()) if records else []
    for item, rec, matches in zip(page.items, records, found, strict=True):
        out.append(Hashed(item.url, item.kind, item.truncated, item.body, rec, matches))
    return out


def capture(
    db: Database,
    actor: Actor,
    reference: str,
    *,
    settings: HotlineSettings,
    matcher: Matcher,
    vault: Vault,
    fetcher: Fetcher = fetch,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Capture report ``reference``. Returns ``{"reference", "status", "final_url", "items", "errors",
    "error"}``; ``error`` is set (and nothing stored but the reason) when the page itself could not be
    fetched. Raises NotFound, or Conflict for a report that is not waiting for capture."""
    with db.session() as session:
        report = get_report(session, reference)
        _check_capturable(report)
        ref, url = report.reference, report.normalised_url
    try:
        page = capture_page(url, settings=settings, fetcher=fetcher)
    except (FetchRefused, FetchFailed) as err:
        message = " ".join(str(err).split())
        with db.session() as session:
            report = get_report(session, ref)
            report.capture_error = message[:2000]
            record(
                session,
                actor,
                "hotline.capture",
                f"report:{ref}",
                {"error": message[:400], "reason": err.reason},
                outcome="failed",
            )
            status = report.status
        return {
            "reference": ref,
            "status": status,
            "final_url": None,
            "items": [],
            "errors": [],
            "error": message,
        }
    hashed = hash_and_match(page, matcher)
    when = at(now)
    sealed: list[str] = []
    again: list[str] = []
    try:
        for h in hashed:
            sealed.append(vault.put(h.body))
        with db.session() as session:
            report = get_report(session, ref, lock=True)
            _check_capturable(report)
            # A capture made again (the page changed, the first was cut short) adds what is new: an item
            # already held from the same address is not stored, nor assessed, twice.
            held = {
                (url, sha256)
                for url, sha256 in session.execute(
                    select(ItemRow.url, ItemRow.sha256).where(ItemRow.report_id == report.id)
                )
            }
            for h, vault_id in zip(hashed, sealed, strict=True):
                row = _row(report.id, h, vault_id, when)
                if (row.url, row.sha256) in held:
                    again.append(vault_id)
                    continue
                held.add((row.url, row.sha256))
                session.add(row)
            problems = page.errors[:MAX_ERRORS_KEPT]
            report.final_url = page.final_url
            report.captured_at = when
            report.capture_error = "; ".join(problems)[:2000] or None
            details = {
                "final_url": page.final_url[:400],
                "redirects": len(page.redirects),
                "items": len(hashed),
                "already_held": len(again),
                "known": sum(1 for h in hashed if h.known_category),
                "matched": sum(1 for h in hashed if h.matches),
                "errors": len(page.errors),
                "skipped": len(page.skipped),
            }
            change_state(session, actor, report, Status.CAPTURED, when, "hotline.capture", details)
            status = report.status
    except BaseException:
        vault.purge(sealed)  # nothing sealed stays behind a capture that was not stored
        raise
    vault.purge(again)
    return {
        "reference": ref,
        "status": status,
        "final_url": page.final_url,
        "items": [_item_out(h) for h in hashed],
        "errors": page.errors,
        "error": None,
    }


def _check_capturable(report: ReportRow) -> None:
    if is_self_referred(report):
        raise Conflict(f"report {report.reference} is an upload: there is no page to capture")
    if report.linked_to is not None:
        raise Conflict(f"report {report.reference} waits with another report of its URL: capture that one")
    if report.status not in PENDING:
        raise Conflict(
            f"report {report.reference} is {report.status}: only a report waiting for assessment is captured"
        )


def _row(report_id: int, h: Hashed, vault_id: str, when: datetime) -> ItemRow:
    rec = h.record
    return ItemRow(
        report_id=report_id,
        url=h.url[:8000],
        vault_id=vault_id,
        size=len(h.body),
        kind=h.kind,
        mime=rec.mime,
        truncated=h.truncated,
        sha256=rec.digests.get("sha256", ""),
        md5=rec.digests.get("md5"),
        pdq=rec.pdq,
        pdq_quality=rec.pdq_quality,
        error=rec.error,
        matches=[
            {
                "hashset": m.hashset,
                "entry_id": m.entry_id,
                "category": m.category,
                "signal": m.signal,
                "distance": m.distance,
            }
            for m in h.matches[:20]
        ],
        known_category=h.known_category,
        captured_at=when,
    )
