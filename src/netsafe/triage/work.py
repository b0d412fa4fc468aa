"""The two jobs of a scan: read + cryptographic digests (threads), perceptual hashing (processes).

Reading and MD5/SHA-1/SHA-256 run in threads of the scanning process: ``hashlib`` releases the GIL on large
updates, so N threads keep N cores busy without sending any bytes to another process; a crypto-only scan
never starts a process at all. Decoding (PDQ, vPDQ, thumbnails) runs in worker processes, only once per
distinct content, because decoders are slow and can crash on hostile input.
"""

from __future__ import annotations

import base64
import io
import os
from dataclasses import dataclass

from netsafe.hashing.engine import hash_bytes, hash_file
from netsafe.hashing.options import HashOptions
from netsafe.hashing.record import FileRecord
from netsafe.media.blobs import open_readonly
from netsafe.media.item import MediaItem
from netsafe.media.sniff import SNIFF_BYTES, sniff
from netsafe.signals.crypto import digest_bytes, digest_stream
from netsafe.signals.defaults import one_line
from netsafe.signals.types import CRYPTO_SIGNALS

# Files up to this size are read whole (one read, no chunking); bigger ones are streamed.
READ_WHOLE = 64 << 20
# Items inside containers are decoded from memory; past this size they are not decoded (reported).
DECODE_FROM_MEMORY = 1 << 30
IDENTITY = CRYPTO_SIGNALS
THUMBNAIL_SIZE = 96
THUMBNAIL_BLUR = 2.5


@dataclass(slots=True)
class Digested:
    """What reading one item gave: digests (always SHA-256, the identity), kind, and bytes to decode."""

    size: int
    digests: dict[str, str]
    kind: str | None
    mime: str | None
    data: bytes | None  # kept only for images/videos that are not plain files on this machine
    host_path: str | None
    error: str | None = None


def digest_item(item: MediaItem, crypto: tuple[str, ...], keep: bool) -> Digested:
    """Read ``item`` once: its digests, what it is, and (``keep``) its bytes if it needs decoding."""
    names = tuple(dict.fromkeys((*crypto, "sha256")))
    try:
        with item.open() as fh:
            # Bytes are kept only to hand an image or video inside a container to a decoder; everything
            # else streams through a 1 MiB buffer (no big allocations, both digests fed while in cache).
            if item.size <= READ_WHOLE and keep and item.host_path is None:
                data = fh.read()
                digests = digest_bytes(data, names).digests
                size = len(data)
                head = data[:SNIFF_BYTES]
            else:
                head = fh.read(SNIFF_BYTES)
                streamed = digest_stream(fh, names, first=head)
                digests, size, data = streamed.digests, streamed.size, b""
    except MemoryError:
        return Digested(item.size, {}, None, None, None, None, "out of memory while reading this file")
    except Exception as err:  # a corrupt archive member or file system can fail in any way when read
        return Digested(item.size, {}, None, None, None, None, f"cannot read: {one_line(err)}")
    found = sniff(head) if size else None
    kind = found.kind if found else "other"
    mime = found.mime if found else None
    held: bytes | None = None
    error: str | None = None
    if keep and kind in ("image", "video") and item.host_path is None:
        if data or size == 0:
            held = data
        elif size <= DECODE_FROM_MEMORY:
            try:
                with item.open() as fh:
                    held = fh.read()
            except Exception as err:
                error = f"cannot read for decoding: {one_line(err)}"
        else:
            error = f"not decoded: over {DECODE_FROM_MEMORY >> 20} MiB inside a container"
    return Digested(size, digests, kind, mime, held, item.host_path, error)


@dataclass(frozen=True, slots=True)
class DecodeJob:
    name: str
    path: str | None
    data: bytes | None
    options: HashOptions
    thumbnail: bool


@dataclass(slots=True)
class Decoded:
    record: FileRecord
    thumbnail: str | None = None


def decode(job: DecodeJob) -> Decoded:
    """PDQ or vPDQ (and a thumbnail) of one item; runs in a worker process. Never raises for bad input."""
    data = job.data
    if data is None and job.path is not None:
        data = _read_evidence(job.path)
    if data is not None:
        record = hash_bytes(data, job.name, job.options)
    else:
        assert job.path is not None
        record = hash_file(job.path, job.options)  # a huge video: streamed by the decoder itself
    thumb = None
    if job.thumbnail and record.kind == "image" and record.error is None:
        thumb = thumbnail(data)
    return Decoded(record, thumb)


def _read_evidence(path: str) -> bytes | None:
    """The file's bytes, read-only and without touching its access time (None if too big or unreadable:
    the decoder then reports the problem itself)."""
    try:
        fd, size = open_readonly(path)
    except OSError:
        return None
    with os.fdopen(fd, "rb") as fh:
        return fh.read() if size <= DECODE_FROM_MEMORY else None


def thumbnail(source: bytes | None) -> str | None:
    """A small blurred greyscale PNG (base64): enough to tell a holiday photo from a screenshot, no more."""
    if source is None:
        return None
    from PIL import Image, ImageFilter

    try:
        with Image.open(io.BytesIO(source)) as img:
            img.draft("L", (THUMBNAIL_SIZE * 2, THUMBNAIL_SIZE * 2))
            small = img.convert("L")
            small.thumbnail((THUMBNAIL_SIZE, THUMBNAIL_SIZE))
            small = small.filter(ImageFilter.GaussianBlur(THUMBNAIL_BLUR))
            out = io.BytesIO()
            small.save(out, "PNG", optimize=True)
    except Exception:  # a thumbnail is a convenience: an image PDQ could read but this cannot gets none
        return None
    return base64.b64encode(out.getvalue()).decode("ascii")
