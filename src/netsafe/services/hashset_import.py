"""Importing a hash-list file into a hash set: one transaction with its audit event.

Every record is validated and written inside the transaction, and any invalid record rolls the whole file
back (nothing half-written) unless ``skip_invalid`` is set, in which case the good records are kept and
every rejected one is written to a rejects file. The ``hashset.import`` event is written in the same
transaction, so a crash at any moment leaves either the change and its event or neither. A failed import
is audited afterwards, with outcome ``failed`` and ``created: false`` (nothing was kept). Reading streams
and writes go in bounded batches, so memory does not grow with the file.
"""

from __future__ import annotations

import inspect
import json
import os
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from sqlalchemy.orm import Session

from netsafe.audit.service import Actor, record
from netsafe.errors import Conflict, Rejected
from netsafe.gcpause import collected
from netsafe.hashsets import formats
from netsafe.hashsets.formats import FormatError
from netsafe.hashsets.model import HashSetError, ImportIssue
from netsafe.hashsets.profiles import DEFAULT_PROFILE, load_profile
from netsafe.services import import_feed, import_read
from netsafe.services.hashset_rules import UsageError, check_new_name
from netsafe.store import bulk
from netsafe.store import repositories as repo
from netsafe.store.bulk import StagedDuplicateError, Staging
from netsafe.store.db import Database
from netsafe.store.errors import StoreConflictError
from netsafe.store.models import HashSetRow

# Entries per database round of an import: bounds memory, amortises statements.
IMPORT_BATCH = 5000
# Files at least this large are read in a child process while the parent stages (None: never). 16 MiB is
# about 40,000 VICS records, where the overlap saves more than the child's start costs.
READ_APART_MIN_BYTES: int | None = 16 << 20
# Problems kept for the report (all of them go to the rejects file).
REPORTED_ISSUES = 20
# What an import's audit event keeps of its result (never the file's path: it can name a case).
AUDITED = ("format", "profile", "version", "read", "added", "updated", "rejected", "warnings", "created")

Progress = Callable[[int], None]


class CreatedMeanwhileError(Conflict):
    """Another import created the same new set while this one ran; this one stored nothing."""


class SetChangedError(Conflict):
    """The set was deleted (or deleted and made again) while this import read its file; nothing stored."""


class ImportFailedError(Rejected, HashSetError):
    """The file had invalid records and nothing was stored; ``result`` holds the first problems."""

    def __init__(self, result: ImportResult, every_record: bool = False) -> None:
        self.result = result
        first = result.issues[0] if result.issues else None
        more = f" (first: {first})" if first else ""
        if every_record:
            advice = "every record was rejected, so nothing was stored; fix the list and import it again"
        else:
            advice = "fix them or use --skip-invalid to import the rest"
        super().__init__(
            f"{result.path}: {result.rejected} invalid record(s), nothing imported{more}; {advice}"
        )


@dataclass(slots=True)
class ImportResult:
    name: str
    path: str
    format: str
    profile: str
    version: int = 0
    read: int = 0
    added: int = 0
    updated: int = 0
    rejected: int = 0
    warnings: int = 0
    issues: list[ImportIssue] = field(default_factory=list)
    warning_samples: list[ImportIssue] = field(default_factory=list)
    rejects_path: str | None = None
    created: bool = False
    committed: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "file": self.path,
            "format": self.format,
            "profile": self.profile,
            "version": self.version,
            "read": self.read,
            "added": self.added,
            "updated": self.updated,
            "rejected": self.rejected,
            "warnings": self.warnings,
            "rejects_file": self.rejects_path,
            "created": self.created,
            "committed": self.committed,
            "issues": [i.as_dict() for i in self.issues],
        }

    def audit_details(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in AUDITED}


def resolve_format(path: str | Path, name: str | None) -> str:
    if name:
        return formats.get(name).name
    try:
        return formats.detect(path)
    except FormatError:
        # Content detection wants every sampled line well-formed; a damaged list still has its extension.
        suffix = Path(path).suffix.lower()
        for spec in formats.FORMATS.values():
            if suffix and suffix in spec.extensions:
                return spec.name
        raise


def _category_code(profile: str, category: str) -> str:
    grading = load_profile(profile)
    try:
        code = grading.parse(category)
    except HashSetError:
        code = None
    if code is None:
        known = ", ".join(grading.codes)
        raise UsageError(f"category {category!r} is not in profile {profile} (use one of: {known})")
    return code


class _Rejects:
    """Rejected records as JSON Lines (file, record, field, message, raw), opened on first use; and the
    record of the last one (a record's issues come together: counting changes counts records)."""

    def __init__(self, path: str | None) -> None:
        self.path = path
        self._out: TextIO | None = None
        self.last_record = -1

    def write(self, found: ImportIssue) -> None:
        if self.path is None:
            return
        if self._out is None:
            try:
                self._out = open(self.path, "w", encoding="utf-8")  # noqa: SIM115 - closed in close()
            except OSError as err:
                raise UsageError(f"{self.path}: cannot write the rejects file: {err.strerror}") from None
        self._out.write(json.dumps(_issue_dict(found), ensure_ascii=False) + "\n")

    def close(self) -> None:
        if self._out is not None:
            self._out.close()


