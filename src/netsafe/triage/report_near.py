"""Near-copies of found items: an unmatched image (or video) perceptually close to an item of this same
scan that did match.

A list often carries only the MD5 of a known image; a crop, a blurred or a resized copy of it on the same
device then matches nothing. Compared with the matched items' PDQ (vPDQ for videos) it is flagged "similar
to item X: needs grading". It stays ungraded: the charge table never counts it.
"""

from __future__ import annotations

from statistics import median
from typing import Any

import numpy as np

from netsafe.matching.vpdq import QUALITY_TOLERANCE, match_videos
from netsafe.signals.codecs import hamming_words, hex_to_words
from netsafe.signals.pdq import QUALITY_THRESHOLD
from netsafe.signals.vpdq import VpdqFrame


def _pdq(item: dict[str, Any]) -> str | None:
    signals = item["signals"]
    pdq = signals.get("pdq")
    # A near-uniform picture's PDQ says little: it would be "near" every other flat picture.
    if pdq is None or int(signals.get("pdq_quality") or 0) < QUALITY_THRESHOLD:
        return None
    return str(pdq)


def _frames(item: dict[str, Any]) -> list[VpdqFrame]:
    raw = item["signals"].get("vpdq") or []
    return [VpdqFrame(int(f["frame"]), float(f["timestamp"]), int(f["quality"]), str(f["pdq"])) for f in raw]


def _link(found: dict[str, Any], distance: int, signal: str) -> dict[str, Any]:
    return {
        "sha256": found["sha256"],
        "category": found["category"],
        "category_label": found["category_label"],
        "distance": distance,
        "signal": signal,
    }


def mark_near_copies(items: list[dict[str, Any]], max_distance: int) -> None:
    """Set ``near_copy_of`` on every unmatched item within ``max_distance`` bits of a matched one (the
    closest; the first found in walk order on a tie)."""
    matched = [i for i in items if i["matches"]]
    if not matched:
        return
    images = [(i, p) for i in matched if (p := _pdq(i)) is not None]
    table = hex_to_words([p for _, p in images])
    for item in items:
        # A near-copy needs grading; one graded in review since the scan has its grade already.
        if item["matches"] or "graded" in item or item["kind"] not in ("image", "video"):
            continue
        if item["kind"] == "image" and images:
            pdq = _pdq(item)
            if pdq is None:
                continue
            distances = hamming_words(hex_to_words([pdq])[0], table)
            best = int(np.argmin(distances))
            if int(distances[best]) <= max_distance:
                item["near_copy_of"] = _link(images[best][0], int(distances[best]), "pdq")
        elif item["kind"] == "video":
            _near_video(item, matched, max_distance)


def _near_video(item: dict[str, Any], matched: list[dict[str, Any]], max_distance: int) -> None:
    frames = [f for f in _frames(item) if f.quality >= QUALITY_TOLERANCE]
    if not frames:
        return
    query = hex_to_words([f.pdq for f in frames])
    best: tuple[int, dict[str, Any]] | None = None
    for found in matched:
        known = [f for f in _frames(found) if f.quality >= QUALITY_TOLERANCE]
        if not known or not match_videos(frames, known, distance_tolerance=max_distance).is_match:
            continue
        table = hex_to_words([f.pdq for f in known])
        # The video's distance: the median over its frames of the distance to the nearest known frame.
        distance = int(median(int(hamming_words(q, table).min()) for q in query))
        if best is None or distance < best[0]:
            best = (distance, found)
    if best is not None:
        item["near_copy_of"] = _link(best[1], best[0], "vpdq")
