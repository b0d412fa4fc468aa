"""report.csv: the exhibit table for a spreadsheet or a case-management import: one row per file (every
location of every item), most severe first, then near-copies, then the rest (report_exhibit.py).

Every cell goes through :func:`netsafe.textsafe.csv_cell`: names, hash-set names and categories come from
evidence or from lists made by others, and a cell starting with ``=`` must not become a live formula."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from netsafe.textsafe import csv_cell
from netsafe.triage.report_exhibit import TIME_FIELDS, exhibit_rows

COLUMNS = (
    "case",
    "exhibit",
    "item",
    "status",
    "sha256",
    "location",
    "file_name",
    "deleted",
    "created",
    "modified",
    "accessed",
    "changed",
    "size",
    "kind",
    "mime",
    "md5",
    "sha1",
    "pdq",
    "pdq_quality",
    "matched",
    "category",
    "category_label",
    "hashsets",
    "media_ids",
    "series",
    "match_signals",
    "min_distance",
    "near_copy_of",
    "near_copy_category",
    "near_copy_distance",
    "note",
    "error",
    # Filled when "location" had to escape a name (bytes that are not UTF-8, control characters): the
    # location with every name as it really is, as bytes in hex.
    "location_bytes_hex",
)


def rows(report: dict[str, Any]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    scan = report["scan"]
    for r in exhibit_rows(report):
        item, place = r.data, r.place
        signals = item["signals"]
        matches = item["matches"]
        near = item["near_copy_of"] or {}
        row = {
            "case": scan["case"] or "",
            "exhibit": scan["exhibit"] or "",
            "item": r.item or "",
            "status": r.status,
            "sha256": item["sha256"],
            "location": place["path"],
            "file_name": r.file_name,
            "deleted": "yes" if place["deleted"] else "no",
            **{name: r.time(name) for name in TIME_FIELDS},
            "size": item["size"],
            "kind": item["kind"],
            "mime": item["mime"] or "",
            "md5": signals.get("md5", ""),
            "sha1": signals.get("sha1", ""),
            "pdq": signals.get("pdq", ""),
            "pdq_quality": signals.get("pdq_quality", ""),
            "matched": "yes" if matches else "no",
            "category": r.category or "",
            "category_label": r.category_label if matches else "",
            "hashsets": ";".join(sorted({m["hashset"] for m in matches})),
            "media_ids": ";".join(sorted({str(m["source_id"]) for m in matches if m.get("source_id")})),
            "series": ";".join(sorted({str(m["series"]) for m in matches if m.get("series")})),
            "match_signals": ";".join(sorted({m["signal"] for m in matches})),
            "min_distance": min((m["distance"] for m in matches), default=""),
            "near_copy_of": near.get("sha256", ""),
            "near_copy_category": near.get("category") or "",
            "near_copy_distance": near.get("distance", ""),
            "note": r.note(),
            "error": item["error"] or "",
            "location_bytes_hex": place.get("path_bytes_hex", ""),
        }
        out.append({key: csv_cell(value) for key, value in row.items()})
    return out


def write_csv(report: dict[str, Any], path: Path) -> None:
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows(report))


CATEGORY_COLUMNS = ("category", "category_label", "source", "sha256", "location", "deleted")


def category_rows(report: dict[str, Any]) -> list[dict[str, Any]]:
    """Every location of every categorised item, by category: known (matched a list) or graded in review."""
    ignore_sets = {s["name"] for s in report["scan"]["hash_sets"] if s.get("kind") == "ignore"}
    out: list[dict[str, Any]] = []
    for item in report["items"]:
        if item["category"] is None:
            continue
        known = any(m["hashset"] not in ignore_sets for m in item["matches"])
        if not known and "graded" not in item:
            continue
        for place in item["locations"]:
            row = {
                "category": item["category"],
                "category_label": item["category_label"] or "",
                "source": "known" if known else "graded",
                "sha256": item["sha256"],
                "location": place["path"],
                "deleted": "yes" if place["deleted"] else "no",
            }
            out.append(row)
    out.sort(key=lambda r: (r["category_label"], r["location"]))
    return [{key: csv_cell(value) for key, value in row.items()} for row in out]


def write_categories(report: dict[str, Any], path: Path) -> None:
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=CATEGORY_COLUMNS)
        writer.writeheader()
        writer.writerows(category_rows(report))
