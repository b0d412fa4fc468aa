"""Content sniffing: images and videos are known by their bytes, whatever their name."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from netsafe.media.sniff import SNIFF_BYTES, sniff
from netsafe.samples import synthetic_photo


@pytest.mark.parametrize(
    ("fmt", "mime"),
    [
        ("JPEG", "image/jpeg"),
        ("PNG", "image/png"),
        ("GIF", "image/gif"),
        ("BMP", "image/bmp"),
        ("TIFF", "image/tiff"),
        ("WEBP", "image/webp"),
        ("JPEG2000", "image/jp2"),
        ("ICO", "image/vnd.microsoft.icon"),
        ("PPM", "image/x-portable-anymap"),
    ],
)
def test_images_pillow_writes_are_images(fmt: str, mime: str) -> None:
    buf = io.BytesIO()
    synthetic_photo(0, 64, 48).save(buf, format=fmt)
    found = sniff(buf.getvalue()[:SNIFF_BYTES])
    assert (found.kind, found.mime) == ("image", mime)


def test_heic_is_an_image() -> None:
    pillow_heif = pytest.importorskip("pillow_heif")
    pillow_heif.register_heif_opener()
    buf = io.BytesIO()
    synthetic_photo(0, 64, 48).save(buf, format="HEIF")
    assert sniff(buf.getvalue()[:SNIFF_BYTES]).kind == "image"


def test_reference_videos_are_videos(reference: Path) -> None:
    for path in (reference / "vpdq").glob("*.mp4"):
        assert sniff(path.read_bytes()[:SNIFF_BYTES]).kind == "video"
    for path in (reference / "vpdq").glob("*.txt"):
        assert sniff(path.read_bytes()[:SNIFF_BYTES]).kind == "other"


@pytest.mark.parametrize(
    ("head", "kind"),
    [
        (b"\x1a\x45\xdf\xa3\x01\x00", "video"),
        (b"RIFF\x00\x00\x00\x00AVI LIST", "video"),
        (b"\x00\x00\x00\x20ftypM4A \x00", "other"),
        (b"\x00\x00\x00\x20ftypqt  \x00", "video"),
        (b"FLV\x01\x05", "video"),
        (b"Good morning, text", "other"),
        (b"%PDF-1.7", "other"),
        (b"PK\x03\x04", "other"),
        (b"", "other"),
    ],
)
def test_known_heads(head: bytes, kind: str) -> None:
    assert sniff(head).kind == kind


def test_transport_stream_needs_three_sync_bytes() -> None:
    packet = b"\x47" + b"\x00" * 187
    assert sniff(packet * 3).kind == "video"
    assert sniff(b"G" + b"x" * 500).kind == "other"


@given(st.binary(max_size=SNIFF_BYTES))
def test_never_raises(head: bytes) -> None:
    found = sniff(head)
    assert found.kind in ("image", "video", "other")


def test_pillow_can_open_what_we_call_an_image() -> None:
    buf = io.BytesIO()
    synthetic_photo(1, 64, 48).save(buf, format="WEBP")
    assert sniff(buf.getvalue()).kind == "image"
    with Image.open(buf) as im:
        assert im.format == "WEBP"
