"""PDQ against Meta's reference hashes for the shared benign photos."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pdqhash
import pytest
from PIL import Image

from netsafe.signals.codecs import bits_to_hex, hamming_hex
from netsafe.signals.pdq import QUALITY_THRESHOLD, pdq_from_source

MODES = ("fast", "exact")


@pytest.mark.parametrize("mode", MODES)
def test_reference_hashes_within_10_bits(reference: Path, expected_pdq: dict[str, str], mode: str) -> None:
    checked = 0
    for rel, ref_hash in expected_pdq.items():
        result = pdq_from_source(str(reference / "pdq" / rel), mode)  # type: ignore[arg-type]
        if result.quality < 80:
            continue
        checked += 1
        distance = hamming_hex(result.hash, ref_hash)
        assert distance <= 10, f"{rel} ({mode}): {distance} bits from the reference"
    assert checked >= 13


@pytest.mark.parametrize("mode", MODES)
def test_bridge_edits_match_original(reference: Path, mode: str) -> None:
    folder = reference / "pdq" / "bridge-mods"
    original = pdq_from_source(str(folder / "aaa-orig.jpg"), mode)  # type: ignore[arg-type]
    edits = sorted(p for p in folder.glob("*.jpg") if p.name != "aaa-orig.jpg")
    assert len(edits) >= 10
    for path in edits:
        edited = pdq_from_source(str(path), mode)  # type: ignore[arg-type]
        assert hamming_hex(edited.hash, original.hash) <= 31, path.name


@pytest.mark.parametrize("mode", MODES)
def test_every_mode_file_matches_original(reference: Path, mode: str) -> None:
    folder = reference / "pdq" / "modes"
    original = pdq_from_source(str(folder / "original.jpg"), mode)  # type: ignore[arg-type]
    files = sorted(p for p in folder.iterdir() if p.suffix != ".md" and p.name != "original.jpg")
    assert len(files) >= 13
    for path in files:
        result = pdq_from_source(str(path), mode)  # type: ignore[arg-type]
        assert result.quality >= QUALITY_THRESHOLD, path.name
        assert hamming_hex(result.hash, original.hash) <= 31, path.name


def test_exact_equals_pdqhash_on_full_decode_bit_for_bit(reference: Path) -> None:
    paths = sorted((reference / "pdq").glob("*/*.*"))
    images = [p for p in paths if p.suffix.lower() in (".jpg", ".png", ".webp")]
    assert len(images) > 20
    for path in images:
        with Image.open(path) as im:
            rgb = np.asarray(im.convert("RGB"))
        vector, quality = pdqhash.compute(rgb)
        ours = pdq_from_source(str(path), "exact")
        assert ours.hash == bits_to_hex(vector), path.name
        assert ours.quality == quality, path.name


def test_flat_image_is_flagged_low_quality(reference: Path) -> None:
    result = pdq_from_source(str(reference / "pdq" / "misc" / "small.jpg"))
    assert result.quality < QUALITY_THRESHOLD
    assert result.low_quality


def test_bytes_and_path_give_the_same_hash(reference: Path) -> None:
    path = reference / "pdq" / "bridge-mods" / "aaa-orig.jpg"
    for mode in MODES:
        a = pdq_from_source(str(path), mode)  # type: ignore[arg-type]
        b = pdq_from_source(path.read_bytes(), mode)  # type: ignore[arg-type]
        assert a == b
