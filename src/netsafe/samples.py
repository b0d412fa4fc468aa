"""Benign synthetic images and a short video, for demos and tests when no reference media is present.

Each image is a deterministic function of its seed: smooth random fields plus shapes, so PDQ sees the kind
of structure photos have (flat or pure-noise images have low PDQ quality).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import numpy.typing as npt
from PIL import Image, ImageDraw


def synthetic_photo(seed: int, width: int = 640, height: int = 480) -> Image.Image:
    rng = np.random.default_rng(seed)
    # Low-frequency colour field: a coarse random grid upsampled smoothly.
    coarse = rng.integers(0, 256, size=(6, 8, 3), dtype=np.uint8)
    base = Image.fromarray(coarse, "RGB").resize((width, height), Image.Resampling.BICUBIC)
    draw = ImageDraw.Draw(base)
    for _ in range(12):
        x0, y0 = int(rng.integers(0, width)), int(rng.integers(0, height))
        x1, y1 = x0 + int(rng.integers(20, width // 2)), y0 + int(rng.integers(20, height // 2))
        colour = tuple(int(c) for c in rng.integers(0, 256, size=3))
        if rng.random() < 0.5:
            draw.ellipse((x0, y0, x1, y1), fill=colour)
        else:
            draw.rectangle((x0, y0, x1, y1), fill=colour)
    noise = rng.normal(0, 6, size=(height, width, 3))
    pixels = np.clip(np.asarray(base, dtype=np.float64) + noise, 0, 255).astype(np.uint8)
    return Image.fromarray(pixels, "RGB")


def write_samples(folder: Path, count: int = 6) -> list[Path]:
    """Write ``count`` JPEG/PNG samples and one MP4 into ``folder``; returns their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    paths: list[Path] = []
    for i in range(count):
        im = synthetic_photo(i, 640 + 160 * (i % 3), 480 + 120 * (i % 2))
        path = folder / (f"sample-{i}.jpg" if i % 2 == 0 else f"sample-{i}.png")
        im.save(path, quality=90) if path.suffix == ".jpg" else im.save(path)
        paths.append(path)
    video = folder / "sample-video.mp4"
    write_video(video, [np.asarray(synthetic_photo(100 + i // 10, 320, 240)) for i in range(40)], fps=10)
    paths.append(video)
    return paths


def write_video(path: Path, frames: list[npt.NDArray[np.uint8]], fps: int = 10) -> None:
    """Encode RGB frames as an H.264 (or MPEG-4 if H.264 is missing) MP4 with PyAV."""
    import av

    height, width = frames[0].shape[:2]
    with av.open(str(path), mode="w") as container:
        try:
            stream = container.add_stream("libx264", rate=fps)
        except (av.error.FFmpegError, ValueError):
            stream = container.add_stream("mpeg4", rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        for array in frames:
            for packet in stream.encode(av.VideoFrame.from_ndarray(array, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
