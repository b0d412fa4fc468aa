"""The scan: walk the sources, hash every distinct content once, match it, checkpoint as it goes.

Events (items and issues) come from netsafe.media in a stable order and are numbered ``seq``. Reading and
cryptographic digests run in a thread pool, decoding (PDQ/vPDQ) in a process pool, and results are taken
back in ``seq`` order, so the checkpoint is always a prefix of the walk: a resumed run re-walks the sources,
skips the first ``next_seq`` events without reading them, and carries on. A content already seen (same
size and SHA-256) is never decoded or matched again; the new location simply points at it.
"""

from __future__ import annotations

import hashlib
import os
import stat
import time
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any

from netsafe.hashing.options import ALL_SIGNALS, HashOptions
from netsafe.hashing.runner import default_workers
from netsafe.media import disk
from netsafe.media.acquisition import acquisition_hashes
from netsafe.media.blobs import open_readonly
from netsafe.media.item import MediaItem, SourceIssue
from netsafe.media.limits import Limits
from netsafe.media.sniff import CONTAINER_SNIFF_BYTES, container_kind
from netsafe.media.sources import iter_sources
from netsafe.signals.types import CRYPTO_SIGNALS, REGISTRY
from netsafe.store import Database
from netsafe.store.repositories import set_info_by_name
from netsafe.textsafe import exact_hex, from_hex, is_exact_utf8, utf8_safe
from netsafe.triage import checkpoint
from netsafe.triage.checkpoint import Batch, BlobInfo, NewBlob, NewEvent, ScanState, ScanStateError
from netsafe.triage.manifest import MANIFEST
from netsafe.triage.matcher import ScanMatcher
from netsafe.triage.pool import DecodePool, Pending
from netsafe.triage.work import Decoded, DecodeJob, Digested, digest_item

PERCEPTUAL = tuple(t.name for t in REGISTRY.values() if not t.exact and t.computed)
COMMIT_EVERY_EVENTS = 2000
COMMIT_EVERY_SECONDS = 1.0
# Items in flight (read, decoding or waiting their turn): enough to keep every core busy, bounded memory.
WINDOW_MIN = 64
WINDOW_PER_WORKER = 16


@dataclass(frozen=True, slots=True)
class ScanConfig:
    sources: tuple[str, ...]
    out_dir: str
    signals: frozenset[str] = frozenset(ALL_SIGNALS)
    hashsets: tuple[str, ...] = ()
    workers: int = 0
    thumbnails: bool = False
    examiner: str | None = None
    case: str | None = None
    exhibit: str | None = None
    max_distance: int = 31
    limits: Limits = field(default_factory=Limits)

    def options_json(self) -> dict[str, Any]:
        limits = self.limits
        return {
            "signals": [s for s in ALL_SIGNALS if s in self.signals],
            "hashsets": list(self.hashsets),
            "thumbnails": self.thumbnails,
            "case": self.case,
            "exhibit": self.exhibit,
            "max_distance": self.max_distance,
            "limits": {
                name: getattr(limits, name)
                for name in (
                    "max_file_size",
                    "max_depth",
                    "max_expanded_size",
                    "max_ratio",
                    "ratio_grace",
                    "max_members",
                    "max_member_in_memory",
                    "follow_symlinks",
                    "max_fs_depth",
                    "fs_stall_seconds",
                )
            },
        }


@dataclass(slots=True)
class Progress:
    """Counters the progress bar shows; ``matched`` counts files whose content matched a hash set."""

    files: int = 0
    bytes: int = 0
    matched: int = 0
    errors: int = 0
    host_bytes: int = 0  # bytes of the examiner's own files done (for the ETA)


ProgressHook = Callable[[Progress], None]


def describe_sources(paths: tuple[str, ...]) -> list[dict[str, Any]]:
    """Each source as the report names it; files (disk images above all) with their SHA-256."""
    out: list[dict[str, Any]] = []
    for path in paths:
        full = os.path.abspath(path)
        entry = _named(full)
        try:
            st = os.stat(full)
        except OSError as err:
            entry.update(type="missing", error=err.strerror or str(err))
            out.append(entry)
            continue
        if stat.S_ISDIR(st.st_mode):
            entry["type"] = "folder"
        elif stat.S_ISREG(st.st_mode):
            entry["size"] = st.st_size
            kind = _container(full)
            entry["type"] = "disk-image" if kind in ("disk", "e01") else "file"
            segments = disk.split_segments(full) if kind == "disk" else None
            if segments and len(segments) > 1:
                entry["segments"] = [{**_named(p), "sha256": _sha256_file(p)} for p in segments]
            entry["sha256"] = _sha256_file(full)
            stored = acquisition_hashes(full) if kind == "e01" else {}
            if stored:
                entry["acquisition_hashes"] = stored
        else:
            entry["type"] = "special"
        out.append(entry)
    return out


