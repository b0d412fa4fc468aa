"""PDQ: Meta's 256-bit perceptual hash of a photo, with its quality score and dihedral variants.

The transform itself is Meta's C++ through the ``pdqhash`` binding. ``exact`` mode hands it the
full-resolution RGB decode, which reproduces ``pdqhash`` on that decode bit for bit.

``fast`` mode is netsafe's own front end. PDQ's first step shrinks the luma to 64x64 with a tent filter
(two passes of a box ``ceil(side / 128)`` wide, Jarosz) sampled at fixed rows and columns; on a 12-megapixel
photo that step and the full decode feeding it are nearly all the time. Fast mode decodes the luma reduced
by up to 8 (:func:`netsafe.signals.imaging.decode_luma_reduced`) and applies *the same* filter, with the
windows and sample positions of the full-resolution size, to the reduced pixels: each output cell is a
weighted sum of a few reduced rows and columns. The 64x64 result goes to ``pdqhash``, for which a 64x64
input passes through that step unchanged (window 1, every pixel sampled), so the DCT, median threshold and
quality score are Meta's own (dihedral variants rotate/flip that 64x64). What differs from exact is only
that each reduced pixel stands for the mean of its block, and the 64x64 cells are rounded to integers;
benchmarks/README.md has the measured distance.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import numpy.typing as npt
import pdqhash

from netsafe.signals import defaults
from netsafe.signals.codecs import bits_to_hex
from netsafe.signals.imaging import (
    DEFAULT_MAX_PIXELS,
    PdqMode,
    decode_luma_reduced,
    decode_rgb,
    open_image,
)

QUALITY_THRESHOLD = defaults.QUALITY_THRESHOLD  # its home is signals.defaults, which loads no decoder
MATCH_THRESHOLD = 31
# PDQ's intermediate image is CELLS x CELLS; its filter window is a side over 2 * CELLS (pdqhashing.cpp).
CELLS = 64
MIN_HASHABLE_SIDE = 5  # pdqhashing.cpp's MIN_HASHABLE_DIM

# The reference's names and order (pdqhash.compute_dihedral). Geometric meaning, checked in tests:
# rotations are counter-clockwise; flip_x mirrors top-bottom, flip_y mirrors left-right, flip_plus1
# transposes (main diagonal), flip_minus1 transposes about the anti-diagonal.
DIHEDRAL_NAMES = (
    "original",
    "rotate90",
    "rotate180",
    "rotate270",
    "flip_x",
    "flip_y",
    "flip_plus1",
    "flip_minus1",
)


@dataclass(frozen=True, slots=True)
class PdqHash:
    hash: str
    quality: int
    dihedral: tuple[str, ...] | None = None

    @property
    def low_quality(self) -> bool:
        return self.quality < QUALITY_THRESHOLD


_TRANSFORMS: tuple[Callable[[npt.NDArray[np.uint8]], npt.NDArray[np.uint8]], ...] = (
    lambda a: a,
    lambda a: np.rot90(a, 1),
    lambda a: np.rot90(a, 2),
    lambda a: np.rot90(a, 3),
    lambda a: a[::-1],
    lambda a: a[:, ::-1],
    lambda a: np.transpose(a, (1, 0, 2)),
    lambda a: np.transpose(np.rot90(a, 2), (1, 0, 2)),
)


def pdq_from_rgb(rgb: npt.NDArray[np.uint8], dihedral: bool = False) -> PdqHash:
    """PDQ of an ``(h, w, 3)`` uint8 array; with ``dihedral``, also of its 7 rotations/flips.

    The variants hash the transformed pixels rather than permuting the DCT (``compute_dihedral``): a rotated
    copy then lands 0-6 bits from its variant instead of up to 32 (measured on the robustness set), because
    PDQ's downsampling filter is not symmetric under flips.
    """
    vector, quality = pdqhash.compute(rgb)
    first = bits_to_hex(vector)
    if not dihedral:
        return PdqHash(hash=first, quality=int(quality))
    rest = (bits_to_hex(pdqhash.compute(np.ascontiguousarray(t(rgb)))[0]) for t in _TRANSFORMS[1:])
    return PdqHash(hash=first, quality=int(quality), dihedral=(first, *rest))


def pdq_from_source(
    source: bytes | str,
    mode: PdqMode = "fast",
    dihedral: bool = False,
    max_pixels: int = DEFAULT_MAX_PIXELS,
) -> PdqHash:
    """PDQ of an image given as its bytes or its path; raises SignalError with a one-line reason."""
    im = open_image(source, max_pixels)
    try:
        if mode == "exact":
            rgb = decode_rgb(im, "exact")
        else:
            full_size = im.size
            luma, factors = decode_luma_reduced(im)
    finally:
        im.close()
    if mode == "exact":
        return pdq_from_rgb(rgb, dihedral)
    return pdq_from_luma(luma, factors, full_size, dihedral)


def pdq_from_luma(
    luma: npt.NDArray[np.uint8],
    factors: tuple[int, int],
    full_size: tuple[int, int],
    dihedral: bool = False,
) -> PdqHash:
    """PDQ of a ``full_size`` (width, height) image given as its luma, each side reduced by its factor."""
    if min(full_size) < MIN_HASHABLE_SIDE:
        # pdqhash clears the hash and scores quality 0 below this size; a 64x64 stand-in would not.
        return pdq_from_rgb(np.zeros((1, 1, 3), dtype=np.uint8), dihedral)
    cells = downscale_to_cells(luma, factors, full_size)
    rgb = np.repeat(cells[:, :, np.newaxis], 3, axis=2)
    return pdq_from_rgb(rgb, dihedral)


def downscale_to_cells(
    luma: npt.NDArray[np.uint8], factors: tuple[int, int], full_size: tuple[int, int]
) -> npt.NDArray[np.uint8]:
    """PDQ's 64x64 tent-filtered luma of the full-size image, computed from its reduced luma."""
    (width, height), (width_factor, height_factor) = full_size, factors
    row_index, row_weight = _cell_weights(height, height_factor)
    col_index, col_weight = _cell_weights(width, width_factor)
    # Rows first: (64, taps, reduced width) -> (64, reduced width); then columns -> (64, 64).
    # einsum without optimize= runs numpy's own loops: no BLAS threads to fight the worker processes.
    rows: npt.NDArray[np.float32] = np.einsum("rtw,rt->rw", luma[row_index], row_weight)
    cells: npt.NDArray[np.float32] = np.einsum("rct,ct->rc", rows[:, col_index], col_weight)
    out: npt.NDArray[np.uint8] = np.clip(np.rint(cells), 0, 255).astype(np.uint8)
    return out


