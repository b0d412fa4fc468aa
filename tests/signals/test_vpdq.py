"""vPDQ against Meta's reference output for the shared benign videos.

Tolerance, measured and stated: the reference decodes with its own FFmpeg build and colour conversion, so
frame hashes differ by a few bits. For every frame the reference rates quality >= 50 (the frames vPDQ
matches on) our hash is within 31 bits (the vPDQ frame match threshold), the mean distance over those
frames is <= 6 bits, and quality agrees within 2 points; frames below quality 50 are near-flat and are
not compared (vPDQ discards them). Frame numbers and timestamps agree exactly.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from netsafe.signals.codecs import hamming_hex
from netsafe.signals.errors import SignalError
from netsafe.signals.vpdq import vpdq_from_source

VIDEOS = ("chair-19-sd-bar", "doorknob-hd-no-bar")


def _reference(path: Path) -> list[tuple[int, int, str, float]]:
    rows = []
    for line in path.read_text().splitlines():
        frame, quality, pdq, ts = line.strip().split(",")
        rows.append((int(frame), int(quality), pdq, float(ts)))
    return rows


@pytest.mark.parametrize("name", VIDEOS)
def test_every_frame_agrees_with_reference(reference: Path, name: str) -> None:
    ref = _reference(reference / "vpdq" / f"{name}.vpdq.txt")
    ours = vpdq_from_source(str(reference / "vpdq" / f"{name}.mp4"), interval=0)
    assert [f.frame for f in ours] == [r[0] for r in ref]
    assert [f.timestamp for f in ours] == pytest.approx([r[3] for r in ref], abs=0.0011)
    distances = []
    for frame, (_, quality, pdq, _) in zip(ours, ref, strict=True):
        if quality < 50:
            continue
        assert abs(frame.quality - quality) <= 2
        distances.append(hamming_hex(frame.pdq, pdq))
    assert len(distances) >= 50
    assert max(distances) <= 31
    assert sum(distances) / len(distances) <= 6


def test_default_interval_is_one_frame_per_second(reference: Path) -> None:
    frames = vpdq_from_source(str(reference / "vpdq" / "chair-19-sd-bar.mp4"))
    assert [f.frame for f in frames[:3]] == [0, 30, 60]
    assert [f.timestamp for f in frames[:3]] == [0.0, 1.0, 2.0]
    assert frames[1].as_line().startswith("30,")


def test_interval_is_configurable(reference: Path) -> None:
    frames = vpdq_from_source(str(reference / "vpdq" / "chair-19-sd-bar.mp4"), interval=5)
    assert [f.frame for f in frames] == [0, 150, 300, 450]


def test_bytes_and_path_agree(reference: Path) -> None:
    path = reference / "vpdq" / "doorknob-hd-no-bar.mp4"
    assert vpdq_from_source(str(path)) == vpdq_from_source(path.read_bytes())


def test_truncated_video_keeps_what_decodes(reference: Path) -> None:
    data = (reference / "vpdq" / "chair-19-sd-bar.mp4").read_bytes()
    frames = vpdq_from_source(data[: len(data) // 7])
    assert 0 < len(frames) < 19


@pytest.mark.parametrize(
    "data",
    [b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 100, b"\x1a\x45\xdf\xa3" + b"garbage" * 10, b"OggS" * 3],
    ids=["mp4-header-only", "mkv-garbage", "ogg-garbage"],
)
def test_undecodable_video_is_a_one_line_error(data: bytes) -> None:
    with pytest.raises(SignalError) as info:
        vpdq_from_source(data)
    assert "\n" not in str(info.value)
