"""A deterministic corpus of benign, camera-size JPEGs for the hashing benchmarks.

Half the images are :func:`netsafe.samples.synthetic_photo`, half are scikit-image's bundled photos resized
to camera size. Both get a little Gaussian grain: real camera JPEGs carry sensor noise, and without it an
upscaled photo compresses to a tiny, unrealistically cheap-to-decode file.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import numpy.typing as npt
from PIL import Image

from netsafe.samples import synthetic_photo

# Width x height of common camera and phone outputs, smallest first.
SIZES: tuple[tuple[int, int], ...] = (
    (640, 480),
    (1024, 768),
    (1600, 1200),
    (2048, 1536),
    (3264, 2448),
    (4000, 3000),
)
# Colour photos scikit-image ships inside its wheel (no download at run time).
SKIMAGE_PHOTOS = (
    "astronaut",
    "chelsea",
    "coffee",
    "rocket",
    "immunohistochemistry",
    "hubble_deep_field",
    "stereo_motorcycle",
)
JPEG_QUALITY = 85
GRAIN_SIGMA = 6.0


def corpus_spec(count: int) -> list[tuple[str, int, int, str]]:
    """(file name, width, height, source) for each image; every size appears equally often."""
    spec = []
    for i in range(count):
        width, height = SIZES[i % len(SIZES)]
        if (i // len(SIZES)) % 3 == 2:
            width, height = height, width  # some portrait shots
        source = f"synthetic{i}" if i % 2 == 0 else SKIMAGE_PHOTOS[(i // 2) % len(SKIMAGE_PHOTOS)]
        spec.append((f"{i:03d}-{source}-{width}x{height}.jpg", width, height, source))
    return spec


def _skimage_photo(name: str) -> Image.Image:
    import skimage.data

    pixels = getattr(skimage.data, name)()
    if isinstance(pixels, tuple):  # stereo pairs come as (left, right, disparity)
        pixels = pixels[0]
    return Image.fromarray(np.ascontiguousarray(pixels[:, :, :3]), "RGB")


def _grain(im: Image.Image, seed: int) -> Image.Image:
    rng = np.random.default_rng(seed)
    pixels: npt.NDArray[np.float32] = np.asarray(im, dtype=np.float32)
    pixels += rng.normal(0.0, GRAIN_SIGMA, size=pixels.shape).astype(np.float32)
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8), "RGB")


def make_corpus(folder: Path, count: int) -> list[Path]:
    """Write the first ``count`` corpus images into ``folder`` (reusing ones already there)."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i, (name, width, height, source) in enumerate(corpus_spec(count)):
        path = folder / name
        if not path.exists():
            if source.startswith("synthetic"):
                # Draw at a quarter of the size and upscale: same look, a fraction of the time.
                im = synthetic_photo(i, max(64, width // 4), max(64, height // 4))
            else:
                im = _skimage_photo(source)
            im = im.resize((width, height), Image.Resampling.BICUBIC)
            tmp = path.with_suffix(".tmp")
            _grain(im, i).save(tmp, "JPEG", quality=JPEG_QUALITY)
            tmp.replace(path)
        paths.append(path)
    return paths
