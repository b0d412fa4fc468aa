"""Thumbnails of captured pictures, made on the server: blurred and greyscale until an analyst asks.

The blur is in the bytes served, not a style a browser may ignore: a veiled thumbnail carries no more
detail than a 24-pixel greyscale image scaled up and blurred again.
"""

from __future__ import annotations

import io

from PIL import Image, ImageFilter, ImageOps

from netsafe.errors import InvalidInput
from netsafe.signals.errors import SignalError
from netsafe.signals.imaging import open_image

SIZE = 240
VEIL = 24  # the side the veiled picture is reduced to before it is scaled back up
MAX_PIXELS = 50_000_000


class NoThumbnailError(InvalidInput):
    """The item is not a picture that can be shown (a video, a corrupt file, something else)."""


def thumbnail(data: bytes, *, veiled: bool = True) -> bytes:
    """A JPEG of at most SIZE pixels a side: greyscale and blurred when ``veiled``."""
    try:
        im = open_image(data, MAX_PIXELS)
        im.draft("RGB", (SIZE * 2, SIZE * 2))  # JPEG: decode reduced, cheaper
        im = ImageOps.exif_transpose(im)
        im.thumbnail((SIZE, SIZE))
    except (SignalError, OSError, ValueError, Image.DecompressionBombError) as err:
        raise NoThumbnailError(f"no thumbnail: {' '.join(str(err).split())[:120]}") from None
    if veiled:
        small = ImageOps.grayscale(im)
        width, height = small.size
        tiny = small.resize(
            (max(1, width * VEIL // SIZE), max(1, height * VEIL // SIZE)), Image.Resampling.BOX
        )
        im = tiny.resize((width, height), Image.Resampling.BILINEAR).filter(ImageFilter.GaussianBlur(6))
    else:
        im = im.convert("RGB")
    out = io.BytesIO()
    im.save(out, "JPEG", quality=80)
    return out.getvalue()
