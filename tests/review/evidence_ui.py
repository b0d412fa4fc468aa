"""Benign evidence for review-ui's tests: generated photos (loose, in a nested archive, on a FAT disk
image), a short video, and one photo listed in a hash set so the scan matches it."""

from __future__ import annotations

import csv
import hashlib
import io
import os
import subprocess
import tarfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from netsafe.audit.service import Actor
from netsafe.samples import synthetic_photo, write_video
from netsafe.services.hashsets import import_file
from netsafe.store.db import Database
from netsafe.triage import service
from netsafe.triage.pipeline import ScanConfig

ACTOR = Actor("test")


def jpeg(seed: int, size: tuple[int, int] = (640, 480)) -> bytes:
    out = io.BytesIO()
    synthetic_photo(seed, *size).save(out, "JPEG", quality=90)
    return out.getvalue()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def zipped(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return out.getvalue()


def tarred(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as tf:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    return out.getvalue()


@dataclass(frozen=True)
class Evidence:
    folder: Path
    loose: bytes  # a photo in the folder
    nested: bytes  # a photo in a tar.gz in a zip
    known: bytes  # a photo the hash set lists (matched: never shown)
    on_disk: bytes  # a photo in a FAT file-system image
    video: Path
    hashset_csv: Path


def fat_image(path: Path, name: str, data: bytes) -> None:
    """A FAT file system holding one file (dosfstools and mtools, as tests/media builds them)."""
    env = {**os.environ, "PATH": os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/sbin"])}
    subprocess.run(
        ["mkfs.vfat", "-C", "-n", "EVIDENCE", str(path), "2048"], check=True, env=env, capture_output=True
    )
    local = path.with_name(name)
    local.write_bytes(data)
    subprocess.run(
        ["mcopy", "-i", str(path), str(local), f"::/{name}"], check=True, env=env, capture_output=True
    )
    local.unlink()


def build(base: Path) -> Evidence:
    folder = base / "seized"
    folder.mkdir(parents=True)
    loose, nested, known = jpeg(1), jpeg(2), jpeg(3)
    (folder / "holiday.jpg").write_bytes(loose)
    (folder / "known.jpg").write_bytes(known)
    (folder / "bundle.zip").write_bytes(zipped({"inner/b.tar.gz": tarred({"deep/c.jpg": nested})}))
    on_disk = jpeg(4, (320, 240))
    fat_image(folder / "usb.dd", "a.jpg", on_disk)
    video = folder / "clip.mp4"
    frames = [np.asarray(synthetic_photo(100 + i // 10, 320, 240)) for i in range(60)]
    write_video(video, frames, fps=10)
    listing = base / "list.csv"
    with open(listing, "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["MD5", "Category"])
        writer.writerow([hashlib.md5(known).hexdigest(), "A"])
    return Evidence(folder, loose, nested, known, on_disk, video, listing)


def scanned(db: Database, evidence: Evidence, out: Path) -> int:
    import_file(db, ACTOR, evidence.hashset_csv, "caid-test", format="csv", profile="uk-caid")
    config = ScanConfig(sources=(str(evidence.folder),), out_dir=str(out), workers=2)
    return service.scan(db, ACTOR, config).scan_id


def high_frequency(data: bytes) -> float:
    """The share of the served image's (windowed) spectral power above 0.1 cycles a pixel: the detail a
    blur takes away. The measure is of the decoded bytes, whatever a page's CSS would do."""
    grey = np.asarray(Image.open(io.BytesIO(data)).convert("L"), dtype=np.float64)
    grey = (grey - grey.mean()) * np.outer(np.hanning(grey.shape[0]), np.hanning(grey.shape[1]))
    power = np.abs(np.fft.fft2(grey)) ** 2
    fy, fx = np.fft.fftfreq(grey.shape[0])[:, None], np.fft.fftfreq(grey.shape[1])[None, :]
    return float(power[np.hypot(fy, fx) > 0.1].sum() / power.sum())
