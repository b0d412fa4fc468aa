"""Fast-mode PDQ: PDQ's own downscaling filter applied to reduced-scale pixels.

The filter weights are checked against a line-by-line port of Meta's box1DFloat/decimateFloat, the reduced
path against the full-size path on images where a reduced pixel is exactly its block's mean, and the whole
fast mode against exact mode on camera-size images (it must really decode reduced, and stay close).
"""

from __future__ import annotations

import io

import numpy as np
import numpy.typing as npt
import pytest
from PIL import Image

from netsafe.samples import synthetic_photo
from netsafe.signals.codecs import hamming_hex
from netsafe.signals.imaging import FAST_MAX_SIDE, decode_luma_reduced, fast_factors, fast_scale, open_image
from netsafe.signals.pdq import _cell_weights, downscale_to_cells, pdq_from_source

Floats = npt.NDArray[np.float64]


def _box_port(columns: Floats, window: int) -> Floats:
    """Meta's box1DFloat, phase by phase, on every column of ``columns`` at once (axis 0: the signal)."""
    n = columns.shape[0]
    half = (window + 2) // 2
    out = np.zeros_like(columns)
    total = np.zeros(columns.shape[1])
    count, read, left, write = 0, 0, 0, 0
    for _ in range(half - 1):
        total = total + columns[read]
        count, read = count + 1, read + 1
    for _ in range(window - half + 1):
        total = total + columns[read]
        count, read = count + 1, read + 1
        out[write] = total / count
        write += 1
    for _ in range(n - window):
        total = total + columns[read] - columns[left]
        read, left = read + 1, left + 1
        out[write] = total / count
        write += 1
    for _ in range(half - 1):
        total = total - columns[left]
        count, left = count - 1, left + 1
        out[write] = total / count
        write += 1
    return out


def _pdq_filter_port(side: int) -> Floats:
    """64 x side matrix: two Jarosz box passes with PDQ's window, then PDQ's decimation rows."""
    window = (side + 2 * 64 - 1) // (2 * 64)
    filtered = _box_port(_box_port(np.eye(side), window), window)
    rows = [int(((i + 0.5) * side) / 64) for i in range(64)]
    return filtered[rows]


