"""The engine never raises for bad input: each problem is one line in the record's error."""

from __future__ import annotations

import hashlib
import io
import os
import struct
import zlib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from netsafe.hashing.engine import hash_bytes, hash_file
from netsafe.hashing.options import HashOptions, OptionError, parse_signals
from netsafe.samples import synthetic_photo

OPTIONS = HashOptions()


def _jpeg(seed: int = 1, size: tuple[int, int] = (320, 240)) -> bytes:
    buf = io.BytesIO()
    synthetic_photo(seed, *size).save(buf, format="JPEG", quality=90)
    return buf.getvalue()


def _png_declaring(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims a huge canvas: the classic decompression bomb shape."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + chunk(b"IEND", b"")
    )


def _error(tmp_path: Path, name: str, data: bytes, options: HashOptions = OPTIONS) -> str:
    path = tmp_path / name
    path.write_bytes(data)
    record = hash_file(str(path), options)
    assert record.error is not None, f"{name}: expected an error"
    assert "\n" not in record.error
    # Whatever could be computed is kept: the cryptographic digests of the bytes.
    assert record.digests["sha256"] == hashlib.sha256(data).hexdigest()
    return record.error


def test_good_image_has_every_signal(tmp_path: Path) -> None:
    data = _jpeg()
    path = tmp_path / "photo.jpg"
    path.write_bytes(data)
    record = hash_file(str(path), OPTIONS).as_dict()
    assert record["error"] is None
    assert record["kind"] == "image"
    assert record["mime"] == "image/jpeg"
    assert record["size"] == len(data)
    assert record["md5"] == hashlib.md5(data).hexdigest()
    assert record["sha1"] == hashlib.sha1(data).hexdigest()
    assert record["sha256"] == hashlib.sha256(data).hexdigest()
    assert len(record["pdq"]) == 64
    assert record["pdq_quality"] >= 50
    assert record["pdq_low_quality"] is False
    assert record["pdq_dihedral"] is None
    assert record["vpdq"] is None


def test_type_comes_from_content_not_name(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_bytes(_jpeg())
    record = hash_file(str(path), OPTIONS)
    assert record.kind == "image"
    assert record.pdq is not None


def test_large_file_streams_and_still_hashes_the_image(tmp_path: Path) -> None:
    data = _jpeg(2, (640, 480))
    small = HashOptions(in_memory_limit=1024)
    path = tmp_path / "big.jpg"
    path.write_bytes(data)
    streamed = hash_file(str(path), small)
    in_memory = hash_file(str(path), OPTIONS)
    assert streamed.as_dict() == in_memory.as_dict()


def test_empty_file(tmp_path: Path) -> None:
    assert _error(tmp_path, "empty.jpg", b"") == "empty file"


def test_truncated_jpeg(tmp_path: Path) -> None:
    data = _jpeg()
    assert "decode" in _error(tmp_path, "cut.jpg", data[: len(data) // 2])


def test_corrupt_header(tmp_path: Path) -> None:
    _error(tmp_path, "bad.png", b"\x89PNG\r\n\x1a\n" + b"\xff" * 200)


def test_non_image_is_not_an_error(tmp_path: Path) -> None:
    path = tmp_path / "doc.txt"
    path.write_text("minutes of the meeting\n" * 50)
    record = hash_file(str(path), OPTIONS)
    assert record.error is None
    assert record.kind == "other"
    assert record.pdq is None


def test_decompression_bomb_is_refused_before_decoding(tmp_path: Path) -> None:
    error = _error(tmp_path, "bomb.png", _png_declaring(100_000, 100_000))
    assert "decompression bomb" in error
    assert "--max-pixels" in error


def test_pixel_limit_is_configurable(tmp_path: Path) -> None:
    error = _error(tmp_path, "photo.jpg", _jpeg(), HashOptions(max_pixels=1000))
    assert "320x240" in error


def test_video_with_no_decodable_frame(tmp_path: Path) -> None:
    _error(tmp_path, "clip.mp4", b"\x00\x00\x00\x18ftypisom" + os.urandom(4000))


def test_audio_only_container_is_not_an_error(tmp_path: Path) -> None:
    import av

    path = tmp_path / "sound.mp4"
    with av.open(str(path), mode="w") as container:
        stream = container.add_stream("aac", rate=8000)
        frame = av.AudioFrame(format="fltp", layout="mono", samples=1024)
        for plane in frame.planes:
            plane.update(bytes(plane.buffer_size))
        frame.sample_rate = 8000
        for _ in range(4):
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    record = hash_file(str(path), OPTIONS)
    assert record.error is None
    assert record.kind == "other"


def test_unreadable_and_special_files(tmp_path: Path) -> None:
    missing = hash_file(str(tmp_path / "gone.jpg"), OPTIONS)
    assert missing.error is not None and missing.error.startswith("cannot read file")
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    record = hash_file(str(fifo), OPTIONS)
    assert record.error is not None and "not a regular file" in record.error


def test_signals_can_be_chosen(tmp_path: Path) -> None:
    path = tmp_path / "photo.jpg"
    path.write_bytes(_jpeg())
    record = hash_file(str(path), HashOptions(signals=parse_signals("md5,pdq"))).as_dict()
    assert record["md5"] and record["pdq"]
    assert record["sha1"] is None and record["sha256"] is None


def test_unknown_signal_is_refused() -> None:
    with pytest.raises(OptionError, match="unknown signal"):
        parse_signals("md5,photodna")


def test_hash_bytes_equals_hash_file(tmp_path: Path) -> None:
    data = _jpeg(3)
    path = tmp_path / "x.jpg"
    path.write_bytes(data)
    a = hash_file(str(path), OPTIONS).as_dict()
    b = hash_bytes(data, str(path), OPTIONS).as_dict()
    assert a == b


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    prefix=st.sampled_from(
        [
            b"",
            b"\xff\xd8\xff",
            b"\x89PNG\r\n\x1a\n",
            b"GIF89a",
            b"RIFF\x00\x00\x00\x00WEBP",
            b"\x00\x00\x00\x18ftypisom",
            b"\x1a\x45\xdf\xa3",
            b"II*\x00",
            b"BM",
        ]
    ),
    body=st.binary(max_size=2048),
)
def test_arbitrary_bytes_never_raise(prefix: bytes, body: bytes) -> None:
    record = hash_bytes(prefix + body, "fuzz", OPTIONS)
    assert record.size == len(prefix) + len(body)
    assert record.error is None or "\n" not in record.error


def test_a_truncated_jpeg_is_still_an_error_after_a_pdf_was_written(tmp_path: Path) -> None:
    """WeasyPrint turns Pillow's LOAD_TRUNCATED_IMAGES on for the whole process when imported; a process
    that wrote a report.pdf (a server that ran a scan) must still call a cut JPEG an error."""
    import subprocess
    import sys

    data = _jpeg()
    cut = tmp_path / "cut.jpg"
    cut.write_bytes(data[: len(data) // 2])
    code = (
        "import sys; from pathlib import Path; from netsafe.pdf import write_pdf;"
        "write_pdf('<p>x</p>', Path(sys.argv[1]) / 'r.pdf');"
        "from netsafe.hashing.engine import hash_file; from netsafe.hashing.options import HashOptions;"
        "r = hash_file(sys.argv[2], HashOptions(signals=frozenset({'md5', 'pdq'})));"
        "print('ERROR' if r.error else 'DECODED')"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path), str(cut)], capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "ERROR", done.stderr
