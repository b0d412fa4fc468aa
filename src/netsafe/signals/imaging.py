"""Opening images safely and turning any Pillow mode into the RGB pixels PDQ hashes.

Decisions, documented in docs/hashing.md:

* Every Pillow mode is accepted. Alpha is dropped, not composited, because that is what Meta's tools and
  ``Image.convert("RGB")`` do and hash lists are built with them. High-bit-depth greys (``I;16``, ``I``,
  ``F``) are scaled to 8 bits by their declared range, since a plain conversion would clip them to white.
* EXIF orientation is ignored: the stored pixels are hashed, like the reference implementation, so our
  hashes agree with every list built by other tools. A copy saved rotated is found with ``--dihedral``.
* Only the first frame of an animated GIF/WebP/TIFF is hashed.
* The pixel limit is checked against the declared size before anything is decoded (decompression bombs).
"""

from __future__ import annotations

import io
import warnings
from typing import Literal

import numpy as np
import numpy.typing as npt
from PIL import Image, ImageCms, UnidentifiedImageError

from netsafe.signals.errors import SignalError

PdqMode = Literal["fast", "exact"]

DEFAULT_MAX_PIXELS = 200_000_000
# In fast mode a JPEG is decoded by libjpeg at 1/2, 1/4 or 1/8 scale (DCT-domain downscaling) while both
# sides stay at least this long. PDQ filters down to 64x64, so 4 source pixels per output cell are plenty;
# benchmarks/README.md has the measured distance from the exact hash.
FAST_MIN_SIDE = 256

_heif_registered = False

# We enforce our own limit (with a clear message) instead of Pillow's warning/exception pair.
Image.MAX_IMAGE_PIXELS = None


def _register_heif() -> None:
    global _heif_registered
    if _heif_registered:
        return
    _heif_registered = True
    try:
        import pillow_heif

        pillow_heif.register_heif_opener()
    except ImportError:  # optional: HEIC then reports "cannot identify image"
        pass


def open_image(source: bytes | str, max_pixels: int = DEFAULT_MAX_PIXELS) -> Image.Image:
    """Open (but do not decode) an image, refusing anything declared larger than ``max_pixels``."""
    _register_heif()
    fp: io.BytesIO | str = io.BytesIO(source) if isinstance(source, bytes) else source
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            im = Image.open(fp)
    except UnidentifiedImageError:
        raise SignalError("not an image Pillow can read (unknown or corrupt header)") from None
    except (OSError, ValueError, SyntaxError) as err:
        raise SignalError(f"corrupt image header: {one_line(err)}") from None
    width, height = im.size
    if width <= 0 or height <= 0:
        raise SignalError(f"image has no pixels ({width}x{height})")
    if width * height > max_pixels:
        raise SignalError(
            f"image is {width}x{height} = {width * height:,} pixels, over the limit of {max_pixels:,} "
            "(possible decompression bomb; raise it with --max-pixels)"
        )
    return im


def decode_rgb(im: Image.Image, mode: PdqMode = "fast") -> npt.NDArray[np.uint8]:
    """Decode ``im`` into a C-contiguous ``(h, w, 3)`` uint8 array, reduced in the DCT domain in fast mode."""
    try:
        if mode == "fast" and im.format == "JPEG":
            w, h = im.size
            scale = min(w, h) / FAST_MIN_SIDE
            if scale >= 2:
                # draft() keeps both sides >= the requested size; ask in the image's own aspect ratio.
                im.draft("RGB", (max(1, int(w / scale)), max(1, int(h / scale))))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            im.load()
        return to_rgb(im)
    except SignalError:
        raise
    except Image.DecompressionBombError as err:
        raise SignalError(one_line(err)) from None
    except (OSError, ValueError, SyntaxError, EOFError, IndexError, TypeError, MemoryError) as err:
        raise SignalError(f"cannot decode image: {one_line(err)}") from None


def to_rgb(im: Image.Image) -> npt.NDArray[np.uint8]:
    """RGB pixels of a loaded image in any mode (see the module notes for the choices made)."""
    mode = im.mode
    if mode == "RGB":
        return np.ascontiguousarray(np.asarray(im))
    if mode.startswith("I;16") or mode in ("I", "F"):
        grey = _scale_to_8bit(np.asarray(im), mode)
        return np.ascontiguousarray(np.repeat(grey[:, :, np.newaxis], 3, axis=2))
    if mode == "LAB":
        srgb = ImageCms.createProfile("sRGB")
        lab = ImageCms.createProfile("LAB")
        transform = ImageCms.buildTransform(lab, srgb, "LAB", "RGB")
        converted = ImageCms.applyTransform(im, transform)
        assert converted is not None
        return np.ascontiguousarray(np.asarray(converted))
    return np.ascontiguousarray(np.asarray(im.convert("RGB")))


def _scale_to_8bit(arr: npt.NDArray[np.generic], mode: str) -> npt.NDArray[np.uint8]:
    if mode.startswith("I;16"):
        return (arr.astype(np.uint16) >> 8).astype(np.uint8)
    values = arr.astype(np.float64)
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return np.zeros(arr.shape, dtype=np.uint8)
    lo, hi = float(finite.min()), float(finite.max())
    if mode == "F" and lo >= 0.0 and hi <= 1.0:
        lo, hi = 0.0, 1.0  # normalised floats: keep their absolute brightness
    elif lo >= 0 and hi <= 255:
        lo, hi = 0.0, 255.0  # already 8-bit range: keep as is
    elif lo >= 0 and hi <= 65535:
        lo, hi = 0.0, 65535.0  # 16-bit data in a 32-bit container
    span = hi - lo if hi > lo else 1.0
    out = np.nan_to_num((values - lo) * (255.0 / span), nan=0.0, posinf=255.0, neginf=0.0)
    return np.clip(np.rint(out), 0, 255).astype(np.uint8)


def one_line(err: BaseException) -> str:
    """An exception's message squeezed onto one line (for error fields and log lines)."""
    text = " ".join(str(err).split()) or type(err).__name__
    return text if len(text) <= 300 else text[:297] + "..."