def _issue_dict(found: ImportIssue) -> dict[str, Any]:
    out = found.as_dict()
    raw = getattr(found, "raw", None)
    if raw is not None:
        out["raw"] = raw
    return out


def import_file(
    db: Database,
    actor: Actor,
    path: str | Path,
    name: str,
    *,
    format: str | None = None,
    profile: str | None = None,
    skip_invalid: bool = False,
    rejects: str | Path | None = None,
    description: str | None = None,
    source: str | None = None,
    progress: Progress | None = None,
    columns: Mapping[str, str] | None = None,
    category: str | None = None,
) -> ImportResult:
    """Import ``path`` into hash set ``name`` (created if new) as one transaction with its audit event.

    Raises :class:`ImportFailedError` (nothing stored, audited as failed) when a record is invalid and
    ``skip_invalid`` is false, or when every record was rejected; :class:`UsageError`, ``InvalidNameError``,
    :class:`FormatError`, ``ProfileError`` or ``StoreError`` for requests that cannot start. Returns what
    was read, added, updated and rejected.

    ``columns`` maps fields to a CSV's own headers (``{"md5": "Hash"}``); ``category`` grades every entry
    the list leaves ungraded (a plain md5sum list, say), in the set's profile.
    """
    display = str(path)
    if os.path.isdir(path):
        raise UsageError(f"{display} is a folder: give the hash-list file itself")
    if not os.path.isfile(path):
        raise UsageError(f"{display}: no such file")
    fmt = resolve_format(path, format)
    if profile is not None:
        load_profile(profile)
    rejects_path = str(rejects) if rejects is not None else None
    if skip_invalid and rejects_path is None:
        rejects_path = f"{Path(path).name}.rejects.jsonl"
    sink = _Rejects(rejects_path)
    creating = False  # this import makes the set: another may make it at the same moment
    try:
        with db.session() as session:
            row = repo.find_set(session, name)
            created = row is None
            if row is None:
                check_new_name(name)
                creating = True
                set_profile = profile or DEFAULT_PROFILE
            elif profile is not None and profile != row.profile:
                raise UsageError(
                    f"hash set {name!r} uses profile {row.profile}, not {profile}; "
                    "leave out --profile or import into a new set"
                )
            else:
                set_profile = row.profile
            result = ImportResult(
                name=row.name if row else name, path=display, format=fmt, profile=set_profile, created=created
            )
            result.rejects_path = rejects_path
            # PostgreSQL: one transaction from the start (its row locks keep readers and the audit going).
            # SQLite: the file is staged first, outside the store's write lock, which only the merge takes.
            early = db.backend != "sqlite"
            if early:
                if row is None:
                    # Its partition bare: the rows are copied into it, then it is attached (indexed).
                    row = repo.create_set(session, name, set_profile, description, source, bare=True)
                result.version = repo.next_version(session, row)
            staging = Staging(session)
            try:
                if early:
                    assert row is not None
                    staging.merge_while_staging(row.id, result.version, created)
                code = _category_code(set_profile, category) if category is not None else None
                if staging.sqlite and created and bulk.SQLITE_MERGE_CHUNK_ROWS is not None:
                    # A new set (a bulk load) on SQLite: the write lock now, and the stage copied into the
                    # set while the file is read. The web workers' audit waits in their journal meanwhile.
                    staging.begin_merge()
                    row = _claim(session, name, row, set_profile, description, source)
                    result.version = repo.next_version(session, row)
                    staging.merge_while_staging(row.id, result.version, True)
                    early = True
                # A new set's id is known for certain only under the write lock (SQLite): its digests are
                # staged with the likely one, saving the merge a Python call per row when it is right.
                staged_for = row.id if row is not None else staging.likely_set_id()
                rows = _rows(fmt, path, set_profile, progress, columns, code, staged_for, staging.sqlite)
                # A new SQLite set leaves the search for repeated keys to the merge's unique index: the
                # stage's own index and the grouped query cost 1.3 s at 1M, for files that seldom have one.
                deferred = staging.sqlite and created
                _stage(staging, result, rows, skip_invalid, sink, duplicates=not deferred)
                _fail_if_rejected(result, staging, skip_invalid)
                staging.begin_merge()
                if not early:
                    row = _claim(session, name, row, set_profile, description, source)
                    result.version = repo.next_version(session, row)
                assert row is not None
                result.name = row.name
                try:
                    merged = staging.merge(row.id, result.version, created, staged_for)
                except StagedDuplicateError:
                    _duplicates(staging, result, sink)
                    _fail_if_rejected(result, staging, skip_invalid)
                    merged = staging.merge(row.id, result.version, created, staged_for)
                result.added, result.updated = merged
                record(session, actor, "hashset.import", f"hashset:{row.name}", result.audit_details())
                session.flush()
                staging.commit()
            except BaseException:
                staging.abandon()
                raise
        result.committed = True
        return result
    except ImportFailedError as err:
        err.result.created = False
        err.result.added = err.result.updated = 0
        with db.session() as session:
            record(
                session,
                actor,
                "hashset.import",
                f"hashset:{name}",
                err.result.audit_details(),
                outcome="failed",
            )
        raise
    except (StoreConflictError, repo.AlreadyExistsError):
        if not creating:
            raise
        raise CreatedMeanwhileError(
            f"hash set {name!r} was created by another import while this one ran; nothing was imported: "
            "run this import again to add to it"
        ) from None
    finally:
        sink.close()