@lru_cache(maxsize=256)
def _cell_weights(side: int, factor: int) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.float32]]:
    """For one axis of ``side`` full-size pixels read reduced ``factor`` times: the reduced pixels (``taps``
    per cell, as indices) each of PDQ's 64 cells sums, and their weights.

    PDQ's box pass writes at ``x`` the mean of ``[x - (w - h), x + h - 1]`` clipped to the image, with
    ``h = (w + 2) // 2`` (box1DFloat); two passes make the tent; cell ``i`` samples the second pass at pixel
    ``int((i + 0.5) * side / 64)`` (decimateFloat). A reduced pixel stands for ``factor`` full-size pixels,
    so its weight is the sum of theirs. Work and memory grow with the window, not the side: cells are done
    in chunks small enough for any side the pixel limit allows.
    """
    window = (side + 2 * CELLS - 1) // (2 * CELLS)
    chunk = max(1, min(CELLS, (1 << 21) // (2 * window + 2)))
    parts = [
        _weights_of_cells(side, factor, window, c, min(c + chunk, CELLS)) for c in range(0, CELLS, chunk)
    ]
    taps = max(band.shape[1] for _, band in parts)
    last = -(-side // factor) - 1
    first = np.concatenate([first for first, _ in parts])
    # Short bands are padded with weight 0 on an in-range index.
    index = np.minimum(first[:, None] + np.arange(taps), last)
    weight = np.zeros((CELLS, taps), dtype=np.float32)
    row = 0
    for _, band in parts:
        weight[row : row + band.shape[0], : band.shape[1]] = band
        row += band.shape[0]
    index.setflags(write=False)
    weight.setflags(write=False)
    return index, weight


def _weights_of_cells(
    side: int, factor: int, window: int, begin: int, end: int
) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.float64]]:
    """First reduced pixel and band of weights for cells ``begin`` to ``end`` (see ``_cell_weights``)."""
    half = (window + 2) // 2

    def box(x: npt.NDArray[np.intp]) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]:
        return np.maximum(x - (window - half), 0), np.minimum(x + half - 1, side - 1)

    cells = np.arange(begin, end)
    count = len(cells)
    rows = np.arange(count)[:, None]
    samples = (((cells + 0.5) * side) / CELLS).astype(np.intp)
    first_lo, first_hi = box(samples)
    used = first_hi - first_lo + 1
    # The first-pass outputs each sample averages (padded to one length), each the mean of its own box.
    outputs = first_lo[:, None] + np.arange(int(used.max()))
    valid = outputs <= first_hi[:, None]
    lo, hi = box(np.minimum(outputs, side - 1))
    share = np.where(valid, 1.0 / (used[:, None] * (hi - lo + 1)), 0.0)
    start = lo[:, 0]  # a box's ends grow with its centre, so the first output reaches furthest left
    width = int((np.where(valid, hi, 0) - start[:, None]).max()) + 2
    # Each output adds its share to the pixels [lo, hi]: a difference array, then a running sum.
    enter = np.where(valid, lo - start[:, None], 0)
    leave = np.where(valid, hi + 1 - start[:, None], 0)
    spread = np.bincount((rows * width + enter).ravel(), share.ravel(), count * width)
    spread -= np.bincount((rows * width + leave).ravel(), share.ravel(), count * width)
    pixel_weight = np.cumsum(spread.reshape(count, width)[:, :-1], axis=1)
    blocks = (start[:, None] + np.arange(width - 1)) // factor
    relative = blocks - blocks[:, :1]
    span = int(relative.max()) + 1
    band = np.bincount((rows * span + relative).ravel(), pixel_weight.ravel(), count * span)
    return blocks[:, 0], np.asarray(band, dtype=np.float64).reshape(count, span)
