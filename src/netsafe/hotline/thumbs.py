"""Thumbnails of captured items, made on the server: blurred and greyscale until an analyst asks.

The blur is in the bytes served, not a style a browser may ignore. Pictures and videos (a contact sheet of
frames, never played) are made by the same code as review's thumbnails (``netsafe.media.pictures``).
"""

from __future__ import annotations

from netsafe.errors import InvalidInput
from netsafe.media.pictures import DEFAULT_BLUR, PictureError, ThumbOptions, picture_of, render

SIZE = 240
VEILED = ThumbOptions(size=SIZE, blur=DEFAULT_BLUR, colour=False)
CLEAR = ThumbOptions(size=SIZE, blur=0, colour=True)


class NoThumbnailError(InvalidInput):
    """The item is not a picture or video that can be shown (a corrupt file, something else)."""


def thumbnail(data: bytes, *, veiled: bool = True, kind: str = "image") -> bytes:
    """A JPEG of at most SIZE pixels a side (a 3x3 contact sheet for a video): greyscale and blurred when
    ``veiled``."""
    try:
        picture = picture_of(data, kind)
    except PictureError as err:
        raise NoThumbnailError(f"no thumbnail: {' '.join(str(err).split())[:120]}") from None
    return render(picture, VEILED if veiled else CLEAR)