def _claim(
    session: Session,
    name: str,
    seen: HashSetRow | None,
    profile: str,
    description: str | None,
    source: str | None,
) -> HashSetRow:
    """The set to merge into, under the write lock: created now if new, and still the one read before."""
    row = repo.find_set(session, name)
    if seen is None:
        if row is not None:
            raise repo.AlreadyExistsError(f"a hash set named {name!r} exists already")
        return repo.create_set(session, name, profile, description, source)
    if row is None or row.id != seen.id:
        raise SetChangedError(
            f"hash set {name!r} was deleted or replaced while this import ran; nothing was imported: "
            "run this import again"
        )
    return row


def _rows(
    fmt: str,
    path: str | Path,
    profile: str,
    progress: Progress | None,
    columns: Mapping[str, str] | None,
    category_code: str | None,
    set_id: int | None,
    sqlite: bool,
) -> Iterator[tuple[Any, ...] | ImportIssue]:
    """The file's staging rows and issues, read here or, for a large file, in a child process."""
    if columns and "columns" not in inspect.signature(formats.get(fmt).read).parameters:
        raise UsageError(f"column mapping (--column) applies to CSV lists, not to {fmt}")
    digest_id = 0 if set_id is None else set_id  # a new set's own digests are computed at the merge
    if _read_apart(path):
        job = import_feed.Job(
            fmt,
            str(path),
            profile,
            dict(columns) if columns else None,
            category_code,
            progress is not None,
            digest_id,
            sqlite,
        )
        # The child reads, checks and makes each staging row; this process stages the rows and merges
        # them into the set as it goes (1M VICS entries: about 18 s of CPU each way).
        return import_feed.feed(job, progress)
    return import_read.read_rows(fmt, path, profile, progress, columns, category_code, digest_id, sqlite)


def _read_apart(path: str | Path) -> bool:
    """Whether to read the file in a child process: when it is large enough for the overlap to repay the
    child's start (about half a second) and there is a second core to run it on."""
    if (os.cpu_count() or 1) < 2 or READ_APART_MIN_BYTES is None:
        return False
    return os.path.getsize(path) >= READ_APART_MIN_BYTES


def _fail_if_rejected(result: ImportResult, staging: Staging, skip: bool) -> None:
    if result.rejected and not skip:
        raise ImportFailedError(result)  # leaves the transaction: everything rolls back
    if result.rejected and staging.rows == 0:
        # Nothing good in the file: keeping a new empty set (or a version with no change) would look like
        # a success.
        raise ImportFailedError(result, every_record=True)


def _reject(result: ImportResult, sink: _Rejects, found: ImportIssue) -> None:
    sink.write(found)
    if len(result.issues) < REPORTED_ISSUES:
        result.issues.append(found)
    # Readers yield a record's issues together, so counting record changes counts records in O(1) memory.
    if found.record != sink.last_record or found.record == 0:
        result.rejected += 1
        sink.last_record = found.record


def _duplicates(staging: Staging, result: ImportResult, sink: _Rejects) -> None:
    """Report and take out of the stage the records repeating an earlier record's key."""
    for dup in staging.duplicates():
        label = "MediaID" if dup.key_kind == "id" else dup.key_kind
        where = f" (first at record {dup.first_record})" if dup.first_record is not None else ""
        _reject(
            result,
            sink,
            ImportIssue(
                dup.origin_file or result.path,
                dup.origin_record or 0,
                label,
                f"duplicate {label} {dup.key_value[:72]} in this import{where}",
            ),
        )
        staging.rows -= 1


def _stage(
    staging: Staging,
    result: ImportResult,
    items: Iterator[tuple[Any, ...] | ImportIssue],
    skip: bool,
    sink: _Rejects,
    duplicates: bool = True,
) -> None:
    """Stage every good record, count and report the bad ones, then (with ``duplicates``) the keys
    repeated within the file."""
    batch: list[tuple[Any, ...]] = []

    def reject(found: ImportIssue) -> None:
        _reject(result, sink, found)

    for item in collected(items):
        if isinstance(item, ImportIssue):
            if item.severity == "warning":
                result.warnings += 1
                if len(result.warning_samples) < REPORTED_ISSUES:
                    result.warning_samples.append(item)
                continue
            reject(item)
            continue
        result.read += 1
        if result.rejected and not skip:
            continue  # doomed: keep validating, stop writing
        batch.append(item)
        if len(batch) >= IMPORT_BATCH:
            staging.add(batch)
            batch.clear()
    if not (result.rejected and not skip):
        staging.add(batch)
    staging.finish_staging(index=duplicates)
    if duplicates:
        _duplicates(staging, result, sink)


__all__ = ["AUDITED", "ImportFailedError", "ImportResult", "import_file", "resolve_format"]
