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
quality score are Meta's own. What differs from exact is only that each reduced pixel stands for the mean of
its block, and the 64x64 cells are rounded to integers; benchmarks/README.md has the measured distance.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import numpy.typing as npt
import pdqhash

from netsafe.signals.codecs import bits_to_hex
from netsafe.signals.imaging import (
    DEFAULT_MAX_PIXELS,
    PdqMode,
    decode_luma_reduced,
    decode_rgb,
    open_image,
)

# Hashes below this quality are kept but flagged: Meta's guidance is to discard them for matching.
QUALITY_THRESHOLD = 50
MATCH_THRESHOLD = 31
# PDQ's intermediate image is CELLS x CELLS; its filter window is a side over 2 * CELLS (pdqhashing.cpp).
CELLS = 64

# Order of pdqhash.compute_dihedral's output (the reference's names). Geometric meaning, checked in tests:
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


def pdq_from_rgb(rgb: npt.NDArray[np.uint8], dihedral: bool = False) -> PdqHash:
    """PDQ of an ``(h, w, 3)`` uint8 array."""
    if dihedral:
        vectors, quality = pdqhash.compute_dihedral(rgb)
        hexes = tuple(bits_to_hex(v) for v in vectors)
        return PdqHash(hash=hexes[0], quality=int(quality), dihedral=hexes)
    vector, quality = pdqhash.compute(rgb)
    return PdqHash(hash=bits_to_hex(vector), quality=int(quality))


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
            width, height = im.size
            luma, scale = decode_luma_reduced(im)
    finally:
        im.close()
    if mode == "exact":
        return pdq_from_rgb(rgb, dihedral)
    return pdq_from_luma(luma, scale, (width, height), dihedral)


def pdq_from_luma(
    luma: npt.NDArray[np.uint8], scale: int, full_size: tuple[int, int], dihedral: bool = False
) -> PdqHash:
    """PDQ of a ``full_size`` (width, height) image given as its luma reduced ``scale`` times (fast mode)."""
    cells = downscale_to_cells(luma, scale, full_size)
    rgb = np.repeat(cells[:, :, np.newaxis], 3, axis=2)
    return pdq_from_rgb(rgb, dihedral)


def downscale_to_cells(
    luma: npt.NDArray[np.uint8], scale: int, full_size: tuple[int, int]
) -> npt.NDArray[np.uint8]:
    """PDQ's 64x64 tent-filtered luma of the full-size image, computed from its reduced luma."""
    width, height = full_size
    row_index, row_weight = _cell_weights(height, scale)
    col_index, col_weight = _cell_weights(width, scale)
    # Rows first: (64, taps, reduced width) -> (64, reduced width); then columns -> (64, 64).
    # einsum without optimize= runs numpy's own loops: no BLAS threads to fight the worker processes.
    rows: npt.NDArray[np.float32] = np.einsum("rtw,rt->rw", luma[row_index], row_weight)
    cells: npt.NDArray[np.float32] = np.einsum("rct,ct->rc", rows[:, col_index], col_weight)
    out: npt.NDArray[np.uint8] = np.clip(np.rint(cells), 0, 255).astype(np.uint8)
    return out


@lru_cache(maxsize=64)
def _cell_weights(side: int, scale: int) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.float32]]:
    """For one axis of ``side`` full-size pixels read reduced ``scale`` times: the reduced pixels (``taps``
    per cell, as indices) each of PDQ's 64 cells sums, and their weights.

    PDQ's box pass over ``x`` averages ``[x - (w - h), x + h - 1]`` clipped to the image, ``h = (w + 2) // 2``
    (box1DFloat); two passes give the tent; cell ``i`` samples pixel ``int((i + 0.5) * side / 64)``
    (decimateFloat). A reduced pixel covers ``scale`` full-size pixels, so its weight is the sum of theirs.
    """
    window = (side + 2 * CELLS - 1) // (2 * CELLS)
    half = (window + 2) // 2
    pixels = np.arange(side)
    lo = np.maximum(pixels - (window - half), 0)
    hi = np.minimum(pixels + half - 1, side - 1)
    inverse = 1.0 / (hi - lo + 1)
    samples = ((np.arange(CELLS) + 0.5) * side / CELLS).astype(np.intp)
    # Second pass, read backwards: pixel x reaches the outputs o with lo[o] <= x <= hi[o], i.e.
    # o in [x - h + 1, x + w - h]; the first pass's output at the sampled pixel is 1/n on [lo, hi].
    first = np.where(
        (pixels >= lo[samples, None]) & (pixels <= hi[samples, None]), inverse[samples, None], 0.0
    )
    cumulative = np.zeros((CELLS, side + 1))
    np.cumsum(first * inverse, axis=1, out=cumulative[:, 1:])
    reach_lo = np.maximum(pixels - half + 1, 0)
    reach_hi = np.minimum(pixels + window - half, side - 1)
    full = cumulative[:, reach_hi + 1] - cumulative[:, reach_lo]
    reduced_side = -(-side // scale)
    padded = np.zeros((CELLS, reduced_side * scale))
    padded[:, :side] = full
    reduced = padded.reshape(CELLS, reduced_side, scale).sum(axis=2)
    # Keep each cell's band of non-zero weights (a tent is contiguous); pad short bands with weight 0.
    nonzero = reduced > 1e-12
    start = nonzero.argmax(axis=1)
    stop = reduced_side - nonzero[:, ::-1].argmax(axis=1)
    taps = int((stop - start).max())
    index = start[:, None] + np.arange(taps)
    inside = index < stop[:, None]
    index = np.minimum(index, reduced_side - 1)
    weight = np.where(inside, np.take_along_axis(reduced, index, axis=1), 0.0).astype(np.float32)
    index.setflags(write=False)
    weight.setflags(write=False)
    return index, weight
