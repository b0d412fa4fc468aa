"""Hash-set management over the same service as ``netsafe hashset`` (netsafe.services.hashsets).

The routes only translate: a body in, one service operation with the caller as actor (it checks, changes
and audits in one transaction), the result out. Errors are raised as their kinds and answered by the
handlers of ``web/errors.py``.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field
from starlette.datastructures import UploadFile as AnyUpload

from netsafe.accounts.roles import Permission
from netsafe.errors import NetsafeError
from netsafe.hashsets import formats
from netsafe.hashsets.profiles import DEFAULT_PROFILE
from netsafe.services import hashsets as hs
from netsafe.services.accounts import Principal
from netsafe.signals.types import ENTRY_SIGNALS
from netsafe.web import spool
from netsafe.web.auth import actor_of, require
from netsafe.web.errors import ERROR_RESPONSES, api_error_for
from netsafe.web.params import RowId
from netsafe.web.state import state_of

router = APIRouter(tags=["hashsets"], responses=ERROR_RESPONSES)
READ = Depends(require(Permission.HASHSETS_READ))
WRITE = Depends(require(Permission.HASHSETS_WRITE))
MAX_ENTRIES_PER_REQUEST = 10_000


class HashSetOut(BaseModel):
    name: str
    entries: int
    version: int
    profile: str
    kind: str = Field(description="match, or ignore: known-benign files left out of review and counts")
    description: str | None
    source: str | None
    created: str | None
    updated: str | None


class CategoryOut(BaseModel):
    category: str | None = Field(description="the profile's code; null = uncategorised")
    label: str
    entries: int


class HashSetDetailOut(HashSetOut):
    categories: list[CategoryOut] = Field(
        description="every category of the profile in its order, then codes outside it, uncategorised last"
    )
    signals: dict[str, int] = Field(description="entries carrying each signal")


class RenameIn(BaseModel):
    name: str = Field(min_length=1, max_length=200, description="the new name")


class HashSetIn(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    profile: str = Field(default=DEFAULT_PROFILE, max_length=64)
    kind: str = Field(default="match", max_length=16, description="match, or ignore (known-benign files)")
    description: str | None = Field(default=None, max_length=10_000)
    source: str | None = Field(default=None, max_length=10_000)


class EntryIn(BaseModel):
    signals: dict[str, str] = Field(description="signal name -> value: " + ", ".join(ENTRY_SIGNALS))
    source_id: str | None = Field(default=None, max_length=200)
    category: str | None = Field(default=None, max_length=32)
    series: str | None = Field(default=None, max_length=500)
    tags: list[str] = Field(default_factory=list, max_length=50)
    comments: str | None = Field(default=None, max_length=10_000)


class EntriesIn(BaseModel):
    entries: list[EntryIn] = Field(min_length=1, max_length=MAX_ENTRIES_PER_REQUEST)


class EntriesOut(BaseModel):
    name: str
    version: int
    added: int
    updated: int


class ImportOut(BaseModel):
    name: str
    format: str
    profile: str
    version: int
    read: int
    added: int
    updated: int
    rejected: int
    warnings: int
    created: bool
    committed: bool
    issues: list[dict[str, Any]]


def _changed(request: Request) -> None:
    # This worker matches against indexes in memory, refreshed in the background: bring them up to date
    # now, so whoever changed a set sees the change in their next match (other workers follow within
    # index_refresh_seconds).
    state_of(request).matcher.changed()


def _out(info: Any) -> HashSetOut:
    return HashSetOut(**hs.info_dict(info))


@router.get("/hashsets", response_model=list[HashSetOut], summary="List hash sets")
def list_hashsets(request: Request, _: Principal = READ) -> list[HashSetOut]:
    return [_out(i) for i in hs.list_sets(state_of(request).db)]


@router.post("/hashsets", response_model=HashSetOut, status_code=201, summary="Create an empty hash set")
def create_hashset(request: Request, body: HashSetIn, principal: Principal = WRITE) -> HashSetOut:
    info = hs.create_set(
        state_of(request).db,
        actor_of(request, principal),
        body.name,
        body.profile,
        body.description,
        body.source,
        body.kind,
    )
    _changed(request)
    return _out(info)


@router.get("/hashsets/{name}", response_model=HashSetDetailOut, summary="A hash set with its counts")
def show_hashset(request: Request, name: str, _: Principal = READ) -> HashSetDetailOut:
    return HashSetDetailOut(**hs.show_set(state_of(request).db, name).as_dict())


@router.patch("/hashsets/{name}", response_model=HashSetOut, summary="Rename a hash set")
def rename_hashset(request: Request, name: str, body: RenameIn, principal: Principal = WRITE) -> HashSetOut:
    info = hs.rename_set(state_of(request).db, actor_of(request, principal), name, body.name)
    _changed(request)
    return _out(info)


@router.delete("/hashsets/{name}", response_model=HashSetOut, summary="Delete a hash set and its entries")
def delete_hashset(request: Request, name: str, principal: Principal = WRITE) -> HashSetOut:
    info = hs.delete_set(state_of(request).db, actor_of(request, principal), name)
    _changed(request)
    return _out(info)


@router.post(
    "/hashsets/{name}/entries",
    response_model=EntriesOut,
    summary="Add entries (or update those with the same key) as a new version of the set",
)
def add_entries(request: Request, name: str, body: EntriesIn, principal: Principal = WRITE) -> EntriesOut:
    items = [
        hs.NewEntry(
            signals=dict(item.signals),
            category=item.category,
            source_id=item.source_id,
            series=item.series,
            tags=list(item.tags),
            comments=item.comments,
            where=f"entries[{n}]",
        )
        for n, item in enumerate(body.entries)
    ]
    result = hs.add_entries(state_of(request).db, actor_of(request, principal), name, items)
    _changed(request)
    return EntriesOut(**result.as_dict())


# Ids beyond a signed 64-bit integer would overflow the database's column: refused as 422 up front.
EntryId = Annotated[int, Field(ge=1, le=2**63 - 1)]


class RemoveIn(BaseModel):
    entry_ids: list[EntryId] = Field(default_factory=list, max_length=MAX_ENTRIES_PER_REQUEST)
    hashes: list[str] = Field(
        default_factory=list,
        max_length=MAX_ENTRIES_PER_REQUEST,
        description="SIGNAL:HEX, or bare hex told apart by length (64 hex: SHA-256 or PDQ)",
    )


class RemovedOut(BaseModel):
    name: str
    version: int
    removed: int
    entry_ids: list[int]


def _remove(
    request: Request, principal: Principal, name: str, ids: list[int], hashes: list[str]
) -> RemovedOut:
    result = hs.remove_entries(
        state_of(request).db, actor_of(request, principal), name, ids, [h[:400] for h in hashes]
    )
    _changed(request)
    return RemovedOut(**result.as_dict())


@router.delete(
    "/hashsets/{name}/entries/{entry_id}",
    response_model=RemovedOut,
    summary="Remove one entry (and its votes) as a new version of the set",
)
def remove_entry(
    request: Request,
    name: str,
    entry_id: RowId,
    principal: Principal = WRITE,
) -> RemovedOut:
    return _remove(request, principal, name, [entry_id], [])


@router.post(
    "/hashsets/{name}/entries/remove",
    response_model=RemovedOut,
    summary="Remove entries by id and/or hash as one new version of the set (all or nothing)",
)
def remove_entries(request: Request, name: str, body: RemoveIn, principal: Principal = WRITE) -> RemovedOut:
    return _remove(request, principal, name, body.entry_ids, body.hashes)


@router.post(
    "/hashsets/{name}/import",
    response_model=ImportOut,
    summary="Import a hash-list file into the set (created if new), all-or-nothing unless skip_invalid",
)
def import_hashset(
    request: Request,
    name: str,
    file: Annotated[UploadFile, File(description="VICS JSON, CSV, hashdeep, md5sum..., ThreatExchange text")],
    format: Annotated[str | None, Form(max_length=32)] = None,
    profile: Annotated[str | None, Form(max_length=64)] = None,
    skip_invalid: Annotated[bool, Form()] = False,
    principal: Principal = WRITE,
) -> ImportOut:
    return ImportOut(
        **run_import(request, principal, name, file, format or None, profile or None, skip_invalid)
    )


def run_import(
    request: Request,
    principal: Principal,
    name: str,
    upload: AnyUpload,
    fmt: str | None,
    profile: str | None,
    skip_invalid: bool,
) -> dict[str, Any]:
    """Spool the upload to a private temporary folder and import it as the CLI does; shared with the page."""
    state = state_of(request)
    folder = spool.make("import")
    try:
        # The original name only as a hint for detection; never as a path.
        path = os.path.join(folder, "upload" + _suffix(upload.filename))
        with open(path, "wb") as copy:
            shutil.copyfileobj(upload.file, copy, 1 << 20)
        try:
            result = hs.import_file(
                state.db,
                actor_of(request, principal),
                path,
                name,
                format=fmt,
                profile=profile,
                skip_invalid=skip_invalid,
                rejects=os.path.join(folder, "rejects.jsonl") if skip_invalid else None,
            )
        except NetsafeError as err:
            # The spool's path is this worker's business; the client knows its file by its own name.
            answer = api_error_for(err)
            answer.message = answer.message.replace(path, upload.filename or "upload")
            raise answer from None
        _changed(request)
        out = result.as_dict()
        out["file"] = upload.filename or "upload"
        for issue in out["issues"]:
            issue["file"] = upload.filename or "upload"
        return out
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _suffix(filename: str | None) -> str:
    ext = os.path.splitext((filename or "").replace("\\", "/").rsplit("/", 1)[-1])[1].lower()
    return ext if ext.isascii() and ext[1:].isalnum() and len(ext) <= 10 else ""


@router.get(
    "/hashsets/{name}/export",
    summary="Export the set in a format (VICS 2.0 JSON by default)",
    response_class=StreamingResponse,
    responses={200: {"content": {"application/octet-stream": {}}}},
)
def export_hashset(
    request: Request,
    name: str,
    format: Annotated[str, Query(max_length=32)] = "vics",
    profile: Annotated[str | None, Query(max_length=64)] = None,
    principal: Principal = READ,
) -> StreamingResponse:
    state = state_of(request)
    spec = formats.get(format)
    folder = spool.make("export")
    path = os.path.join(folder, "export")
    try:
        hs.export_set(state.db, actor_of(request, principal), name, path, spec.name, profile)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise

    def chunks() -> Iterator[bytes]:
        try:
            with open(path, "rb") as fh:
                while block := fh.read(1 << 20):
                    yield block
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    suffix = {"vics": "json", "csv": "csv"}.get(spec.name, "txt")
    return StreamingResponse(
        chunks(),
        media_type="application/octet-stream",
        headers={"Content-Disposition": f'attachment; filename="hashset.{suffix}"'},
    )
