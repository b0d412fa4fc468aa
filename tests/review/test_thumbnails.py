"""Thumbnails made on demand from the evidence: blurred and greyscale in the served bytes, unblurring
audited, matched items never served, archives' members and videos (a contact sheet) too."""

from __future__ import annotations

import io
import os
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image
from sqlalchemy import select

from netsafe.accounts.roles import Role
from netsafe.audit.models import AuditEventRow
from netsafe.errors import NotFound
from netsafe.media.pictures import ThumbnailOptionError, ThumbOptions
from netsafe.review import thumbnails
from netsafe.review.exposure import my_exposure
from netsafe.review.queue import list_groups
from netsafe.review.settings import ReviewSettings
from netsafe.review.thumbnails import (
    EvidenceChangedError,
    MatchedItemError,
    item_thumbnail,
    scan_blob_thumbnail,
)
from netsafe.samples import synthetic_photo
from netsafe.services.accounts import add_user
from netsafe.store.db import Database, open_database
from netsafe.triage.models import ScanBlobRow

from .evidence_ui import ACTOR, Evidence, build, high_frequency, scanned, sha256


@dataclass
class Scan:
    db: Database
    evidence: Evidence
    scan_id: int
    blobs: dict[str, int]  # sha256 -> blob id
    video_blob: int


@pytest.fixture(scope="module")
def scan(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scan]:
    base = tmp_path_factory.mktemp("thumbs")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("NETSAFE_INDEX_DIR", str(base / "idx"))
        evidence = build(base)
        db = open_database(f"sqlite:///{base / 'netsafe.db'}")
        scan_id = scanned(db, evidence, base / "out")
        with db.session() as session:
            rows = session.execute(select(ScanBlobRow.sha256, ScanBlobRow.id, ScanBlobRow.kind)).all()
        blobs = {sha: id_ for sha, id_, _ in rows}
        video = next(id_ for _, id_, kind in rows if kind == "video")
        yield Scan(db, evidence, scan_id, blobs, video)
        db.dispose()


@pytest.fixture(autouse=True)
def fresh_cache() -> None:
    thumbnails.PICTURES.clear()


def unblur_events(db: Database) -> list[AuditEventRow]:
    with db.session() as session:
        rows = list(session.scalars(select(AuditEventRow).where(AuditEventRow.action == "review.unblur")))
        session.expunge_all()
    return rows


def test_served_bytes_are_blurred_and_grey_by_default(scan: Scan) -> None:
    blob = scan.blobs[sha256(scan.evidence.loose)]
    shown = scan_blob_thumbnail(scan.db, ACTOR, blob, ThumbOptions())
    image = Image.open(io.BytesIO(shown.data))
    assert shown.media_type == "image/jpeg" and image.format == "JPEG"
    assert image.mode == "L" and max(image.size) == 160 and not shown.unblurred
    sharp = scan_blob_thumbnail(scan.db, ACTOR, blob, ThumbOptions(blur=0))
    # The blur is in the bytes: a tenth of the detail of the same picture unblurred, at every level.
    assert high_frequency(shown.data) < 0.1 * high_frequency(sharp.data)
    faintest = scan_blob_thumbnail(scan.db, ACTOR, blob, ThumbOptions(blur=1, size=480))
    sharp_big = scan_blob_thumbnail(scan.db, ACTOR, blob, ThumbOptions(blur=0, size=480))
    assert high_frequency(faintest.data) < 0.2 * high_frequency(sharp_big.data)
    coloured = Image.open(
        io.BytesIO(scan_blob_thumbnail(scan.db, ACTOR, blob, ThumbOptions(colour=True)).data)
    )
    assert coloured.mode == "RGB"


def test_unblurring_is_audited_and_blurred_views_are_not(scan: Scan) -> None:
    blob = scan.blobs[sha256(scan.evidence.loose)]
    before = len(unblur_events(scan.db))
    scan_blob_thumbnail(scan.db, ACTOR, blob, ThumbOptions(blur=30))
    assert len(unblur_events(scan.db)) == before
    shown = scan_blob_thumbnail(scan.db, ACTOR, blob, ThumbOptions(blur=0), target="review-item:7")
    events = unblur_events(scan.db)
    assert shown.unblurred and len(events) == before + 1
    assert events[-1].target == "review-item:7" and events[-1].actor == "test"


def test_the_unblurred_picture_is_the_evidence(scan: Scan) -> None:
    # A photo in a tar.gz in a zip: read again through the archives, reduced, nothing else changed.
    blob = scan.blobs[sha256(scan.evidence.nested)]
    shown = scan_blob_thumbnail(scan.db, ACTOR, blob, ThumbOptions(blur=0, size=160))
    got = np.asarray(Image.open(io.BytesIO(shown.data)), dtype=np.float64)
    want_im = synthetic_photo(2, 640, 480).convert("L")
    want_im.thumbnail((160, 160))
    assert got.shape == (120, 160)
    assert np.abs(got - np.asarray(want_im, dtype=np.float64)).mean() < 6