def _dense(side: int, scale: int) -> Floats:
    index, weight = _cell_weights(side, scale)
    reduced = -(-side // scale)
    dense = np.zeros((64, reduced))
    for cell in range(64):
        np.add.at(dense[cell], index[cell], weight[cell])
    return dense


@pytest.mark.parametrize("side", [1, 5, 63, 64, 127, 129, 256, 480, 1001])
def test_weights_are_pdqs_own_filter(side: int) -> None:
    np.testing.assert_allclose(_dense(side, 1), _pdq_filter_port(side), atol=1e-6)


@pytest.mark.parametrize("scale", [2, 4, 8])
def test_reduced_weights_sum_the_full_size_weights_of_each_block(scale: int) -> None:
    side = 1003  # not a multiple of any scale: the last block is partial
    full = _pdq_filter_port(side)
    padded = np.zeros((64, -(-side // scale) * scale))
    padded[:, :side] = full
    np.testing.assert_allclose(_dense(side, scale), padded.reshape(64, -1, scale).sum(axis=2), atol=1e-5)
    np.testing.assert_allclose(_dense(side, scale).sum(axis=1), 1.0, atol=1e-5)


def test_reduced_path_equals_full_path_when_blocks_are_flat() -> None:
    rng = np.random.default_rng(7)
    width, height, scale = 1003, 757, 8
    small = np.asarray(
        Image.fromarray(rng.integers(0, 256, (12, 16), dtype=np.uint8)).resize(
            (-(-width // scale), -(-height // scale)), Image.Resampling.BICUBIC
        )
    )
    full = np.repeat(np.repeat(small, scale, axis=0), scale, axis=1)[:height, :width]
    from_reduced = downscale_to_cells(small, (scale, scale), (width, height)).astype(int)
    from_full = downscale_to_cells(np.ascontiguousarray(full), (1, 1), (width, height)).astype(int)
    assert np.abs(from_reduced - from_full).max() <= 1


def _encoded(im: Image.Image, fmt: str) -> bytes:
    buf = io.BytesIO()
    im.save(buf, format=fmt, **({"quality": 90} if fmt == "JPEG" else {}))
    return buf.getvalue()


@pytest.mark.parametrize(
    ("fmt", "size", "scale"),
    [("JPEG", (2048, 1536), 4), ("JPEG", (2600, 2048), 8), ("PNG", (1100, 900), 2), ("JPEG", (300, 200), 1)],
)
def test_fast_decodes_reduced_and_stays_close_to_exact(fmt: str, size: tuple[int, int], scale: int) -> None:
    width, height = size
    data = _encoded(synthetic_photo(11, width, height), fmt)
    assert fast_scale(width, height) == scale
    luma, applied = decode_luma_reduced(open_image(data))
    assert applied == (scale, scale)
    assert luma.shape == (-(-height // scale), -(-width // scale))
    fast = pdq_from_source(data, "fast")
    exact = pdq_from_source(data, "exact")
    assert hamming_hex(fast.hash, exact.hash) <= 8
    assert abs(fast.quality - exact.quality) <= 5


def test_fast_hashes_greyscale_jpeg_and_odd_modes_alike() -> None:
    photo = synthetic_photo(3, 1200, 900)
    grey_jpeg = _encoded(photo.convert("L"), "JPEG")
    cmyk_jpeg = _encoded(photo.convert("CMYK"), "JPEG")
    deep = (np.asarray(photo.convert("L"), dtype=np.uint16) * 257).astype(np.uint16)
    deep_png = _encoded(Image.fromarray(deep), "PNG")  # 16-bit greyscale
    reference = pdq_from_source(_encoded(photo, "PNG"), "exact")
    for data in (grey_jpeg, cmyk_jpeg, deep_png):
        assert hamming_hex(pdq_from_source(data, "fast").hash, reference.hash) <= 16


def test_mpo_camera_files_decode_reduced_like_jpeg() -> None:
    buf = io.BytesIO()
    first, second = synthetic_photo(1, 2048, 1536), synthetic_photo(2, 2048, 1536)
    first.save(buf, format="MPO", save_all=True, append_images=[second])
    im = open_image(buf.getvalue())
    assert im.format == "MPO"
    luma, scale = decode_luma_reduced(im)
    assert (luma.shape, scale) == ((384, 512), (4, 4))
    fast = pdq_from_source(buf.getvalue(), "fast")
    assert hamming_hex(fast.hash, pdq_from_source(_encoded(first, "JPEG"), "exact").hash) <= 8


def test_panorama_reduces_its_long_side_further_and_stays_close() -> None:
    data = _encoded(synthetic_photo(5, 6000, 600), "JPEG")
    assert fast_scale(6000, 600) == 2
    luma, factors = decode_luma_reduced(open_image(data))
    assert factors == (4, 2)
    assert luma.shape == (300, 1500)
    assert hamming_hex(pdq_from_source(data, "fast").hash, pdq_from_source(data, "exact").hash) <= 8


def test_extreme_strip_keeps_work_bounded() -> None:
    # The pixel limit allows any shape: a 4-million-pixel-long strip must not cost 64 x 4M weights.
    width = 4_000_000
    strip = Image.fromarray(np.tile(np.arange(256, dtype=np.uint8), width // 256)[np.newaxis, :])
    factors = fast_factors(width, 1)
    assert -(-width // factors[0]) <= FAST_MAX_SIDE
    index, weight = _cell_weights(width, factors[0])
    assert index.shape == weight.shape and index.shape[1] <= 64
    fast = pdq_from_source(_encoded(strip, "PNG"), "fast")
    assert fast == pdq_from_source(_encoded(strip, "PNG"), "exact")  # under 5 rows: cleared, quality 0


@pytest.mark.parametrize("size", [(4, 100), (100, 3), (1, 1)])
def test_images_under_five_pixels_a_side_are_cleared_as_pdqhash_does(size: tuple[int, int]) -> None:
    data = _encoded(synthetic_photo(1, 64, 64).resize(size), "PNG")
    for dihedral in (False, True):
        fast = pdq_from_source(data, "fast", dihedral=dihedral)
        assert fast == pdq_from_source(data, "exact", dihedral=dihedral)
        assert fast.quality == 0
