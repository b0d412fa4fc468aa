"""Veiled thumbnails are blurred and greyscale in the bytes served, not by a style."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from netsafe.hotline.thumbs import NoThumbnailError, thumbnail
from netsafe.samples import synthetic_photo, write_video

from .helpers import jpeg_bytes


def _pixels(data: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGB"), dtype=np.float64)


def _checkerboard() -> bytes:
    """Sharp detail (8-pixel squares in colour) that a blur must wipe out."""
    y, x = np.mgrid[0:480, 0:640]
    board = ((x // 8 + y // 8) % 2).astype(np.uint8)
    rgb = np.stack([board * 255, board * 60, (1 - board) * 200], axis=2).astype(np.uint8)
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, "PNG")
    return buf.getvalue()


def test_veiled_photo_is_grey() -> None:
    veiled = _pixels(thumbnail(jpeg_bytes(3)))
    assert np.abs(veiled[..., 0] - veiled[..., 1]).max() <= 2


def test_veiled_is_grey_and_blurred() -> None:
    data = _checkerboard()
    veiled, clear = _pixels(thumbnail(data)), _pixels(thumbnail(data, veiled=False))
    assert veiled.shape == clear.shape and max(veiled.shape[:2]) <= 240
    # Greyscale: the three channels agree.
    assert np.abs(veiled[..., 0] - veiled[..., 1]).max() <= 2

    # Blurred: neighbouring pixels differ far less than in the clear thumbnail.
    def detail(a: np.ndarray) -> float:
        return float(np.abs(np.diff(a.mean(axis=2), axis=1)).mean())

    assert detail(veiled) < detail(clear) / 10


@pytest.mark.parametrize("data", [b"", b"not an image", b"\xff\xd8\xff" + b"\x00" * 100])
def test_not_a_picture_is_one_line(data: bytes) -> None:
    with pytest.raises(NoThumbnailError) as err:
        thumbnail(data)
    assert "\n" not in str(err.value)


def test_a_video_is_a_veiled_contact_sheet(tmp_path: Path) -> None:
    """A captured video is shown as frames (never played), veiled like a picture."""
    path = tmp_path / "v.mp4"
    write_video(path, [np.asarray(synthetic_photo(7 + i // 10, 320, 240)) for i in range(30)])
    veiled = _pixels(thumbnail(path.read_bytes(), kind="video"))
    clear = _pixels(thumbnail(path.read_bytes(), kind="video", veiled=False))
    assert veiled.shape == clear.shape and max(veiled.shape[:2]) <= 240
    assert np.abs(veiled[..., 0] - veiled[..., 2]).max() <= 2  # grey
    assert np.abs(clear[..., 0] - clear[..., 2]).max() > 20  # the clear sheet keeps its colour

    def detail(a: np.ndarray) -> float:
        return float(np.abs(np.diff(a.mean(axis=2), axis=1)).mean())

    assert detail(veiled) < detail(clear) / 3
    with pytest.raises(NoThumbnailError):
        thumbnail(b"\x00\x00\x00\x18ftypmp42 not really", kind="video")
