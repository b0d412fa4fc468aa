"""What a file is, decided from its first bytes, never from its name.

Evidence is renamed all the time (a JPEG saved as ``.txt`` or ``.dll``), so the extension is ignored.
Only the kinds netsafe treats differently are told apart: images (PDQ), videos (vPDQ), and everything else
(cryptographic hashes only). Ambiguous containers (Ogg, ISO-BMFF with an unknown brand) are reported as
video candidates: the video decoder has the final word on whether a picture track exists.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import BinaryIO, Literal

Kind = Literal["image", "video", "other"]

# Bytes needed to recognise every format below.
SNIFF_BYTES = 512


@dataclass(frozen=True, slots=True)
class Sniffed:
    kind: Kind
    mime: str | None


_HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1", b"avif", b"avis"}
_AUDIO_BRANDS = {b"M4A ", b"M4B ", b"M4P ", b"F4A ", b"F4B "}
_QT_BRANDS = {b"qt  "}

_IMAGE_MAGIC: tuple[tuple[int, bytes, str], ...] = (
    (0, b"\xff\xd8\xff", "image/jpeg"),
    (0, b"\x89PNG\r\n\x1a\n", "image/png"),
    (0, b"GIF87a", "image/gif"),
    (0, b"GIF89a", "image/gif"),
    (0, b"II*\x00", "image/tiff"),
    (0, b"MM\x00*", "image/tiff"),
    (0, b"\x00\x00\x01\x00", "image/vnd.microsoft.icon"),
    (0, b"\x00\x00\x00\x0cjP  \r\n\x87\n", "image/jp2"),
    (0, b"\xff\x4f\xff\x51", "image/jp2"),
    (0, b"8BPS", "image/vnd.adobe.photoshop"),
    (0, b"qoif", "image/qoi"),
)

_VIDEO_MAGIC: tuple[tuple[int, bytes, str], ...] = (
    (0, b"\x1a\x45\xdf\xa3", "video/x-matroska"),
    (0, b"FLV\x01", "video/x-flv"),
    (0, b"\x30\x26\xb2\x75\x8e\x66\xcf\x11", "video/x-ms-asf"),
    (0, b"\x00\x00\x01\xba", "video/mpeg"),
    (0, b"\x00\x00\x01\xb3", "video/mpeg"),
    (0, b"OggS", "video/ogg"),
)


def sniff(head: bytes) -> Sniffed:
    """Classify a file from its first :data:`SNIFF_BYTES` bytes."""
    for offset, magic, mime in _IMAGE_MAGIC:
        if head.startswith(magic, offset):
            return Sniffed("image", mime)
    if head[:4] == b"RIFF" and len(head) >= 12:
        form = head[8:12]
        if form == b"WEBP":
            return Sniffed("image", "image/webp")
        if form == b"AVI ":
            return Sniffed("video", "video/x-msvideo")
        return Sniffed("other", None)
    if head[:2] == b"BM" and len(head) >= 14 and head[6:10] == b"\x00\x00\x00\x00":
        return Sniffed("image", "image/bmp")
    if len(head) >= 12 and head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in _HEIF_BRANDS:
            return Sniffed("image", "image/avif" if brand.startswith(b"avi") else "image/heic")
        if brand in _AUDIO_BRANDS:
            return Sniffed("other", "audio/mp4")
        if brand in _QT_BRANDS:
            return Sniffed("video", "video/quicktime")
        if brand.startswith(b"3g"):
            return Sniffed("video", "video/3gpp")
        return Sniffed("video", "video/mp4")
    if len(head) >= 8 and head[4:8] in (b"moov", b"mdat", b"wide", b"free", b"skip"):
        return Sniffed("video", "video/quicktime")
    for offset, magic, mime in _VIDEO_MAGIC:
        if head.startswith(magic, offset):
            return Sniffed("video", mime)
    if len(head) >= 377 and head[0] == head[188] == head[376] == 0x47:
        return Sniffed("video", "video/mp2t")
    if len(head) >= 3 and head[0:1] == b"P" and head[1:2] in b"123456" and head[2:3] in b" \t\r\n":
        return Sniffed("image", "image/x-portable-anymap")
    return Sniffed("other", None)


ContainerKind = Literal["zip", "tar", "gzip", "bzip2", "xz", "7z", "e01", "disk"]

# Bytes needed to recognise every container below: the ext superblock magic sits at 1080.
CONTAINER_SNIFF_BYTES = 2048

_CONTAINER_MAGIC: tuple[tuple[bytes, ContainerKind], ...] = (
    (b"PK\x03\x04", "zip"),
    (b"PK\x05\x06", "zip"),  # an empty zip: only the end-of-central-directory record
    (b"PK\x07\x08", "zip"),  # a spanned zip's marker before the first local header
    (b"\x1f\x8b", "gzip"),
    (b"\xfd7zXZ\x00", "xz"),
    (b"7z\xbc\xaf\x27\x1c", "7z"),
    (b"EVF\x09\x0d\x0a\xff\x00", "e01"),
)


def container_kind(head: bytes) -> ContainerKind | None:
    """What kind of container ``head`` (the first :data:`CONTAINER_SNIFF_BYTES` bytes) opens, if any.

    Decided by content only. ``disk`` means a raw disk image: a partition table (MBR or GPT), a bare
    NTFS, FAT, exFAT or ext file system, or a BitLocker or LUKS volume; the file-system library has the
    final word on whether it opens.
    """
    for magic, kind in _CONTAINER_MAGIC:
        if head.startswith(magic):
            return kind
    if len(head) >= 4 and head[:3] == b"BZh" and head[3:4] in b"123456789":
        return "bzip2"
    if is_tar_header(head):
        return "tar"
    if _is_disk(head):
        return "disk"
    return None


_EOCD = b"PK\x05\x06"
_EOCD_SIZE = 22
_ZIP_TAIL = _EOCD_SIZE + 0xFFFF  # the record and the longest comment it may carry


def has_appended_zip(fh: BinaryIO, size: int) -> bool:
    """Whether a file that does not start as a container ends with a zip (a JPEG + zip polyglot).

    Only a consistent end-of-central-directory record counts (see :func:`find_zip_end`), so four bytes
    that happen to read ``PK\\5\\6`` inside an image do not make it an archive (and a corrupt-archive
    error)."""
    end = find_zip_end(fh, size)
    return end is not None and end[1] > 0


def find_zip_end(fh: BinaryIO, size: int) -> tuple[int, int, int, int] | None:
    """The zip end record of ``fh``: ``(its offset, entries, central directory size, its offset)``.

    Consistent only: its comment runs exactly to the end of the file, one disk, and the central directory
    fits before it (zip64 sizes, 0xFFFF.. placeholders, are let through as they are)."""
    if size < _EOCD_SIZE:
        return None
    start = max(0, size - _ZIP_TAIL)
    fh.seek(start)
    tail = fh.read(size - start)
    at = tail.rfind(_EOCD)
    while at >= 0:
        record = tail[at : at + _EOCD_SIZE]
        if len(record) == _EOCD_SIZE:
            disk, cd_disk, here, total, cd_size, cd_offset, comment = struct.unpack("<HHHHIIH", record[4:])
            zip64 = 0xFFFFFFFF in (cd_size, cd_offset) or 0xFFFF in (here, total)
            if (
                at + _EOCD_SIZE + comment == len(tail)
                and disk == cd_disk == 0
                and here == total
                and (zip64 or cd_size <= start + at)
            ):
                return start + at, total, cd_size, cd_offset
        at = tail.rfind(_EOCD, 0, at)
    return None


def ewf_segment(head: bytes) -> int | None:
    """The segment number of an EWF (E01) file: 1 opens the set, later ones only continue it."""
    if len(head) < 11 or not head.startswith(b"EVF\x09\x0d\x0a\xff\x00"):
        return None
    return int.from_bytes(head[9:11], "little")


def is_tar_header(head: bytes) -> bool:
    if len(head) < 512:
        return False
    if head[257:262] == b"ustar":
        return True
    # A pre-POSIX (v7) header has no magic: its checksum field is the proof.
    field = head[148:156].split(b"\x00", 1)[0].strip()
    if not field or not head[:1].strip(b"\x00"):
        return False
    try:
        stored = int(field, 8)
    except ValueError:
        return False
    block = head[:148] + b" " * 8 + head[156:512]
    return stored == sum(block)


def _is_disk(head: bytes) -> bool:
    if len(head) >= 520 and head[512:520] == b"EFI PART":
        return True
    if head[:6] == b"LUKS\xba\xbe" or head[3:11] == b"-FVE-FS-":
        return True  # an encrypted volume: recognised so that it is reported as such
    if len(head) >= 1082 and head[1080:1082] == b"\x53\xef" and _ext_superblock_plausible(head):
        return True
    if len(head) < 512 or head[510:512] != b"\x55\xaa":
        return False
    if head[3:11] in (b"NTFS    ", b"EXFAT   "):
        return True
    if head[54:59] in (b"FAT12", b"FAT16") or head[82:87] == b"FAT32":
        return True
    return _mbr_plausible(head)


def _ext_superblock_plausible(head: bytes) -> bool:
    sb = head[1024:2048]
    log_block_size = int.from_bytes(sb[24:28], "little")
    inodes = int.from_bytes(sb[0:4], "little")
    return log_block_size <= 6 and inodes > 0


def _mbr_plausible(head: bytes) -> bool:
    """Four 16-byte partition entries at 446: each empty or with a sane status, type and extent."""
    used = 0
    for i in range(4):
        entry = head[446 + 16 * i : 462 + 16 * i]
        status, ptype = entry[0], entry[4]
        start = int.from_bytes(entry[8:12], "little")
        count = int.from_bytes(entry[12:16], "little")
        if ptype == 0:
            continue
        if status not in (0x00, 0x80) or start == 0 or count == 0:
            return False
        used += 1
    return used > 0