def test_a_file_in_a_disk_image(scan: Scan) -> None:
    blob = scan.blobs[sha256(scan.evidence.on_disk)]
    shown = scan_blob_thumbnail(scan.db, ACTOR, blob, ThumbOptions(blur=0, size=320))
    assert Image.open(io.BytesIO(shown.data)).size == (320, 240)


def test_a_matched_item_is_never_served(scan: Scan) -> None:
    blob = scan.blobs[sha256(scan.evidence.known)]
    for options in (ThumbOptions(), ThumbOptions(blur=100), ThumbOptions(blur=0)):
        with pytest.raises(MatchedItemError, match="never shown"):
            scan_blob_thumbnail(scan.db, ACTOR, blob, options)


def test_a_video_is_a_contact_sheet(scan: Scan) -> None:
    shown = scan_blob_thumbnail(scan.db, ACTOR, scan.video_blob, ThumbOptions(blur=0, size=480, colour=True))
    assert shown.kind == "video"
    sheet = np.asarray(Image.open(io.BytesIO(shown.data)).convert("L"), dtype=np.float64)
    assert sheet.shape == (480, 480)
    # Nine frames from six scenes (one a second): the cells are not all the same picture.
    cells = [
        sheet[r * 160 + 40 : r * 160 + 120, c * 160 + 30 : c * 160 + 130] for r in range(3) for c in range(3)
    ]
    assert all(cell.std() > 5 for cell in cells)
    assert max(np.abs(cells[0] - cell).mean() for cell in cells[1:]) > 10


def test_changed_evidence_is_not_shown(scan: Scan, tmp_path: Path) -> None:
    path = scan.evidence.folder / "holiday.jpg"
    original = path.read_bytes()
    blob = scan.blobs[sha256(original)]
    try:
        path.write_bytes(original[:-10] + b"0123456789")
        with pytest.raises(EvidenceChangedError, match="scan it again"):
            scan_blob_thumbnail(scan.db, ACTOR, blob, ThumbOptions())
        os.unlink(path)
        with pytest.raises(NotFound, match="cannot be read"):
            scan_blob_thumbnail(scan.db, ACTOR, blob, ThumbOptions())
    finally:
        path.write_bytes(original)


@pytest.mark.parametrize(("size", "blur"), [(10, 50), (2000, 50), (160, -1), (160, 101)])
def test_options_are_checked(size: int, blur: int) -> None:
    with pytest.raises(ThumbnailOptionError):
        ThumbOptions(size=size, blur=blur)


def test_a_review_item_thumbnail(scan: Scan) -> None:
    with scan.db.session() as session:
        add_user(session, ACTOR, "grader", Role.ANALYST, "a long enough password 1")
    settings = ReviewSettings()
    page = list_groups(scan.db, ACTOR, scan.scan_id, settings, limit=100)
    items = {i.sha256: i.item for g in page.groups for i in g.items}
    assert sha256(scan.evidence.known) not in items  # a matched content is never an item
    item = items[sha256(scan.evidence.loose)]
    shown = item_thumbnail(scan.db, ACTOR, item, ThumbOptions(), "grader")
    by_blob = scan_blob_thumbnail(scan.db, ACTOR, scan.blobs[sha256(scan.evidence.loose)], ThumbOptions())
    assert shown.data == by_blob.data and not shown.unblurred
    before = len(unblur_events(scan.db))
    assert item_thumbnail(scan.db, ACTOR, item, ThumbOptions(blur=0), "grader").unblurred
    events = unblur_events(scan.db)
    assert len(events) == before + 1 and events[-1].target == f"scan:{scan.scan_id}"
    assert my_exposure(scan.db, settings, "grader").today_items == 1
    # Unblurring needs a grader the service knows: nothing is served, nothing counted.
    with pytest.raises(NotFound):
        item_thumbnail(scan.db, ACTOR, item, ThumbOptions(blur=0), "nobody")
    assert len(unblur_events(scan.db)) == before + 1
    with pytest.raises(NotFound):
        item_thumbnail(scan.db, ACTOR, 10_000, ThumbOptions(), "grader")


def test_at_most_two_pictures_are_made_at_once(scan: Scan, monkeypatch: pytest.MonkeyPatch) -> None:
    running, most = [0], [0]
    lock = threading.Lock()
    real = thumbnails.read_item

    def slow(*args: Any, **kwargs: Any) -> bytes:
        with lock:
            running[0] += 1
            most[0] = max(most[0], running[0])
        try:
            time.sleep(0.1)
            return real(*args, **kwargs)
        finally:
            with lock:
                running[0] -= 1

    monkeypatch.setattr(thumbnails, "read_item", slow)
    wanted = [sha256(scan.evidence.loose), sha256(scan.evidence.nested), sha256(scan.evidence.on_disk)]
    blobs = [scan.blobs[s] for s in wanted] * 2
    with ThreadPoolExecutor(max_workers=6) as pool:
        shown = list(pool.map(lambda b: scan_blob_thumbnail(scan.db, ACTOR, b, ThumbOptions()), blobs))
    assert all(s.data for s in shown) and most[0] == 2
