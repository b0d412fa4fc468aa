"""PDQ: Meta's 256-bit perceptual hash of a photo, with its quality score and dihedral variants.

The transform itself is Meta's C++ through the ``pdqhash`` binding; netsafe's part is what it is fed
(see :mod:`netsafe.signals.imaging`): in ``fast`` mode JPEGs are decoded at reduced scale, in ``exact`` mode
the full-resolution RGB decode is hashed, which reproduces ``pdqhash`` on that decode bit for bit.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pdqhash

from netsafe.signals.codecs import bits_to_hex
from netsafe.signals.imaging import DEFAULT_MAX_PIXELS, PdqMode, decode_rgb, open_image

# Hashes below this quality are kept but flagged: Meta's guidance is to discard them for matching.
QUALITY_THRESHOLD = 50
MATCH_THRESHOLD = 31

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
        rgb = decode_rgb(im, mode)
    finally:
        im.close()
    return pdq_from_rgb(rgb, dihedral)
