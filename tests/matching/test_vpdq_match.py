from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from netsafe.matching.vpdq import VpdqFormatError, match_videos, parse_vpdq_text, read_vpdq_file
from netsafe.signals.codecs import hamming_hex, words_to_hex
from netsafe.signals.vpdq import VpdqFrame

REFERENCE = Path(__file__).resolve().parents[1] / "data" / "reference" / "vpdq"
CHAIR = REFERENCE / "chair-19-sd-bar.vpdq.txt"
DOORKNOB = REFERENCE / "doorknob-hd-no-bar.vpdq.txt"


def meta_brute(
    query: list[VpdqFrame], target: list[VpdqFrame], dist: int = 31, qual: int = 50
) -> tuple[float, float]:
    """Straight transcription of vpdq's match_two_hash_brute: dedupe by hash, drop low quality, count."""

    def prepare(frames: list[VpdqFrame]) -> list[VpdqFrame]:
        seen: set[str] = set()
        out = []
        for f in frames:
            if f.pdq not in seen:
                seen.add(f.pdq)
                out.append(f)
        return [f for f in out if f.quality >= qual]

    q, t = prepare(query), prepare(target)
    q_cnt = sum(any(hamming_hex(a.pdq, b.pdq) <= dist for b in t) for a in q)
    t_cnt = sum(any(hamming_hex(a.pdq, b.pdq) <= dist for b in q) for a in t)
    return 100.0 * q_cnt / len(q), 100.0 * t_cnt / len(t)


def test_a_video_matches_itself() -> None:
    chair = read_vpdq_file(CHAIR)
    assert len(chair) == 564
    result = match_videos(chair, chair)
    assert result.query_match_percent == 100.0 and result.compared_match_percent == 100.0
    assert result.is_match
    assert len(result.segments) == 1
    seg = result.segments[0]
    assert seg.query_start == seg.candidate_start == 0.0
    assert seg.query_end == seg.candidate_end == chair[-1].timestamp


def test_different_videos_do_not_match() -> None:
    chair, door = read_vpdq_file(CHAIR), read_vpdq_file(DOORKNOB)
    result = match_videos(chair, door)
    assert not result.is_match
    assert (result.query_match_percent, result.compared_match_percent) == pytest.approx(
        meta_brute(chair, door)
    )
    assert result.query_match_percent < 20 and result.compared_match_percent < 20


def test_trimmed_copy_matches_with_the_right_share() -> None:
    chair = read_vpdq_file(CHAIR)
    # Frames 200-399 re-timed from zero, as a trimmed re-upload would be hashed.
    t0 = chair[200].timestamp
    clip = [replace(f, frame=f.frame - 200, timestamp=round(f.timestamp - t0, 3)) for f in chair[200:400]]
    result = match_videos(clip, chair)
    want = meta_brute(clip, chair)
    assert (result.query_match_percent, result.compared_match_percent) == pytest.approx(want)
    assert result.query_match_percent == 100.0
    assert 200 / 564 * 100 <= result.compared_match_percent < 80
    assert not result.is_match  # the clip is in the video, but the video is not in the clip
    assert match_videos(clip, chair, compared_match_percent=30).is_match
    longest = max(result.segments, key=lambda s: s.frames)
    assert longest.frames >= 190
    assert longest.query_start == pytest.approx(0.0, abs=0.1)
    assert longest.candidate_start == pytest.approx(t0, abs=0.5)
    assert longest.candidate_end == pytest.approx(chair[399].timestamp, abs=0.5)


def test_quality_and_thresholds() -> None:
    chair = read_vpdq_file(CHAIR)
    poor = [replace(f, quality=10) for f in chair]
    assert match_videos(poor, chair).query_match_percent == 0.0
    assert match_videos(poor, chair, quality_tolerance=0).is_match
    exact = match_videos(chair[:50], chair[300:350], distance_tolerance=0)
    assert (exact.query_match_percent, exact.compared_match_percent) == pytest.approx(
        meta_brute(chair[:50], chair[300:350], dist=0)
    )


def test_parse_errors_name_line_and_field(tmp_path: Path) -> None:
    ok = "0,100," + "ab" * 32 + ",0.000"
    assert parse_vpdq_text(ok)[0].pdq == "ab" * 32
    with pytest.raises(VpdqFormatError, match=r"x.txt:2: bad pdq_hex"):
        parse_vpdq_text(ok + "\n1,100,abcd,0.033", "x.txt")
    with pytest.raises(VpdqFormatError, match=r":1: bad quality"):
        parse_vpdq_text("0,high," + "ab" * 32 + ",0")
    with pytest.raises(VpdqFormatError, match=r":1: expected 4 fields"):
        parse_vpdq_text("0,100")
    with pytest.raises(VpdqFormatError, match="out of range"):
        parse_vpdq_text("0,100," + "ab" * 32 + ",nan")
    with pytest.raises(VpdqFormatError, match="cannot read"):
        read_vpdq_file(tmp_path / "missing.txt")


def test_long_videos_without_a_pair_matrix() -> None:
    """Hours of frames: the shares still follow the definition (a dense pair matrix would need gigabytes)."""
    rng = np.random.default_rng(1)
    words = rng.integers(0, 2**64, size=(20_000, 4), dtype=np.uint64)
    hexes = words_to_hex(words)
    long_video = [VpdqFrame(i, float(i), 100, h) for i, h in enumerate(hexes)]
    excerpt = long_video[5_000:10_000]
    result = match_videos(excerpt, long_video)
    assert result.query_match_percent == 100.0
    assert result.compared_match_percent == pytest.approx(25.0)
    assert [(s.candidate_start, s.candidate_end, s.frames) for s in result.segments] == [
        (5000.0, 9999.0, 5000)
    ]
