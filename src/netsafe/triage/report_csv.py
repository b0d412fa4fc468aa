"""report.csv: one row per location of every item, for a spreadsheet or a case-management import.

Every cell goes through :func:`netsafe.textsafe.csv_cell`: names, hash-set names and categories come from
evidence or from lists made by others, and a cell starting with ``=`` must not become a live formula."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from netsafe.textsafe import csv_cell

COLUMNS = (
    "sha256",
    "location",
    "deleted",
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
    "match_signals",
    "min_distance",
    "error",
    # Filled when "location" had to escape a name (bytes that are not UTF-8, control characters): the
    # location with every name as it really is, as bytes in hex.
    "location_bytes_hex",
)


def rows(report: dict[str, Any]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for item in report["items"]:
        signals = item["signals"]
        matches = item["matches"]
        common = {
            "sha256": item["sha256"],
            "size": item["size"],
            "kind": item["kind"],
            "mime": item["mime"] or "",
            "md5": signals.get("md5", ""),
            "sha1": signals.get("sha1", ""),
            "pdq": signals.get("pdq", ""),
            "pdq_quality": signals.get("pdq_quality", ""),
            "matched": "yes" if matches else "no",
            "category": item["category"] or "",
            "category_label": item["category_label"] or "",
            "hashsets": ";".join(sorted({m["hashset"] for m in matches})),
            "match_signals": ";".join(sorted({m["signal"] for m in matches})),
            "min_distance": min((m["distance"] for m in matches), default=""),
            "error": item["error"] or "",
        }
        for place in item["locations"]:
            row = {
                **common,
                "location": place["path"],
                "deleted": "yes" if place["deleted"] else "no",
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
