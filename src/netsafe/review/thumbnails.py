"""A reviewer's thumbnail of one scanned content, made on demand from the evidence.

The bytes are read again through the media layer (inside archives and disk images too) from the first
location the scan found the content at, checked against the SHA-256 the scan stored, reduced and blurred
in memory. Nothing is written to disk: the evidence is the only copy. A content that matched a hash set is
never served, blurred or not. Serving one unblurred is an audit event.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass

from PIL import Image
from sqlalchemy import select

from netsafe.audit.service import Actor, record
from netsafe.errors import Conflict, Forbidden, InvalidInput, NotFound
from netsafe.media.limits import Limits, MiB
from netsafe.media.locate import read_item
from netsafe.media.location import Location
from netsafe.media.pictures import ThumbOptions, picture_of, render
from netsafe.review.exposure import record_unblur
from netsafe.review.queue import item_source
from netsafe.store.db import Database
from netsafe.triage.models import ScanBlobRow, ScanEventRow

# The largest content a thumbnail is made of, and so the most one request holds in memory; containers on
# the way are held up to the same size (and never spilled to a temporary file: see read_item).
SOURCE_LIMIT = 256 * MiB
SHOWN_KINDS = ("image", "video")
CACHE_ITEMS = 64  # reduced pictures (at most 512 px a side) kept per process: a page's worth
# Pictures made from the evidence at once per process: each may hold an item of SOURCE_LIMIT in memory, and
# a page asks for dozens together (the others wait their turn; a cached picture never waits).
BUILDING = threading.BoundedSemaphore(2)


class MatchedItemError(Forbidden):
    pass


class NotShownError(InvalidInput):
    pass


class EvidenceChangedError(Conflict):
    pass


@dataclass(frozen=True, slots=True)
class Thumbnail:
    data: bytes
    kind: str  # image | video (a contact sheet)
    unblurred: bool
    media_type: str = "image/jpeg"


@dataclass(frozen=True, slots=True)
class _Source:
    sha256: str
    size: int
    kind: str
    location: Location


class _Pictures:
    """Recently reduced pictures, in memory only, so paging back and changing the blur re-reads nothing."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._items: OrderedDict[tuple[str, int], Image.Image] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[str, int]) -> Image.Image | None:
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
            return found

    def put(self, key: tuple[str, int], picture: Image.Image) -> None:
        with self._lock:
            self._items[key] = picture
            self._items.move_to_end(key)
            while len(self._items) > self.capacity:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


PICTURES = _Pictures(CACHE_ITEMS)


def _source(db: Database, blob_id: int) -> _Source:
    with db.session() as session:
        blob = session.get(ScanBlobRow, blob_id)
        if blob is None:
            raise NotFound(f"no scanned item {blob_id}")
        if blob.matches:
            raise MatchedItemError("this item matched a hash set: known items are never shown")
        if blob.kind not in SHOWN_KINDS or blob.error:
            raise NotShownError("only images and videos that could be decoded have thumbnails")
        first = session.scalars(
            select(ScanEventRow.location)
            .where(ScanEventRow.blob_id == blob_id)
            .order_by(ScanEventRow.seq)
            .limit(1)
        ).first()
        if first is None:
            raise NotFound(f"no location stored for scanned item {blob_id}")
        return _Source(blob.sha256, blob.size, blob.kind, Location.from_json(first))


def _picture(source: _Source) -> Image.Image:
    key = (source.sha256, source.size)  # the same content in two scans is one picture
    cached = PICTURES.get(key)
    if cached is not None:
        return cached
    if source.size > SOURCE_LIMIT:
        raise NotShownError(f"the item is larger than {SOURCE_LIMIT // MiB} MiB: no thumbnail")
    with BUILDING:
        cached = PICTURES.get(key)  # made by the request this one waited behind
        if cached is not None:
            return cached
        limits = Limits(max_file_size=SOURCE_LIMIT, max_member_in_memory=SOURCE_LIMIT + 2 * MiB)
        data = read_item(source.location, limits, lambda got: _same(got, source))
        if not _same(data, source):
            raise EvidenceChangedError(
                "the evidence changed since the scan (the file at the item's location has other content): "
                "scan it again"
            )
        picture = picture_of(data, source.kind)
    PICTURES.put(key, picture)
    return picture


def _same(data: bytes, source: _Source) -> bool:
    return len(data) == source.size and hashlib.sha256(data).hexdigest() == source.sha256


def scan_blob_thumbnail(
    db: Database, actor: Actor, blob_id: int, options: ThumbOptions, target: str | None = None
) -> Thumbnail:
    """The thumbnail of scanned content ``blob_id``. Unblurred (``options.blur == 0``), it is served only
    once its audit event (on ``target``, default ``scan-blob:<id>``) is stored."""
    return _thumbnail(db, actor, _source(db, blob_id), options, target or f"scan-blob:{blob_id}")


def item_thumbnail(db: Database, actor: Actor, item_id: int, options: ThumbOptions, user: str) -> Thumbnail:
    """The thumbnail of review item ``item_id`` (review-core's queue says where its bytes are). Unblurred,
    it is served only once review-core has recorded the unblur: its audit event and ``user``'s exposure."""
    found = item_source(db, item_id)
    if found.kind not in SHOWN_KINDS:
        raise NotShownError("only images and videos have thumbnails")
    source = _Source(found.sha256, found.size, found.kind, Location.from_json(found.location))
    data = render(_picture(source), options)
    if options.unblurred:
        record_unblur(db, actor, user, item_id)
    return Thumbnail(data, source.kind, options.unblurred)


def _thumbnail(db: Database, actor: Actor, source: _Source, options: ThumbOptions, target: str) -> Thumbnail:
    data = render(_picture(source), options)
    if options.unblurred:
        with db.session() as session:
            record(
                session,
                actor,
                "review.unblur",
                target,
                {
                    "sha256": source.sha256,
                    "kind": source.kind,
                    "colour": options.colour,
                    "size": options.size,
                },
            )
    return Thumbnail(data, source.kind, options.unblurred)
