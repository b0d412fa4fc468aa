"""report.csv: one row per location of every item, for a spreadsheet or a case-management import."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

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
)


def _safe(value: str) -> str:
    # A cell starting with = + - @ is a formula to a spreadsheet: evidence names are untrusted input.
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


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
            "error": _safe(item["error"] or ""),
        }
        for place in item["locations"]:
            out.append(
                {**common, "location": _safe(place["path"]), "deleted": "yes" if place["deleted"] else "no"}
            )
    return out


def write_csv(report: dict[str, Any], path: Path) -> None:
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows(report))
