"""Every Pillow mode hashes, and lands within the match threshold of the RGB original."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from netsafe.signals.codecs import hamming_hex
from netsafe.signals.imaging import to_rgb
from netsafe.signals.pdq import pdq_from_rgb, pdq_from_source

# (mode, file format that can store it)
MODES = [
    ("1", "PNG"),
    ("L", "PNG"),
    ("LA", "PNG"),
    ("P", "PNG"),
    ("PA", "WEBP"),
    ("RGB", "JPEG"),
    ("RGBA", "PNG"),
    ("CMYK", "JPEG"),
    ("YCbCr", "JPEG"),
    ("I;16", "PNG"),
    ("I", "TIFF"),
    ("F", "TIFF"),
    ("LAB", "TIFF"),
    ("HSV", None),
]


@pytest.fixture(scope="module")
def original(reference: Path) -> Image.Image:
    with Image.open(reference / "pdq" / "modes" / "original.jpg") as im:
        return im.convert("RGB")


def _as_mode(rgb: Image.Image, mode: str) -> Image.Image:
    if mode == "I;16":
        grey = np.asarray(rgb.convert("L"), dtype=np.uint16) * 257
        return Image.fromarray(grey)
    if mode == "I":
        return Image.fromarray(np.asarray(rgb.convert("L"), dtype=np.int32) * 65793, "I")
    if mode == "F":
        return Image.fromarray(np.asarray(rgb.convert("L"), dtype=np.float32) / 255.0, "F")
    return rgb.convert(mode)


@pytest.mark.parametrize(("mode", "fmt"), MODES, ids=[m for m, _ in MODES])
def test_mode_hashes_and_matches_original(original: Image.Image, mode: str, fmt: str | None) -> None:
    reference_hash = pdq_from_rgb(np.asarray(original)).hash
    im = _as_mode(original, mode)
    assert im.mode == mode
    in_memory = pdq_from_rgb(to_rgb(im))
    assert hamming_hex(in_memory.hash, reference_hash) <= 31, f"{mode} in memory"
    if fmt is None:
        return
    buf = io.BytesIO()
    im.save(buf, format=fmt)
    for pdq_mode in ("fast", "exact"):
        from_file = pdq_from_source(buf.getvalue(), pdq_mode)  # type: ignore[arg-type]
        assert from_file.quality >= 50
        assert hamming_hex(from_file.hash, reference_hash) <= 31, f"{mode} saved as {fmt}, {pdq_mode}"


def test_sixteen_bit_grey_is_scaled_not_clipped() -> None:
    ramp = (np.arange(256 * 256, dtype=np.uint32).reshape(256, 256) % 65536).astype(np.uint16)
    im = Image.fromarray(ramp)
    assert im.mode == "I;16"
    rgb = to_rgb(im)
    assert rgb.dtype == np.uint8
    assert rgb.min() == 0
    assert rgb.max() == 255
    assert len(np.unique(rgb)) == 256


def test_float_image_with_nan_and_inf_is_finite() -> None:
    data = np.linspace(-5, 5, 64 * 64, dtype=np.float32).reshape(64, 64)
    data[0, 0] = np.nan
    data[1, 1] = np.inf
    rgb = to_rgb(Image.fromarray(data, "F"))
    assert rgb.shape == (64, 64, 3)
    assert rgb.max() == 255


def test_gif_first_frame_is_hashed(original: Image.Image) -> None:
    frames = [original.convert("P"), Image.new("RGB", original.size, (0, 0, 0)).convert("P")]
    buf = io.BytesIO()
    frames[0].save(buf, format="GIF", save_all=True, append_images=frames[1:], duration=100)
    result = pdq_from_source(buf.getvalue())
    assert hamming_hex(result.hash, pdq_from_rgb(np.asarray(original)).hash) <= 31
    assert result.quality >= 50


@pytest.mark.parametrize("fmt", ["BMP", "TIFF", "WEBP", "PNG", "GIF", "HEIF"])
def test_common_formats(original: Image.Image, fmt: str) -> None:
    if fmt == "HEIF":
        pillow_heif = pytest.importorskip("pillow_heif")
        pillow_heif.register_heif_opener()
    buf = io.BytesIO()
    original.save(buf, format=fmt)
    result = pdq_from_source(buf.getvalue())
    assert hamming_hex(result.hash, pdq_from_rgb(np.asarray(original)).hash) <= 31
