"""report.json: built from the scan's checkpoint in the store, so a resumed scan reports what an
uninterrupted one would. The format is described by ``report.schema.json`` shipped next to this module.

Version 2 (issue 17) made it an exhibit: the case and exhibit references, the evidence's acquisition hashes,
the charge table (every category of the profile, in severity order, zeros included) and near-copies of
found items (never counted as graded)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

from sqlalchemy import select

from netsafe.hashsets.profiles import (
    DEFAULT_PROFILE,
    GradingProfile,
    ProfileError,
    load_profile,
    map_category,
)
from netsafe.media.location import Location
from netsafe.signals.types import COMPUTED_SIGNALS
from netsafe.store import Database
from netsafe.textsafe import json_text, utf8_safe
from netsafe.triage.models import ScanBlobRow, ScanEventRow, ScanRow
from netsafe.triage.report_near import mark_near_copies

REPORT_FORMAT = "netsafe-triage-report"
REPORT_VERSION = 2
# The signals a scanned item carries (every signal netsafe computes), and the PDQ quality beside them.
SIGNAL_FIELDS = (*COMPUTED_SIGNALS, "pdq_quality")


@dataclass(slots=True)
class ReportData:
    report: dict[str, Any]
    thumbnails: dict[str, str]  # sha256 -> base64 PNG, unmatched images only (HTML with --thumbnails)


@dataclass(frozen=True, slots=True)
class LocalGrade:
    """A grade made in review since the scan (netsafe.review): what the report counts an unmatched item as."""

    category: str
    label: str
    hashset: str
    profile: str
    votes: int
    trusted: bool

    def as_dict(self) -> dict[str, Any]:
        return {
            "category": self.category,
            "category_label": self.label,
            "hashset": self.hashset,
            "profile": self.profile,
            "votes": self.votes,
            "trusted": self.trusted,
        }


def schema() -> dict[str, Any]:
    text = resources.files("netsafe.triage").joinpath("report.schema.json").read_text("utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def _time(value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:  # SQLite hands back naive datetimes; the store writes UTC
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _severity(match: dict[str, Any]) -> int:
    try:
        return load_profile(match["profile"]).severity(match["category"])
    except ProfileError:
        return -1


def item_category(matches: list[dict[str, Any]]) -> tuple[str | None, str | None]:
    """The most severe category among an item's matches: ``(code, label)``."""
    if not matches:
        return None, None
    worst = max(matches, key=_severity)
    return worst["category"], worst["category_label"]


def charge_profile(hash_sets: list[dict[str, Any]]) -> str:
    """The profile a report counts its charge in: the hash sets' own when they share one."""
    profiles = {s["profile"] for s in hash_sets}
    return profiles.pop() if len(profiles) == 1 else DEFAULT_PROFILE


def category_in(
    item: dict[str, Any], profile: str | GradingProfile, ignore_sets: frozenset[str] | set[str] = frozenset()
) -> str | None:
    """The most severe category of the item's matches (an ignore list's aside), in ``profile``'s codes
    (None: uncategorised); for an unmatched item graded in review since the scan, its grade."""
    grading = load_profile(profile)
    graded = item.get("graded")
    if graded is not None and not item["matches"]:
        try:
            code = map_category(graded["category"], graded["profile"], grading.name)
        except ProfileError:
            return None
        return code if grading.has(code) else None
    codes: list[str | None] = []
    for m in item["matches"]:
        if m["hashset"] in ignore_sets:
            continue
        try:
            code = map_category(m["category"], m["profile"], grading.name)
        except ProfileError:
            code = None  # no agreed mapping: leave it to a grader rather than guess
        codes.append(code if grading.has(code) else None)
    return grading.most_severe(codes) if codes else None


def charge_table(
    items: list[dict[str, Any]], profile: str, ignore_sets: frozenset[str] | set[str] = frozenset()
) -> list[dict[str, Any]]:
    """Matched and review-graded items by category, most severe first, every category of the profile and
    uncategorised last, zeros included (a charge sheet lists every category). Near-copies are not graded
    and not counted; nor are matches of ignore lists (known-benign files)."""
    grading = load_profile(profile)
    codes: list[str | None] = [*grading.severity_order, None]
    rows: dict[str | None, dict[str, Any]] = {
        code: {
            "category": code,
            "label": grading.label(code),
            "images": 0,
            "videos": 0,
            "files": 0,
            "image_files": 0,
            "video_files": 0,
        }
        for code in codes
    }
    for item in items:
        if not (_counted(item, ignore_sets) or "graded" in item):
            continue
        row = rows[category_in(item, grading, ignore_sets)]
        files = len(item["locations"])
        row["files"] += files
        if item["kind"] in ("image", "video"):
            row[item["kind"] + "s"] += 1
            row[item["kind"] + "_files"] += files
    return list(rows.values())


