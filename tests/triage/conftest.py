"""Evidence for the scan tests, built with the media helper's builders (tests/media/conftest.py) from benign
images: a folder with duplicates and renamed files, nested archives, a zip bomb, traversal names, corrupt
files, a partitioned FAT + ext4 disk image with deleted images and its E01 form; and a hash set
imported from the reference photos (the bridge original by PDQ, synthetic photos by MD5/SHA-256)."""

from __future__ import annotations

import csv
import hashlib
import importlib.util
import io
import shutil
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import pytest

from netsafe.audit.service import Actor
from netsafe.services.hashsets import import_file
from netsafe.store import Database, open_database

ACTOR = Actor("test")

HERE = Path(__file__).resolve().parent
BRIDGE = "bridge-mods"


def _media_builders() -> ModuleType:
    spec = importlib.util.spec_from_file_location("_media_builders", HERE.parent / "media" / "conftest.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


media = _media_builders()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class Evidence:
    folder: Path
    e01: Path
    orig: bytes  # the bridge original (hash set entry by PDQ, category A)
    exact_b: bytes  # in a zip on the ext4 partition (entry by MD5, category B)
    exact_c: bytes  # deleted from the FAT partition (entry by SHA-256, category C)
    unmatched: list[bytes]
    hashset_csv: Path


def _bomb() -> bytes:
    out = io.BytesIO()
    import zipfile

    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("zeros.bin", bytes(8 << 20))
    return out.getvalue()


@pytest.fixture(scope="session")
def evidence(tmp_path_factory: pytest.TempPathFactory, reference: Path) -> Evidence:
    base = tmp_path_factory.mktemp("evidence")
    root = base / "seized"
    (root / "photos").mkdir(parents=True)
    bridge = reference / "pdq" / BRIDGE
    for name in ("aaa-orig.jpg", "blur-a-little.jpg", "high-contrast.jpg", "shrink-a-lot.jpg"):
        shutil.copy(bridge / name, root / "photos" / name)
    orig = (bridge / "aaa-orig.jpg").read_bytes()
    (root / "photos" / "notes.txt").write_bytes(orig)  # a JPEG named .txt: still an image, and a copy
    unmatched = [media.png(20), media.jpeg(21)]
    (root / "holiday.png").write_bytes(unmatched[0])
    (root / "beach.jpg").write_bytes(unmatched[1])
    (root / "letter.txt").write_text("Dear Sir,\n" * 50)
    inner = media._tar({"deep/c.jpg": media.jpeg(30), "deep/orig-again.jpg": orig}, "w:gz")
    (root / "nested.zip").write_bytes(media._zip({"inner/b.tar.gz": inner, "readme.txt": b"hello"}))
    (root / "bundle.7z").write_bytes(media._7z({"x/seven.jpg": media.jpeg(31)}))
    (root / "bomb.zip").write_bytes(_bomb())
    (root / "traversal.zip").write_bytes(
        media._zip({"../../etc/evil.jpg": media.jpeg(40), "/abs/root.jpg": media.jpeg(41)})
    )
    (root / "corrupt.jpg").write_bytes(media.jpeg(50)[:300])
    (root / "broken.zip").write_bytes(b"PK\x03\x04" + bytes(range(256)) * 4)
    # The disk: FAT16 (a live photo, a deleted one) and ext4 (a zip holding a listed photo, a deleted one).
    exact_b, exact_c = media.jpeg(6), media.jpeg(4)
    disk_dir = base / "disk"
    disk_dir.mkdir()
    media.make_fat(disk_dir / "fat.img", {"DCIM/a.jpg": media.jpeg(1)}, {"gone.jpg": exact_c})
    media.make_ext4(
        disk_dir / "ext.img",
        {"pics/inner.zip": media._zip({"z/b.jpg": exact_b})},
        {"erased.jpg": media.jpeg(7)},
    )
    fat = (disk_dir / "fat.img").read_bytes()
    ext = (disk_dir / "ext.img").read_bytes()
    raw = media.mbr_disk([(0x06, fat), (0x83, ext)])
    (root / "usb.dd").write_bytes(raw)
    media.tool("ewfacquirestream", "ewf-tools")
    target = base / "e01" / "laptop"
    target.parent.mkdir()
    media.run("ewfacquirestream", "-q", "-c", "none", "-t", str(target), "-C", "7", stdin=raw)
    e01 = target.with_suffix(".E01")
    assert e01.is_file()
    # The hash set, as a CSV an analyst might be sent.
    with open(reference / "pdq" / "expected.csv", newline="") as fh:
        orig_pdq = next(r["pdq"] for r in csv.DictReader(fh) if r["path"] == f"{BRIDGE}/aaa-orig.jpg")
    hashset_csv = base / "list.csv"
    with open(hashset_csv, "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["MediaID", "MD5", "SHA256", "PDQ", "Category"])
        writer.writerow(["101", "", "", orig_pdq, "A"])
        writer.writerow(["102", hashlib.md5(exact_b).hexdigest(), "", "", "B"])
        writer.writerow(["103", "", sha256(exact_c), "", "C"])
        writer.writerow(["104", "0" * 32, "", "", ""])
    return Evidence(root, e01, orig, exact_b, exact_c, unmatched, hashset_csv)


def make_db(path: Path, evidence: Evidence) -> Database:
    db = open_database(f"sqlite:///{path / 'netsafe.db'}")
    import_file(db, ACTOR, evidence.hashset_csv, "caid-test", format="csv", profile="uk-caid")
    return db


@pytest.fixture()
def store(tmp_path: Path, evidence: Evidence, monkeypatch: pytest.MonkeyPatch) -> Iterator[Database]:
    monkeypatch.setenv("NETSAFE_INDEX_DIR", str(tmp_path / "indexes"))
    db = make_db(tmp_path, evidence)
    try:
        yield db
    finally:
        db.dispose()
