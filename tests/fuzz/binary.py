"""Byte-level mutation for binary evidence (archives, disk images, pictures): what a truncated download, a
damaged disk or a hand-edited header does to a file, plus the length and offset fields set to the values
that break naive readers (0, all ones, just past the end)."""

from __future__ import annotations

import bz2
import functools
import gzip
import io
import lzma
import struct
import tarfile
import zipfile
from collections.abc import Callable

import py7zr
from hypothesis import strategies as st

from netsafe.samples import synthetic_photo

# Little- and big-endian extremes for 2- and 4-byte length, count and offset fields.
EXTREMES = st.sampled_from(
    [
        b"\x00\x00",
        b"\xff\xff",
        b"\x00\x00\x00\x00",
        b"\xff\xff\xff\xff",
        b"\xff\xff\xff\x7f",
        b"\x7f\xff\xff\xff",
        struct.pack("<I", 1 << 20),
        struct.pack(">I", 1 << 20),
        b"\x01\x00\x00\x00",
    ]
)


@st.composite
def mutated(
    draw: st.DrawFn, base: bytes, hot: tuple[int, int] | None = None, in_place: bool = False
) -> bytes:
    """``base`` with up to six flips, overwrites with extreme integers, inserts, deletes or a cut; ``hot``
    (a byte range) is where most mutations land (headers, tables), the rest anywhere. ``in_place``: flips
    and overwrites only (nothing moves)."""
    data = bytearray(base)
    for _ in range(draw(st.integers(1, 6))):
        if not data:
            break
        start, end = (0, len(data)) if hot is None or draw(st.integers(0, 3)) == 0 else hot
        end = min(end, len(data))
        at = draw(st.integers(min(start, end - 1), end - 1))
        actions = (
            ["flip", "flip", "extreme"]
            if in_place
            else ["flip", "flip", "extreme", "insert", "delete", "cut"]
        )
        action = draw(st.sampled_from(actions))
        if action == "flip":
            data[at] ^= 1 << draw(st.integers(0, 7))
        elif action == "extreme":
            value = draw(EXTREMES)
            data[at : at + len(value)] = value
        elif action == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=16))
        elif action == "delete":
            del data[at : at + draw(st.integers(1, 64))]
        else:
            del data[at:]
    return bytes(data)


def picture(seed: int, fmt: str, size: tuple[int, int] = (64, 48)) -> bytes:
    out = io.BytesIO()
    synthetic_photo(seed, *size).save(out, fmt)
    return out.getvalue()


def zip_bytes(members: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression) as zf:
        for name, data in members.items():
            # A fixed time: writestr(name) stamps now, and a replayed example must be the same bytes.
            zf.writestr(zipfile.ZipInfo(name, (2020, 1, 1, 0, 0, 0)), data, compression)
    return out.getvalue()


def tar_bytes(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w") as tf:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mtime = 1_700_000_000
            tf.addfile(info, io.BytesIO(data))
    return out.getvalue()


def _gzip(data: bytes) -> bytes:
    return gzip.compress(data, mtime=0)


_TAR_COMPRESSORS: dict[str, Callable[[bytes], bytes]] = {
    "tar": bytes,
    "tar.gz": _gzip,
    "tar.bz2": bz2.compress,
    "tar.xz": lzma.compress,
}


@functools.lru_cache(maxsize=512)
def sevenzip_bytes(contents: tuple[bytes, ...]) -> bytes:
    """A 7z of ``contents`` (as m0.bin, m1.bin...). py7zr stamps the time of writing, so one archive is
    made once per content set: hypothesis must get the same bytes when it replays an example."""
    out = io.BytesIO()
    with py7zr.SevenZipFile(out, "w") as sz:
        for i, data in enumerate(contents):
            sz.writestr(data, f"m{i}.bin")
    return out.getvalue()


_MEMBER_NAMES = st.one_of(
    st.sampled_from(["a.jpg", "dir/b.png", "../up.jpg", "/abs.gif", "c:\\x.jpg", "deep/" * 20 + "d.jpg"]),
    st.text(min_size=1, max_size=20).filter(lambda s: "\x00" not in s),
)


@st.composite
def archives(draw: st.DrawFn) -> bytes:
    """A small zip, tar (plain, gzip, bzip2, xz), 7z, or one picture bzip2- or xz-compressed, of benign
    pictures, sometimes with an archive inside, mutated."""
    members = draw(
        st.dictionaries(
            _MEMBER_NAMES,
            st.sampled_from([picture(1, "JPEG"), picture(2, "PNG"), picture(3, "GIF"), b"", b"text"]),
            min_size=1,
            max_size=3,
        )
    )
    if draw(st.booleans()):
        members["inner.zip"] = zip_bytes({"in.jpg": picture(4, "JPEG")})
    kind = draw(
        st.sampled_from(["zip", "zip-stored", "tar", "tar.gz", "tar.bz2", "tar.xz", "7z", "bz2", "xz"])
    )
    if kind == "zip":
        base = zip_bytes(members)
    elif kind == "zip-stored":
        base = zip_bytes(members, zipfile.ZIP_STORED)
    elif kind == "7z":  # py7zr will not write names such as "../x": plain ones, same contents
        base = sevenzip_bytes(tuple(members.values()))
    elif kind == "bz2":
        base = bz2.compress(picture(5, "PNG"))
    elif kind == "xz":
        base = lzma.compress(picture(5, "PNG"))
    else:  # compressed here, not by tarfile: its gzip header would carry the time of writing
        base = _TAR_COMPRESSORS[kind](tar_bytes(members))
    return draw(mutated(base, hot=None))