def _named(path: str) -> dict[str, Any]:
    """A path as the store and the report keep it: valid Unicode, with the exact bytes if it is not UTF-8."""
    if is_exact_utf8(path):
        return {"path": path}
    return {"path": utf8_safe(path), "path_bytes_hex": exact_hex(path)}


def source_path(entry: dict[str, Any]) -> str:
    """The exact path of a source described by :func:`describe_sources`."""
    hex_path = entry.get("path_bytes_hex")
    return from_hex(hex_path) if hex_path else str(entry["path"])


def _container(path: str) -> str | None:
    try:
        fd, _ = open_readonly(path)
        with os.fdopen(fd, "rb") as fh:
            return container_kind(fh.read(CONTAINER_SNIFF_BYTES))
    except OSError:
        return None


def _sha256_file(path: str) -> str | None:
    try:
        fd, _ = open_readonly(path)
    except OSError:
        return None
    h = hashlib.sha256()
    with os.fdopen(fd, "rb") as fh:
        while chunk := fh.read(4 << 20):
            h.update(chunk)
    return h.hexdigest()


def start_or_resume(db: Database, config: ScanConfig, resume: bool, cluster: bool = False) -> ScanState:
    out_dir = os.path.abspath(config.out_dir)
    existing = checkpoint.find_scan(db, out_dir)
    if resume:
        if existing is None:
            raise ScanStateError(f"no scan to resume for --out {out_dir}: run it without --resume first")
        if existing.status == "finished" and os.path.exists(os.path.join(out_dir, MANIFEST)):
            raise ScanStateError(f"the scan for --out {out_dir} is finished already (report written)")
        sources = [os.path.abspath(s) for s in config.sources]
        if sources != [source_path(s) for s in existing.sources]:
            raise ScanStateError(
                "--resume needs the same SOURCE arguments, in the same order, as the interrupted scan: "
                + " ".join(s["path"] for s in existing.sources)
            )
        if not cluster and existing.status != "finished" and checkpoint.has_tasks(db, existing.id):
            # Its events are stored by batch, not as a prefix of the walk: only batches can finish it.
            raise ScanStateError(
                "this scan was started with --cluster: resume it with --cluster too (local:1 runs it here)"
            )
        if existing.status == "finished":
            # Scanned, but its report could not be written (disk full, say): --resume writes it now.
            return checkpoint.finished_state(existing)
        return checkpoint.load_state(db, existing)
    if existing is not None and existing.status == "running":
        raise ScanStateError(
            f"an interrupted scan exists for --out {out_dir}: add --resume to finish it, "
            "or choose another --out"
        )
    with db.session() as session:
        for name in config.hashsets:
            set_info_by_name(session, name)  # an unknown set fails now, before any scan is recorded
    return checkpoint.create_scan(
        db, out_dir, describe_sources(config.sources), config.options_json(), [], config.examiner
    )


def load_matcher(db: Database, state: ScanState, config: ScanConfig) -> ScanMatcher:
    """The hash sets; on resume they must be the sets, at the versions, the scan started with."""
    max_distance = int(state.options.get("max_distance", config.max_distance))
    if state.hash_sets:
        names: list[str] | None = [s["name"] for s in state.hash_sets]
    elif state.options.get("hashsets"):
        names = list(state.options["hashsets"])
    else:
        names = None
    matcher = ScanMatcher(db, names, max_distance)
    now_sets = [s.to_json() for s in matcher.sets]
    if not state.hash_sets:
        checkpoint.set_hash_sets(db, state, now_sets)
    elif _versions(state.hash_sets) != _versions(now_sets):
        raise ScanStateError(
            "the hash sets changed since the scan started ("
            + ", ".join(f"{s['name']} v{s['version']}" for s in state.hash_sets)
            + " then, "
            + ", ".join(f"{s['name']} v{s['version']}" for s in now_sets)
            + " now): start a new scan with another --out so one report does not mix versions"
        )
    return matcher


def _versions(sets: list[dict[str, Any]]) -> list[tuple[str, int]]:
    return [(s["name"], s["version"]) for s in sets]


