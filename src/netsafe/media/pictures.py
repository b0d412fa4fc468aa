"""What a thumbnail shown to a person is made of (a reviewer's in review, an analyst's in the hotline): a
reduced picture of an image, or a contact sheet of a video's frames, and the served bytes: blurred and
greyscale unless asked otherwise.

Everything happens in memory; nothing here touches the disk. Blurring is done here, on the server, so the
bytes a browser receives carry no detail to recover (a CSS blur can be switched off in the browser).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from fractions import Fraction

import av
import numpy as np
from PIL import Image, ImageFilter, ImageOps

from netsafe.errors import InvalidInput
from netsafe.signals.imaging import open_image

# The largest picture kept and served: thumbnails for a grid, not a viewer. The ranges are the users'
# review settings' (netsafe.review.exposure).
MAX_SIZE = 512
MIN_SIZE = 64
DEFAULT_SIZE = 160
MAX_BLUR = 100
DEFAULT_BLUR = 60
# A contact sheet: this many frames a side, spread over the video's length.
SHEET_SIDE = 3
MAX_PIXELS = 50_000_000


class ThumbnailOptionError(InvalidInput, ValueError):
    pass


class PictureError(InvalidInput):
    """The evidence could not be decoded into a picture (corrupt, unsupported)."""


@dataclass(frozen=True, slots=True)
class ThumbOptions:
    """Per request (and per user's settings): ``blur`` 1-100 from faint to strong, 0 for none (an unblur,
    which is audited); ``colour`` False for greyscale; ``size`` the longest side in pixels."""

    size: int = DEFAULT_SIZE
    blur: int = DEFAULT_BLUR
    colour: bool = False

    def __post_init__(self) -> None:
        if not MIN_SIZE <= self.size <= MAX_SIZE:
            raise ThumbnailOptionError(f"size must be {MIN_SIZE}-{MAX_SIZE} pixels, got {self.size}")
        if not 0 <= self.blur <= MAX_BLUR:
            raise ThumbnailOptionError(f"blur must be 0 (none) to {MAX_BLUR}, got {self.blur}")

    @property
    def unblurred(self) -> bool:
        return self.blur == 0


def blur_radius(size: int, blur: int) -> float:
    """Gaussian radius for a ``size``-pixel thumbnail: even the faintest level (1) leaves shapes and tones
    but no detail (3 px at 160 px), the default (60) 12 px, the strongest (18 px) barely more than the
    layout."""
    return 0.0 if blur == 0 else size / DEFAULT_SIZE * (3.0 + 0.15 * blur)


def render(picture: Image.Image, options: ThumbOptions) -> bytes:
    """The served bytes (JPEG) of ``picture`` as ``options`` ask."""
    small = picture.copy()
    small.thumbnail((options.size, options.size), Image.Resampling.LANCZOS)
    if not options.colour:
        small = small.convert("L")
    radius = blur_radius(options.size, options.blur)
    if radius:
        small = small.filter(ImageFilter.GaussianBlur(radius))
    out = io.BytesIO()
    small.save(out, "JPEG", quality=82)
    return out.getvalue()


def picture_of(data: bytes, kind: str) -> Image.Image:
    """An RGB picture at most MAX_SIZE a side: the image itself, or a video's contact sheet."""
    if kind == "video":
        return contact_sheet(data)
    try:
        im = open_image(data, MAX_PIXELS)
        im.draft("RGB", (MAX_SIZE, MAX_SIZE))  # JPEG: decoded at a fraction of its size, much faster
        im = ImageOps.exif_transpose(im) or im
        im = im.convert("RGB")
        im.thumbnail((MAX_SIZE, MAX_SIZE), Image.Resampling.LANCZOS)
        return im
    except InvalidInput as err:
        raise PictureError(f"the image cannot be shown: {err}") from None
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as err:
        raise PictureError(f"the image cannot be shown: {type(err).__name__}") from None


def contact_sheet(data: bytes, side: int = SHEET_SIDE) -> Image.Image:
    """``side`` x ``side`` frames spread over the video, left to right, top to bottom. The video is never
    played and its sound never decoded: frames are reached by seeking, so a long video costs no more."""
    frames = _frames(data, side * side)
    if not frames:
        raise PictureError("the video cannot be shown: no frame could be decoded")
    cell = MAX_SIZE // side
    sheet = Image.new("RGB", (cell * side, cell * side), (32, 32, 32))
    for i, frame in enumerate(frames):
        frame.thumbnail((cell - 4, cell - 4), Image.Resampling.BILINEAR)
        x = (i % side) * cell + (cell - frame.width) // 2
        y = (i // side) * cell + (cell - frame.height) // 2
        sheet.paste(frame, (x, y))
    return sheet


def _frames(data: bytes, count: int) -> list[Image.Image]:
    try:
        container = av.open(io.BytesIO(data), mode="r")
    except (av.error.FFmpegError, OSError, ValueError):
        raise PictureError("the video cannot be shown: not a video PyAV can open") from None
    try:
        if not container.streams.video:
            raise PictureError("the video cannot be shown: no picture track")
        stream = container.streams.video[0]
        if stream.width * stream.height > MAX_PIXELS:
            raise PictureError("the video cannot be shown: frames over the pixel limit")
        stream.thread_type = "AUTO"
        duration = _duration(container, stream)
        if duration is None:
            return _first_frames(container, stream, count)
        out: list[Image.Image] = []
        base = stream.start_time or 0
        time_base = stream.time_base or Fraction(1, 90_000)
        for i in range(count):
            at = base + int(duration * Fraction(2 * i + 1, 2 * count) / time_base)
            frame = _frame_at(container, stream, at)
            if frame is not None:
                out.append(frame)
        return out or _first_frames(container, stream, count)
    except av.error.FFmpegError:
        raise PictureError("the video cannot be shown: it cannot be decoded") from None
    finally:
        container.close()


def _duration(container: av.container.InputContainer, stream: av.video.stream.VideoStream) -> Fraction | None:
    if stream.duration and stream.time_base:
        return Fraction(stream.duration) * stream.time_base
    if container.duration:
        return Fraction(container.duration, av.time_base)
    return None


def _frame_at(
    container: av.container.InputContainer, stream: av.video.stream.VideoStream, at: int
) -> Image.Image | None:
    try:
        container.seek(at, stream=stream, backward=True, any_frame=False)
        for frame in container.decode(stream):
            if frame.pts is None or frame.pts >= at:
                return _image(frame)
    except av.error.FFmpegError:
        return None
    return None


def _first_frames(
    container: av.container.InputContainer, stream: av.video.stream.VideoStream, count: int
) -> list[Image.Image]:
    out: list[Image.Image] = []
    container.seek(0)
    for frame in container.decode(stream):
        out.append(_image(frame))
        if len(out) >= count:
            break
    return out


def _image(frame: av.VideoFrame) -> Image.Image:
    return Image.fromarray(np.asarray(frame.to_ndarray(format="rgb24"), dtype=np.uint8), "RGB")
