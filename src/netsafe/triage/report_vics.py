"""vics.json: every image and video of the scan (and any other matched file) as VICS 2.0 Media, for
import into Griffeye or CAID. Matched items carry their category, unmatched ones none (uncategorised).
Written by the shared VICS writer (netsafe.hashsets.formats.vics)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from netsafe.hashsets.formats import vics
from netsafe.hashsets.model import Entry
from netsafe.signals import types
from netsafe.signals.types import COMPUTED_SIGNALS
from netsafe.triage.report_json import category_in, charge_profile


def export_profile(report: dict[str, Any]) -> str:
    """The scan's hash sets' profile when they share one, else the UK CAID profile."""
    return charge_profile(report["scan"]["hash_sets"])


def _iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def entries(report: dict[str, Any], profile: str) -> Iterator[Entry]:
    scan = report["scan"]
    ignore_sets = {s["name"] for s in scan["hash_sets"] if s.get("kind") == "ignore"}
    # netsafe's own keys (VICS has no case or exhibit field on Media); readers ignore keys they do not know.
    case = {k: v for k, v in (("CaseReference", scan["case"]), ("ExhibitReference", scan["exhibit"])) if v}
    for item in report["items"]:
        if item["kind"] not in ("image", "video") and not item["matches"]:
            continue
        sig = item["signals"]
        files: list[dict[str, Any]] = []
        for place in item["locations"]:
            media_file: dict[str, Any] = {
                "MD5": sig["md5"].upper() if "md5" in sig else None,
                "FileName": place["location"][-1].get("name", "").rsplit("/", 1)[-1],
                "FilePath": place["path"],
                "Deleted": place["deleted"],
            }
            times = place.get("times", {})
            for key, vics_key in (("created", "Created"), ("modified", "Written"), ("accessed", "Accessed")):
                if key in times:
                    media_file[vics_key] = _iso(times[key])
            files.append({k: v for k, v in media_file.items() if v is not None})
        yield Entry(
            signals={k: sig[k] for k in COMPUTED_SIGNALS if k in sig and types.REGISTRY[k].in_entries},
            category=category_in(item, profile, ignore_sets),
            media_size=item["size"],
            mime_type=item["mime"],
            media_files=files,
            # Pre-categorised: graded by a list before this case; a local grade (review) is not.
            extra={"IsPrecategorized": bool(item["matches"]), **case},
        )


def write_vics(report: dict[str, Any], path: Path) -> int:
    profile = export_profile(report)
    return vics.write(entries(report, profile), path, profile, media_ids="number")
