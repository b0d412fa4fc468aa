"""Evidence built from benign images: archives, disk images (FAT, ext4, NTFS, partitioned, split, E01).

The disk tools are Debian packages listed in scripts/system-packages.txt (``make test`` installs them);
a missing tool fails the test that needs it with the package to install, it is never silently skipped.
"""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import struct
import subprocess
import tarfile
import uuid
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import py7zr
import pytest

from netsafe.samples import synthetic_photo

REFERENCE = Path(__file__).resolve().parents[1] / "data" / "reference" / "pdq" / "misc"


def md5(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


def jpeg(seed: int, size: tuple[int, int] = (160, 120)) -> bytes:
    out = io.BytesIO()
    synthetic_photo(seed, *size).save(out, "JPEG", quality=85)
    return out.getvalue()


def png(seed: int) -> bytes:
    out = io.BytesIO()
    synthetic_photo(seed, 96, 64).save(out, "PNG")
    return out.getvalue()


# mkfs and friends live in /usr/sbin, which is not on an ordinary user's PATH on Debian.
_TOOL_PATH = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/sbin"])


def tool(name: str, package: str) -> str:
    path = shutil.which(name, path=_TOOL_PATH)
    if path is None:
        pytest.fail(f"{name} not found: install the Debian package {package} (make system-deps)")
    return path


def _env() -> dict[str, str]:
    return {**os.environ, "MTOOLS_SKIP_CHECK": "1", "PATH": _TOOL_PATH}


def run(*args: str, stdin: bytes | None = None) -> None:
    proc = subprocess.run(args, input=stdin, capture_output=True, env=_env(), check=False)
    if proc.returncode != 0:
        raise AssertionError(f"{args[0]} failed: {proc.stderr.decode(errors='replace')[-400:]}")


@dataclass(frozen=True)
class DiskEvidence:
    """A partitioned disk (FAT12 + ext4), its split and E01 forms, and what each file system holds."""

    raw: Path
    split: list[Path]
    e01: list[Path]
    fat_live: dict[str, bytes]  # path in the file system -> content
    fat_deleted: bytes
    ext_live: dict[str, bytes]
    ext_deleted: bytes
    fat_offset: int
    ext_offset: int


def make_fat(
    path: Path,
    live: dict[str, bytes],
    deleted: dict[str, bytes],
    size_kib: int = 2048,
    when: float | None = None,
) -> None:
    """A FAT image holding ``live`` and ``deleted`` (written, then deleted); ``when`` (POSIX seconds) sets
    every file's modified and created time instead of now."""
    tool("mkfs.vfat", "dosfstools")
    tool("mcopy", "mtools")
    run("mkfs.vfat", "-C", "-n", "EVIDENCE", str(path), str(size_kib))
    work = path.parent / (path.name + ".src")
    work.mkdir()
    for name, data in {**live, **deleted}.items():
        parts = name.strip("/").split("/")
        for i in range(1, len(parts)):
            folder = "::/" + "/".join(parts[:i])
            subprocess.run(
                ["mmd", "-D", "s", "-i", str(path), folder], capture_output=True, check=False, env=_env()
            )
        local = work / parts[-1]
        local.write_bytes(data)
        keep = []
        if when is not None:
            os.utime(local, (when, when))
            keep = ["-m"]  # mcopy keeps the file's modification time (and sets its creation time to it)
        run("mcopy", *keep, "-i", str(path), str(local), "::/" + "/".join(parts))
    for name in deleted:
        run("mdel", "-i", str(path), "::/" + name.strip("/"))
    shutil.rmtree(work)


def make_ext4(path: Path, live: dict[str, bytes], deleted: dict[str, bytes], size: str = "4M") -> None:
    tool("mkfs.ext4", "e2fsprogs")
    tool("debugfs", "e2fsprogs")
    root = path.parent / (path.name + ".src")
    for name, data in {**live, **deleted}.items():
        target = root / name.strip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    run("mkfs.ext4", "-q", "-F", "-d", str(root), str(path), size)
    for name in deleted:
        run("debugfs", "-w", "-R", f"rm /{name.strip('/')}", str(path))
    shutil.rmtree(root)


def make_ntfs(path: Path, live: dict[str, bytes]) -> None:
    tool("mkntfs", "ntfs-3g")
    tool("ntfscp", "ntfs-3g")
    with path.open("wb") as fh:
        fh.truncate(8 * 1024 * 1024)
    run("mkntfs", "-q", "-F", "-f", str(path))
    work = path.parent / (path.name + ".src")
    work.mkdir()
    for name, data in live.items():
        local = work / name
        local.write_bytes(data)
        run("ntfscp", str(path), str(local), name)  # ntfs-3g writes into the image without mounting it
    shutil.rmtree(work)


def mbr_disk(partitions: list[tuple[int, bytes]]) -> bytes:
    """A disk with a DOS partition table: each partition is (type byte, file-system bytes), 1 MiB aligned."""
    sector = 512
    mbr = bytearray(512)
    start = 2048
    body = bytearray()
    for i, (ptype, fs) in enumerate(partitions):
        count = len(fs) // sector
        mbr[446 + 16 * i : 462 + 16 * i] = bytes([0, 0, 0, 0, ptype, 0, 0, 0]) + struct.pack(
            "<II", start, count
        )
        body += fs
        start += count
    mbr[510:512] = b"\x55\xaa"
    return bytes(mbr) + bytes(2048 * sector - 512) + bytes(body)


def gpt_disk(partitions: list[bytes]) -> bytes:
    """A disk with a GUID partition table (protective MBR, header, 128 entries), 1 MiB aligned."""
    sector = 512
    basic_data = uuid.UUID("EBD0A0A2-B9E5-4433-87C0-68B6B72699C7").bytes_le
    entries = bytearray(128 * 128)
    start = 2048
    body = bytearray()
    for i, fs in enumerate(partitions):
        count = len(fs) // sector
        name = f"part{i + 1}".encode("utf-16-le").ljust(72, b"\x00")
        entries[128 * i : 128 * (i + 1)] = (
            basic_data + uuid.uuid4().bytes_le + struct.pack("<QQQ", start, start + count - 1, 0) + name
        )
        body += fs
        start += count
    total = start + 34
    header = bytearray(92)
    header[0:8] = b"EFI PART"
    struct.pack_into("<IIIIQQQQ", header, 8, 0x00010000, 92, 0, 0, 1, total - 1, 34, total - 34)
    header[56:72] = uuid.uuid4().bytes_le
    struct.pack_into("<QIII", header, 72, 2, 128, 128, zlib.crc32(entries))
    struct.pack_into("<I", header, 16, zlib.crc32(header))
    mbr = bytearray(512)
    mbr[446:462] = bytes([0, 0, 2, 0, 0xEE, 0xFF, 0xFF, 0xFF]) + struct.pack("<II", 1, total - 1)
    mbr[510:512] = b"\x55\xaa"
    lba1 = bytes(header).ljust(sector, b"\x00")
    gap = bytes(2048 * sector - 512 - sector - len(entries))
    return bytes(mbr) + lba1 + bytes(entries) + gap + bytes(body) + bytes(34 * sector)


@pytest.fixture(scope="session")
def disk_evidence(tmp_path_factory: pytest.TempPathFactory) -> DiskEvidence:
    base = tmp_path_factory.mktemp("disk")
    fat_live = {"DCIM/a.jpg": jpeg(1), "keep.png": png(2), "docs/photo.txt": jpeg(3)}
    fat_deleted = jpeg(4)
    make_fat(base / "fat.img", fat_live, {"gone.jpg": fat_deleted})
    ext_live = {"pics/b.jpg": jpeg(5), "pics/inner.zip": _zip({"z/c.jpg": jpeg(6)})}
    ext_deleted = jpeg(7)
    make_ext4(base / "ext.img", ext_live, {"erased.jpg": ext_deleted})
    fat = (base / "fat.img").read_bytes()
    ext = (base / "ext.img").read_bytes()
    raw = base / "disk.dd"
    raw.write_bytes(mbr_disk([(0x06, fat), (0x83, ext)]))
    data = raw.read_bytes()
    third = len(data) // 3
    split = []
    for i, chunk in enumerate((data[:third], data[third : 2 * third], data[2 * third :]), start=1):
        part = base / f"split.{i:03d}"
        part.write_bytes(chunk)
        split.append(part)
    tool("ewfacquirestream", "ewf-tools")
    # No compression and 1 MiB segments: several .E0n segment files, so segment discovery is exercised.
    target = base / "evidence"
    run("ewfacquirestream", "-q", "-c", "none", "-S", "1MiB", "-t", str(target), "-C", "7", stdin=data)
    e01 = sorted(base.glob("evidence.E*"))
    return DiskEvidence(
        raw=raw,
        split=split,
        e01=e01,
        fat_live=fat_live,
        fat_deleted=fat_deleted,
        ext_live=ext_live,
        ext_deleted=ext_deleted,
        fat_offset=2048 * 512,
        ext_offset=2048 * 512 + len(fat),
    )


def _zip(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return out.getvalue()


def _tar(members: dict[str, bytes], mode: str = "w") -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode=mode) as tf:  # type: ignore[call-overload]
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mtime = 1_700_000_000
            tf.addfile(info, io.BytesIO(data))
    return out.getvalue()


def _7z(members: dict[str, bytes], password: str | None = None, encrypt_header: bool = True) -> bytes:
    out = io.BytesIO()
    with py7zr.SevenZipFile(out, "w", password=password) as sz:
        if password and encrypt_header:
            sz.set_encrypted_header(True)
        for name, data in members.items():
            sz.writestr(data, name)
    return out.getvalue()


def fuse_populate(
    image: Path, mount_cmd: list[str], live: dict[str, bytes], deleted: dict[str, bytes]
) -> None:
    """Write files into a file-system image through a FUSE driver, then delete some.

    Used only where no Debian tool writes into an unmounted image (exFAT; deleting on NTFS). Needs
    /dev/fuse and, for exFAT, a loop device: where the machine refuses either, the test is skipped with
    the reason (a container without those privileges), never passed.
    """
    mnt = image.parent / (image.name + ".mnt")
    mnt.mkdir()
    loop = None
    try:
        device = str(image)
        if "--loop" in mount_cmd:
            mount_cmd = [c for c in mount_cmd if c != "--loop"]
            proc = subprocess.run(
                ["losetup", "-f", "--show", str(image)], capture_output=True, check=False, env=_env()
            )
            if proc.returncode != 0:
                pytest.skip(f"no loop device to mount {image.name}: {proc.stderr.decode().strip()}")
            loop = device = proc.stdout.decode().strip()
        proc = subprocess.run([*mount_cmd, device, str(mnt)], capture_output=True, check=False, env=_env())
        if proc.returncode != 0 or not os.path.ismount(mnt):
            pytest.skip(f"cannot FUSE-mount {image.name} here: {proc.stderr.decode().strip()[-200:]}")
        try:
            for name, data in {**live, **deleted}.items():
                target = mnt / name
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(data)
            for name in deleted:
                (mnt / name).unlink()
        finally:
            subprocess.run(["umount", str(mnt)], capture_output=True, check=False, env=_env())
    finally:
        if loop:
            subprocess.run(["losetup", "-d", loop], capture_output=True, check=False, env=_env())
        mnt.rmdir()


@pytest.fixture()
def build() -> type[Builders]:
    return Builders


class Builders:
    zip = staticmethod(_zip)
    tar = staticmethod(_tar)
    sevenzip = staticmethod(_7z)
    jpeg = staticmethod(jpeg)
    png = staticmethod(png)
    mbr_disk = staticmethod(mbr_disk)
    gpt_disk = staticmethod(gpt_disk)
    make_fat = staticmethod(make_fat)
    make_ext4 = staticmethod(make_ext4)
    make_ntfs = staticmethod(make_ntfs)
    fuse_populate = staticmethod(fuse_populate)
