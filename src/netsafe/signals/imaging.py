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

import numpy as np
import numpy.typing as npt
from PIL import Image, ImageCms, JpegImagePlugin, UnidentifiedImageError

from netsafe.signals import defaults
from netsafe.signals.errors import SignalError

# Kept here for their many users; their home is signals.defaults, which loads no decoder.
PdqMode = defaults.PdqMode
DEFAULT_MAX_PIXELS = defaults.DEFAULT_MAX_PIXELS
one_line = defaults.one_line

# In fast mode an image is reduced by the largest power of two that leaves both sides at least this long:
# 4 reduced pixels per PDQ cell. JPEGs are reduced by up to 8 in the DCT domain by libjpeg, anything more
# (other formats, huge images) by box averaging. Fewer pixels measurably move the hash away from the exact
# one (benchmarks/README.md); more only cost time.
FAST_MIN_SIDE = 256
# A side still longer than this after that (panoramas, strips) is reduced further on its own, which keeps
# fast mode's work and memory bounded for any shape the pixel limit lets through.
FAST_MAX_SIDE = 2048
JPEG_MAX_DCT_SCALE = 8
# Modes Pillow turns into luma itself with PDQ's coefficients (ITU-R 601-2), alpha dropped as in to_rgb.
_LUMA_DIRECT = frozenset({"1", "L", "LA", "La", "P", "PA", "RGB", "RGBA", "RGBX", "RGBa"})

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
    """Decode ``im`` into a C-contiguous ``(h, w, 3)`` uint8 array, reduced in the DCT domain in fast mode.

    PDQ itself takes the faster :func:`decode_luma_reduced` route in fast mode; this stays for callers that
    want pixels.
    """
    try:
        if mode == "fast" and isinstance(im, JpegImagePlugin.JpegImageFile):
            w, h = im.size
            scale = fast_scale(w, h)
            if scale > 1:
                im.draft("RGB", (w // scale, h // scale))
        _load(im)
        return to_rgb(im)
    except SignalError:
        raise
    except Image.DecompressionBombError as err:
        raise SignalError(one_line(err)) from None
    except (OSError, ValueError, SyntaxError, EOFError, IndexError, TypeError, MemoryError) as err:
        raise SignalError(f"cannot decode image: {one_line(err)}") from None


def fast_factors(width: int, height: int) -> tuple[int, int]:
    """How many times fast mode reduces each side (powers of two; see ``FAST_MIN_SIDE``)."""
    factor = 1
    while min(width, height) // (factor * 2) >= FAST_MIN_SIDE:
        factor *= 2
    return _capped(width, factor), _capped(height, factor)


def _capped(side: int, factor: int) -> int:
    while -(-side // factor) > FAST_MAX_SIDE:
        factor *= 2
    return factor


def fast_scale(width: int, height: int) -> int:
    """The DCT-domain reduction (1, 2, 4 or 8) a JPEG of this size is decoded at in fast mode."""
    return min(*fast_factors(width, height), JPEG_MAX_DCT_SCALE)


def decode_luma_reduced(im: Image.Image) -> tuple[npt.NDArray[np.uint8], tuple[int, int]]:
    """Luma of ``im`` as a 2-D uint8 array, each side reduced by its factor from :func:`fast_factors`,
    returned as ``(width factor, height factor)``.

    A reduced pixel is the mean of the block it covers (partial blocks at the right and bottom edges), so
    a side has ``ceil(side / factor)`` pixels. JPEGs are decoded straight to it: libjpeg scales in the DCT
    domain and, asked for greyscale, skips the chroma planes altogether, the bulk of a colour decode. PDQ
    hashes luma only, so nothing it uses is lost.
    """
    width, height = im.size
    factors = fast_factors(width, height)
    try:
        applied = 1
        # JpegImageFile covers MPO too (the multi-picture JPEGs many cameras write).
        if isinstance(im, JpegImagePlugin.JpegImageFile):
            scale = fast_scale(width, height)
            drafted = im.draft("L", (width // scale, height // scale) if scale > 1 else None)
            if drafted:  # the factor libjpeg will really apply (None: draft not possible for this file)
                applied = round(width / drafted[1][2])
        _load(im)
        luma = _to_luma(im)
        rest = (factors[0] // applied, factors[1] // applied)
        if rest != (1, 1):
            luma = luma.reduce(rest)
        pixels = np.asarray(luma)
    except SignalError:
        raise
    except Image.DecompressionBombError as err:
        raise SignalError(one_line(err)) from None
    except (OSError, ValueError, SyntaxError, EOFError, IndexError, TypeError, MemoryError) as err:
        raise SignalError(f"cannot decode image: {one_line(err)}") from None
    expected = (-(-height // factors[1]), -(-width // factors[0]))
    if pixels.shape != expected:  # a decoder that ignored the request: never hash misaligned pixels
        raise SignalError(
            f"decoder returned {pixels.shape[1]}x{pixels.shape[0]} pixels, expected "
            f"{expected[1]}x{expected[0]}"
        )
    return pixels, factors


def _load(im: Image.Image) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        im.load()


def _to_luma(im: Image.Image) -> Image.Image:
    if im.mode == "L":
        return im
    if im.mode in _LUMA_DIRECT:
        return im.convert("L")
    # High-bit-depth, LAB, CMYK and the rest: the same RGB the exact mode hashes, then its luma.
    return Image.fromarray(to_rgb(im), "RGB").convert("L")


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