@dataclass(slots=True)
class _Slot:
    seq: int
    event: MediaItem | SourceIssue
    read: Future[Digested] | None = None
    routed: bool = False
    blob_key: tuple[str, int] | None = None
    new_blob: bool = False
    decode: Pending[DecodeJob, Decoded] | None = None


class Scanner:
    def __init__(
        self,
        db: Database,
        config: ScanConfig,
        state: ScanState,
        matcher: ScanMatcher,
        batch: Batch | None = None,
        pool: DecodePool | None = None,
    ) -> None:
        self.db = db
        self.config = config
        self.state = state
        self.matcher = matcher
        opts = state.options
        self.signals = frozenset(opts.get("signals", config.signals))
        self.thumbnails = bool(opts.get("thumbnails", config.thumbnails))
        self.crypto = tuple(s for s in CRYPTO_SIGNALS if s in self.signals)
        self.perceptual = tuple(s for s in PERCEPTUAL if s in self.signals)
        self.workers = config.workers or default_workers()
        self.decode_options = HashOptions(signals=frozenset(self.perceptual))
        self.progress = Progress(state.files, state.bytes, state.matched_files, 0)
        # A cluster task writes idempotently (netsafe.triage.tasks), the one-process scan as a prefix.
        self.batch = batch if batch is not None else Batch()
        # A cluster worker keeps one decoder pool for all its batches (starting one costs ~1 s).
        self.shared_pool = pool
        self.window: deque[_Slot] = deque()
        self.unrouted = 0  # index in window of the first slot not routed yet
        self.run_started = time.monotonic()

    def elapsed(self) -> float:
        return self.state.elapsed + time.monotonic() - self.run_started

    def run(
        self,
        events: Iterator[MediaItem | SourceIssue],
        hook: ProgressHook | None = None,
        first_seq: int = 0,
    ) -> None:
        """Scan ``events``, the first of which is numbered ``first_seq`` (a cluster task walks one source)."""
        limit = max(WINDOW_MIN, self.workers * WINDOW_PER_WORKER)
        reader = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="netsafe-read")
        pool = self.shared_pool
        if pool is None and self.perceptual:
            pool = DecodePool(self.workers)
        last_commit = time.monotonic()
        try:
            source = enumerate(events, first_seq)
            exhausted = False
            while True:
                while not exhausted and len(self.window) < limit:
                    try:
                        seq, event = next(source)
                    except StopIteration:
                        exhausted = True
                        break
                    if seq < self.state.next_seq:
                        continue  # stored by an earlier run
                    slot = _Slot(seq, event)
                    if isinstance(event, MediaItem):
                        slot.read = reader.submit(digest_item, event, self.crypto, bool(self.perceptual))
                    self.window.append(slot)
                if not self.window:
                    break
                self._route(pool)
                head = self.window[0]
                waiting: list[Future[Any]] = []
                if not head.routed:
                    assert head.read is not None
                    waiting.append(head.read)
                elif head.decode and head.decode.future and not head.decode.future.done():
                    waiting.append(head.decode.future)
                    # Also wake when the read that holds up routing (and so new decode jobs) finishes.
                    if self.unrouted < len(self.window):
                        blocking = self.window[self.unrouted].read
                        if blocking is not None:
                            waiting.append(blocking)
                if waiting:
                    wait(waiting, timeout=0.5, return_when=FIRST_COMPLETED)
                    continue
                self.window.popleft()
                self.unrouted -= 1
                self._finish(head, pool)
                if hook:
                    hook(self.progress)
                due = time.monotonic() - last_commit > COMMIT_EVERY_SECONDS
                if due or len(self.batch) >= COMMIT_EVERY_EVENTS:
                    self.batch.commit(self.db, self.state, self.elapsed())
                    last_commit = time.monotonic()
            self.batch.commit(self.db, self.state, self.elapsed())
        finally:
            reader.shutdown(wait=True, cancel_futures=True)
            if pool is not None and pool is not self.shared_pool:
                pool.close()

    def _route(self, pool: DecodePool | None) -> None:
        """Decide, in ``seq`` order, which contents are new (decode them) and which are copies."""
        while self.unrouted < len(self.window):
            slot = self.window[self.unrouted]
            if slot.read is not None:
                if not slot.read.done():
                    return
                got = slot.read.result()
                if got.error is None or got.digests:
                    key = (got.digests["sha256"], got.size)
                    slot.blob_key = key
                    if key not in self.state.blobs:
                        slot.new_blob = True
                        self.state.blobs[key] = BlobInfo(-1, False)
                        if pool is not None and got.kind in self.decode_kinds() and got.error is None:
                            name = str(slot.event.location) if isinstance(slot.event, MediaItem) else ""
                            slot.decode = pool.submit(
                                DecodeJob(name, got.host_path, got.data, self.decode_options, self.thumbnails)
                            )
            slot.routed = True
            self.unrouted += 1

    def decode_kinds(self) -> tuple[str, ...]:
        kinds = []
        if "pdq" in self.perceptual:
            kinds.append("image")
        if "vpdq" in self.perceptual:
            kinds.append("video")
        return tuple(kinds)

    def _finish(self, slot: _Slot, pool: DecodePool | None) -> None:
        event = slot.event
        if isinstance(event, SourceIssue):
            self.progress.errors += 1
            self.batch.events.append(
                NewEvent(
                    slot.seq,
                    {
                        "location": event.location.to_json(),
                        "size": None,
                        "deleted": False,
                        "times": None,
                        "code": event.code,
                        "message": utf8_safe(event.message),
                    },
                )
            )
            return
        assert slot.read is not None
        got = slot.read.result()
        values: dict[str, Any] = {
            "location": event.location.to_json(),
            "size": got.size,
            "deleted": event.deleted,
            "times": event.times.to_json() or None,
            "code": None,
            "message": None,
        }
        if slot.blob_key is None:  # nothing could be read: an error at this location, no content
            self.progress.errors += 1
            values.update(code="unreadable", message=None if got.error is None else utf8_safe(got.error))
            self.batch.events.append(NewEvent(slot.seq, values))
            return
        info = self.state.blobs[slot.blob_key]
        if slot.new_blob:
            blob = self._new_blob(slot, got, pool)
            info.matched = bool(blob.values["matches"])
            self.batch.blobs.append(blob)
            if blob.values["error"]:
                self.progress.errors += 1
        self.progress.files += 1
        self.progress.bytes += got.size
        if len(event.location.steps) == 1:
            self.progress.host_bytes += got.size
        self.progress.matched += info.matched
        self.batch.events.append(NewEvent(slot.seq, values, slot.blob_key))

    def _new_blob(self, slot: _Slot, got: Digested, pool: DecodePool | None) -> NewBlob:
        assert slot.blob_key is not None
        pdq = pdq_quality = vpdq = thumb = None
        error = got.error
        kind, mime = got.kind, got.mime
        if slot.decode is not None and pool is not None:
            decoded = pool.result(slot.decode)
            record = decoded.record
            pdq, pdq_quality = record.pdq, record.pdq_quality
            vpdq = None if record.vpdq is None else [f.as_dict() for f in record.vpdq]
            if record.kind == "other" and kind == "video":
                kind = "other"  # an audio-only container: the decoder had the last word
            error = error or record.error
            thumb = decoded.thumbnail
        matches = self.matcher.match(got.digests, pdq, pdq_quality)
        if matches:
            thumb = None  # a matched image is never shown, not even blurred
        digests = got.digests
        return NewBlob(
            slot.blob_key,
            {
                "first_seq": slot.seq,
                "sha256": digests["sha256"],
                "size": got.size,
                "md5": digests.get("md5"),
                "sha1": digests.get("sha1"),
                "kind": kind,
                "mime": mime,
                "pdq": pdq,
                "pdq_quality": pdq_quality,
                "vpdq": vpdq,
                "error": None if error is None else utf8_safe(error),
                "matches": matches,
                "thumbnail": thumb,
            },
        )


def run_scan(
    db: Database,
    config: ScanConfig,
    resume: bool = False,
    hook: ProgressHook | None = None,
    started: Callable[[int], None] | None = None,
) -> ScanState:
    """Run (or finish) the scan for ``config.out_dir``; the caller writes the report afterwards.
    ``started`` is told the scan's id as soon as it is stored (a scan started from the pages shows it)."""
    state = start_or_resume(db, config, resume)
    if started is not None:
        started(state.id)
    if state.finished:
        return state
    matcher = load_matcher(db, state, config)
    # A resumed scan walks with the limits it started with, whatever this command line says: the walk
    # (and so the numbering of events) must be the same.
    stored = state.options.get("limits")
    limits = Limits(**stored) if stored else config.limits
    scanner = Scanner(db, config, state, matcher)
    scanner.run(iter_sources([source_path(s) for s in state.sources], limits), hook)
    checkpoint.finish_scan(db, state, scanner.elapsed())
    return state
