"""Items feed the hashing engine unchanged: same digests and PDQ wherever the file was found."""

from __future__ import annotations

import hashlib
from pathlib import Path

from netsafe.hashing.engine import hash_bytes, hash_file
from netsafe.hashing.options import HashOptions
from netsafe.media import MediaItem, iter_source

from .conftest import Builders, DiskEvidence, jpeg


def test_same_photo_same_signals_in_folder_archive_and_disk(
    tmp_path: Path, build: type[Builders], disk_evidence: DiskEvidence
) -> None:
    photo = disk_evidence.fat_live["docs/photo.txt"]  # a JPEG under a .txt name, inside the FAT partition
    (tmp_path / "loose.txt").write_bytes(photo)
    (tmp_path / "in.zip").write_bytes(build.zip({"renamed.dll": photo}))
    options = HashOptions(signals=frozenset({"md5", "sha256", "pdq"}))
    records = []
    for source in (str(tmp_path), str(disk_evidence.raw)):
        for e in iter_source(source):
            if not isinstance(e, MediaItem) or e.size != len(photo) or e.read_bytes() != photo:
                continue
            if e.host_path is not None:
                records.append(hash_file(e.host_path, options))
            else:
                records.append(hash_bytes(e.read_bytes(), str(e.location), options))
    assert len(records) == 3  # the folder, the zip member and the file inside the disk image
    assert {r.kind for r in records} == {"image"}
    assert {r.digests["sha256"] for r in records} == {hashlib.sha256(photo).hexdigest()}
    assert len({r.pdq for r in records}) == 1 and records[0].pdq is not None
    assert records[0].error is None and photo == jpeg(3)
