"""vPDQ: PDQ hashes of video frames, compatible with Meta's ``vpdq`` output.

Frames are decoded with PyAV (FFmpeg). Like the reference, a frame is hashed when its index is a multiple
of ``round(fps * interval)`` (every frame when ``interval`` is 0) and its timestamp is ``index / fps``, so
our lines line up with the reference's ``frame_number,quality,pdq_hex,timestamp`` lines.
"""

from __future__ import annotations

import io
from fractions import Fraction

import av
import numpy as np

from netsafe.signals import defaults, frames
from netsafe.signals.defaults import DEFAULT_MAX_PIXELS, one_line
from netsafe.signals.errors import SignalError
from netsafe.signals.pdq import pdq_from_rgb

# Kept here for their users; their home is signals.defaults, which loads no decoder.
DEFAULT_INTERVAL = defaults.DEFAULT_INTERVAL
DEFAULT_MAX_FRAMES = defaults.DEFAULT_MAX_FRAMES


VpdqFrame = frames.VpdqFrame


class NoVideoStreamError(SignalError):
    """The container holds no picture track (an audio file in an MP4 or Ogg container, say)."""


def vpdq_from_source(
    source: bytes | str,
    interval: float = DEFAULT_INTERVAL,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    max_frames: int = DEFAULT_MAX_FRAMES,
) -> list[VpdqFrame]:
    """vPDQ of a video given as its bytes or path; raises SignalError with a one-line reason."""
    if interval < 0:
        raise ValueError("interval must be >= 0 seconds")
    target: io.BytesIO | str = io.BytesIO(source) if isinstance(source, bytes) else source
    try:
        container = av.open(target, mode="r")
    except (av.error.FFmpegError, OSError, ValueError) as err:
        raise SignalError(f"cannot open video: {one_line(err)}") from None
    try:
        if not container.streams.video:
            raise NoVideoStreamError("no video stream in the container")
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        rate = stream.average_rate or stream.guessed_rate or stream.base_rate
        fps = Fraction(rate) if rate else Fraction(25)
        every = max(1, round(float(fps) * interval))
        frames: list[VpdqFrame] = []
        index = -1
        try:
            for frame in container.decode(stream):
                index += 1
                if index % every:
                    continue
                if frame.width * frame.height > max_pixels:
                    raise SignalError(
                        f"video frame is {frame.width}x{frame.height}, over the pixel limit of {max_pixels:,}"
                    )
                rgb = np.asarray(frame.to_ndarray(format="rgb24"), dtype=np.uint8)
                pdq = pdq_from_rgb(rgb)
                frames.append(VpdqFrame(index, round(float(index / fps), 3), pdq.quality, pdq.hash))
                if len(frames) >= max_frames:
                    break
        except av.error.FFmpegError as err:
            if not frames:
                raise SignalError(f"cannot decode video: {one_line(err)}") from None
            # A truncated tail is common in seized media: keep the frames that did decode.
        if not frames:
            raise SignalError("video has no decodable frame")
        return frames
    finally:
        container.close()