def build_report(db: Database, scan_id: int, grades: Mapping[str, LocalGrade] | None = None) -> ReportData:
    """The report of a scan from the store. ``grades`` (sha256 -> grade), from review: unmatched items
    graded since the scan, counted beside the known ones (``summary.by_category`` and the charge)."""
    with db.session() as session:
        scan = session.get(ScanRow, scan_id)
        if scan is None:
            raise ValueError(f"no scan with id {scan_id}")
        blobs = {b.id: b for b in session.scalars(select(ScanBlobRow).where(ScanBlobRow.scan_id == scan_id))}
        events = list(
            session.scalars(
                select(ScanEventRow).where(ScanEventRow.scan_id == scan_id).order_by(ScanEventRow.seq)
            )
        )
        session.expunge_all()
    ignore_sets = {s["name"] for s in scan.hash_sets if s.get("kind") == "ignore"}
    items: dict[int, dict[str, Any]] = {}
    errors: list[dict[str, Any]] = []
    files = nbytes = deleted = 0
    thumbnails: dict[str, str] = {}
    for event in events:
        loc = Location.from_json(event.location)
        # to_json again: a checkpoint written before names were made safe for UTF-8 still reports.
        where: dict[str, Any] = {"path": str(loc), "location": loc.to_json()}
        exact = loc.exact_hex()
        if exact is not None:
            where["path_bytes_hex"] = exact
        if event.blob_id is None:
            message = utf8_safe(event.message or "")
            errors.append({**where, "code": event.code or "unreadable", "message": message})
            continue
        blob = blobs[event.blob_id]
        files += 1
        nbytes += int(event.size or 0)
        deleted += bool(event.deleted)
        place: dict[str, Any] = {**where, "deleted": bool(event.deleted)}
        if event.times:
            place["times"] = event.times
        item = items.get(blob.id)
        if item is None:
            item = items[blob.id] = _item(blob, ignore_sets)
            grade = (grades or {}).get(blob.sha256)
            if grade is not None and not item["matches"]:
                item["category"], item["category_label"] = grade.category, grade.label
                item["graded"] = grade.as_dict()
            if blob.thumbnail and not blob.matches:
                thumbnails[blob.sha256] = blob.thumbnail
        item["locations"].append(place)
        if blob.error:
            errors.append({**where, "code": "decode", "message": blob.error})
    ordered = list(items.values())
    by_category: dict[str, int] = {}
    by_set: dict[str, int] = {}
    graded_by_category: dict[str, int] = {}
    for item in ordered:
        if "graded" in item:
            label = item["category_label"]
            graded_by_category[label] = graded_by_category.get(label, 0) + 1
        for name in sorted({m["hashset"] for m in item["matches"]}):
            by_set[name] = by_set.get(name, 0) + 1
        if not _counted(item, ignore_sets):
            continue
        label = item["category_label"] or "Uncategorised"
        by_category[label] = by_category.get(label, 0) + 1
    matched = [i for i in ordered if _counted(i, ignore_sets)]
    ignored = sum(1 for i in ordered if i["matches"] and not _counted(i, ignore_sets))
    everything = dict(by_category)
    for label, n in graded_by_category.items():
        everything[label] = everything.get(label, 0) + n
    options = scan.options
    profile = charge_profile(scan.hash_sets)
    mark_near_copies(ordered, int(options.get("max_distance") or 31))
    near = [i for i in ordered if i["near_copy_of"] is not None]
    summary = {
        "files": files,
        "bytes": nbytes,
        "items": len(ordered),
        "images": sum(1 for i in ordered if i["kind"] == "image"),
        "videos": sum(1 for i in ordered if i["kind"] == "video"),
        "deleted_files": deleted,
        "errors": len(errors),
        "matched_items": len(matched),
        "matched_files": sum(len(i["locations"]) for i in matched),
        "matches_by_category": dict(sorted(by_category.items())),
        "matches_by_hashset": {s["name"]: by_set.get(s["name"], 0) for s in scan.hash_sets},
        "charge_profile": profile,
        "charge": charge_table(ordered, profile, ignore_sets),
        "near_copies": len(near),
        "near_copy_files": sum(len(i["locations"]) for i in near),
    }
    if ignore_sets:
        summary["ignored_items"] = ignored
    if grades is not None:
        summary["graded_items"] = sum(graded_by_category.values())
        summary["graded_by_category"] = dict(sorted(graded_by_category.items()))
        summary["by_category"] = dict(sorted(everything.items()))
    report = {
        "format": REPORT_FORMAT,
        "format_version": REPORT_VERSION,
        "scan": {
            "id": scan.id,
            "case": options.get("case"),
            "exhibit": options.get("exhibit"),
            "netsafe_version": scan.netsafe_version,
            "examiner": scan.examiner,
            "started": _time(scan.started),
            "finished": _time(scan.finished),
            "elapsed_seconds": round(scan.elapsed, 3),
            "runs": scan.runs,
            "complete": scan.status == "finished",
            "sources": scan.sources,
            "signals": options.get("signals", []),
            "max_distance": options.get("max_distance"),
            "hash_sets": scan.hash_sets,
            "limits": options.get("limits", {}),
        },
        "summary": summary,
        "items": ordered,
        "errors": errors,
    }
    return ReportData(report, thumbnails)


def _counted(item: dict[str, Any], ignore_sets: frozenset[str] | set[str]) -> bool:
    """Matched a known set: an ignore list's matches are known-benign and left out of the counts."""
    return any(m["hashset"] not in ignore_sets for m in item["matches"])


def _item(blob: ScanBlobRow, ignore_sets: set[str]) -> dict[str, Any]:
    signals: dict[str, Any] = {"sha256": blob.sha256}
    for name in SIGNAL_FIELDS:
        if name == "sha256":
            continue
        value = getattr(blob, name)
        if value is not None:
            signals[name] = value
    code, label = item_category([m for m in blob.matches if m["hashset"] not in ignore_sets])
    return {
        "sha256": blob.sha256,
        "size": blob.size,
        "kind": blob.kind or "other",
        "mime": blob.mime,
        "signals": signals,
        "error": blob.error,
        "category": code,
        "category_label": label,
        "matches": blob.matches,
        "near_copy_of": None,
        "locations": [],
    }


def write_json(report: dict[str, Any], path: Path) -> None:
    # Compact: json's C encoder only runs without indent (several times faster on a large case);
    # `python -m json.tool report.json` shows it indented.
    with open(path, "w", encoding="utf-8") as fh:
        # json_text: should any text from the evidence still hold a lone surrogate, it is escaped, not fatal.
        fh.write(json_text(json.dumps(report, ensure_ascii=False, separators=(",", ":"))))
        fh.write("\n")
