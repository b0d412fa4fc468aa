"""Video-to-video matching on vPDQ frame hashes, with the semantics of Meta's ``vpdq`` brute-force matcher.

Like ``match_two_hash_brute``: frames below ``quality_tolerance`` are dropped and frames with identical hashes
counted once; the *query share* is the percentage of the query's remaining frames within
``distance_tolerance`` bits of some candidate frame, the *compared share* the same the other way round, and
two videos match when both shares reach their thresholds (80% by default, as in ThreatExchange).

On top of the shares we report where the videos match: runs of query frames whose matching candidate frames
keep a steady time offset, as (query start, query end, candidate start, candidate end) in seconds.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from netsafe.errors import InvalidInput
from netsafe.matching.pdq_index import PDQIndex
from netsafe.signals.codecs import HashFormatError, hex_to_words, normalise_hex
from netsafe.signals.vpdq import VpdqFrame

DISTANCE_TOLERANCE = 31
QUALITY_TOLERANCE = 50
MATCH_PERCENT = 80.0
# Two matched frames stay in one segment while their time offsets differ by at most this many seconds and
# the gap between them in the query is at most SEGMENT_GAP seconds.
OFFSET_TOLERANCE = 1.0
SEGMENT_GAP = 2.0


class VpdqFormatError(InvalidInput, ValueError):
    """A vPDQ text line that is not ``frame_number,quality,pdq_hex,timestamp``."""


@dataclass(frozen=True, slots=True)
class VpdqSegment:
    query_start: float
    query_end: float
    candidate_start: float
    candidate_end: float
    frames: int


@dataclass(frozen=True, slots=True)
class VpdqMatch:
    query_match_percent: float
    compared_match_percent: float
    is_match: bool
    segments: tuple[VpdqSegment, ...]


def parse_vpdq_text(text: str, source: str = "<vpdq>") -> list[VpdqFrame]:
    """Frames from the reference tool's text form; errors name ``source``, the line and the field."""
    frames = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split(",")
        if len(parts) != 4:
            raise VpdqFormatError(
                f"{source}:{number}: expected 4 fields (frame_number,quality,pdq_hex,timestamp), "
                f"got {len(parts)}"
            )
        field = "frame_number"
        try:
            frame = int(parts[0])
            field = "quality"
            quality = int(parts[1])
            field = "pdq_hex"
            pdq = normalise_hex(parts[2], "pdq")
            field = "timestamp"
            timestamp = float(parts[3])
        except (ValueError, HashFormatError) as err:
            raise VpdqFormatError(f"{source}:{number}: bad {field}: {err}") from None
        if frame < 0 or not 0 <= quality <= 100 or not np.isfinite(timestamp) or timestamp < 0:
            raise VpdqFormatError(f"{source}:{number}: frame, quality (0-100) or timestamp out of range")
        frames.append(VpdqFrame(frame=frame, timestamp=timestamp, quality=quality, pdq=pdq))
    return frames


def read_vpdq_file(path: str | Path) -> list[VpdqFrame]:
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise VpdqFormatError(f"{file}: cannot read vPDQ text: {err}") from None
    return parse_vpdq_text(text, str(file))


def _near(
    a: npt.NDArray[np.uint64], b: npt.NDArray[np.uint64], tolerance: int
) -> list[npt.NDArray[np.int64]]:
    """For each frame of ``a``, the ascending positions of the frames of ``b`` within ``tolerance`` bits.

    Uses the PDQ index, so a 10-hour video against another costs milliseconds, not a dense pair matrix.
    """
    index = PDQIndex()
    index.add(np.arange(len(b), dtype=np.int64), b)
    return [np.sort(ids) for ids, _ in index.search_many(a, tolerance)]


def _usable(frames: Iterable[VpdqFrame], quality_tolerance: int) -> list[VpdqFrame]:
    return sorted((f for f in frames if f.quality >= quality_tolerance), key=lambda f: f.timestamp)


def _dedupe(frames: Sequence[VpdqFrame]) -> list[VpdqFrame]:
    seen: set[str] = set()
    unique = []
    for f in frames:
        if f.pdq not in seen:
            seen.add(f.pdq)
            unique.append(f)
    return unique


def match_videos(
    query: Sequence[VpdqFrame],
    candidate: Sequence[VpdqFrame],
    *,
    distance_tolerance: int = DISTANCE_TOLERANCE,
    quality_tolerance: int = QUALITY_TOLERANCE,
    query_match_percent: float = MATCH_PERCENT,
    compared_match_percent: float = MATCH_PERCENT,
) -> VpdqMatch:
    """Compare two videos' vPDQ frames; a video with no usable frame matches nothing (0%)."""
    q_frames = _usable(query, quality_tolerance)
    c_frames = _usable(candidate, quality_tolerance)
    if not q_frames or not c_frames:
        return VpdqMatch(0.0, 0.0, False, ())
    q_words = hex_to_words([f.pdq for f in q_frames])
    c_words = hex_to_words([f.pdq for f in c_frames])
    near = _near(q_words, c_words, distance_tolerance)

    q_unique, c_unique = _dedupe(q_frames), _dedupe(c_frames)
    q_any = [len(m) > 0 for m in near]
    c_mask = np.zeros(len(c_frames), dtype=np.bool_)
    for m in near:
        c_mask[m] = True
    c_any: list[bool] = c_mask.tolist()
    q_hit = dict(zip((f.pdq for f in q_frames), q_any, strict=True))
    c_hit = dict(zip((f.pdq for f in c_frames), c_any, strict=True))
    q_share = 100.0 * sum(q_hit[f.pdq] for f in q_unique) / len(q_unique)
    c_share = 100.0 * sum(c_hit[f.pdq] for f in c_unique) / len(c_unique)
    is_match = q_share >= query_match_percent and c_share >= compared_match_percent
    segments = _segments(q_frames, c_frames, near)
    return VpdqMatch(q_share, c_share, is_match, tuple(segments))


def _segments(
    q_frames: Sequence[VpdqFrame], c_frames: Sequence[VpdqFrame], near: list[npt.NDArray[np.int64]]
) -> list[VpdqSegment]:
    """Greedy alignment: follow query frames in time order, keeping each run's candidate offset steady."""
    q_times = np.array([f.timestamp for f in q_frames])
    c_times = np.array([f.timestamp for f in c_frames])
    segments: list[VpdqSegment] = []
    current: list[tuple[float, float]] = []  # (query time, candidate time) pairs of the open run
    offset = 0.0
    for i in range(len(q_frames)):
        matches = near[i]
        if len(matches) == 0:
            if current and q_times[i] - current[-1][0] > SEGMENT_GAP:
                segments.append(_close(current))
                current = []
            continue
        offsets = c_times[matches] - q_times[i]
        if current:
            j = int(np.argmin(np.abs(offsets - offset)))
            steady = abs(offsets[j] - offset) <= OFFSET_TOLERANCE
            if steady and q_times[i] - current[-1][0] <= SEGMENT_GAP:
                current.append((float(q_times[i]), float(c_times[matches[j]])))
                offset = float(offsets[j])
                continue
            segments.append(_close(current))
        # A new run starts at the earliest matching candidate frame.
        current = [(float(q_times[i]), float(c_times[matches[0]]))]
        offset = float(offsets[0])
    if current:
        segments.append(_close(current))
    return segments


def _close(run: list[tuple[float, float]]) -> VpdqSegment:
    qs = [p[0] for p in run]
    cs = [p[1] for p in run]
    return VpdqSegment(min(qs), max(qs), min(cs), max(cs), len(run))
