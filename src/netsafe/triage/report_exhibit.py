"""The per-file exhibit table: one row per file (every location of every item), most severe first.

report.csv holds every file; report.html and report.pdf the files that matched and their near-copies. Both
come from :func:`exhibit_rows`, so the two can never disagree about an order, a time or a flag. Matched
items are numbered (``item``) in this order; a near-copy names the number of the item it resembles.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from netsafe.hashsets.profiles import load_profile
from netsafe.triage.report_json import category_in

TIME_FIELDS = ("created", "modified", "accessed", "changed")
NEEDS_GRADING = "needs grading"


def iso(seconds: float | None) -> str:
    """A file-system time as UTC, to the second ('' where the file system does not record it)."""
    if seconds is None:
        return ""
    try:
        when = datetime.fromtimestamp(seconds, UTC)
    except (OverflowError, OSError, ValueError):
        return ""  # a corrupt time stamp: shown as unknown rather than as a false date
    return when.replace(microsecond=0).isoformat().replace("+00:00", "Z")


@dataclass(frozen=True, slots=True)
class Row:
    """One file of the exhibit table (``item`` is 0 for a file that neither matched nor resembles one)."""

    item: int
    status: str  # matched | near-copy | unmatched
    rank: int  # position of the category in severity order; lower is more severe
    category: str | None
    category_label: str
    place: dict[str, Any]
    data: dict[str, Any]
    similar_to: int  # for a near-copy: the number of the matched item it resembles

    @property
    def file_name(self) -> str:
        last = self.place["location"][-1]
        return str(last.get("name", "")).rsplit("/", 1)[-1]

    def time(self, name: str) -> str:
        value = self.place.get("times", {}).get(name)
        return iso(value)

    def note(self) -> str:
        near = self.data["near_copy_of"]
        if self.status != "near-copy" or near is None:
            return ""
        label = near["category_label"] or "uncategorised"
        return (
            f"similar to item {self.similar_to} ({label}), distance {near['distance']} "
            f"({near['signal']}): {NEEDS_GRADING}"
        )


def exhibit_rows(report: dict[str, Any], *, found_only: bool = False) -> list[Row]:
    """Rows ordered by severity (matched items in the profile's order, uncategorised after them), then
    near-copies, then every other file; within each, by location. ``found_only`` leaves out the others."""
    grading = load_profile(report["summary"]["charge_profile"])
    order = grading.severity_order
    last = len(order)
    graded: list[tuple[int, str, dict[str, Any], str | None]] = []
    for item in report["items"]:
        if item["matches"]:
            code = category_in(item, grading)
            rank = order.index(code) if code in order else last
            graded.append((rank, _first(item), item, code))
    graded.sort(key=lambda g: (g[0], g[1]))
    number = {g[2]["sha256"]: n for n, g in enumerate(graded, start=1)}
    rows: list[Row] = []
    for rank, _, item, code in graded:
        for place in sorted(item["locations"], key=lambda p: p["path"]):
            rows.append(
                Row(number[item["sha256"]], "matched", rank, code, grading.label(code), place, item, 0)
            )
    others: list[Row] = []
    for item in report["items"]:
        if item["matches"]:
            continue
        near = item["near_copy_of"]
        status = "near-copy" if near is not None else "unmatched"
        if found_only and near is None:
            continue
        similar = number.get(near["sha256"], 0) if near is not None else 0
        for place in item["locations"]:
            others.append(Row(0, status, last + 1, None, "", place, item, similar))
    others.sort(key=lambda r: (r.status != "near-copy", r.place["path"]))
    return rows + others


def _first(item: dict[str, Any]) -> str:
    return min(str(p["path"]) for p in item["locations"])
