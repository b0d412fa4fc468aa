"""PDQ: Meta's 256-bit perceptual hash of a photo, with its quality score and dihedral variants.

The transform itself is Meta's C++ through the ``pdqhash`` binding; netsafe's part is what it is fed
(see :mod:`netsafe.signals.imaging`): in ``fast`` mode JPEGs are decoded at reduced scale, in ``exact`` mode
the full-resolution RGB decode is hashed, which reproduces ``pdqhash`` on that decode bit for bit.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pdqhash

from netsafe.signals.codecs import bits_to_hex
from netsafe.signals.imaging import DEFAULT_MAX_PIXELS, PdqMode, decode_rgb, open_image

# Hashes below this quality are kept but flagged: Meta's guidance is to discard them for matching.
QUALITY_THRESHOLD = 50
MATCH_THRESHOLD = 31

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
        rgb = decode_rgb(im, mode)
    finally:
        im.close()
    return pdq_from_rgb(rgb, dihedral)
