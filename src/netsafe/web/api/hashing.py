"""``POST /hash``: signals of an uploaded file, exactly as ``netsafe hash --json`` gives them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, File, Query, Request, UploadFile
from starlette.datastructures import UploadFile as AnyUpload

from netsafe.accounts.roles import Permission
from netsafe.hashing.engine import hash_bytes
from netsafe.hashing.options import HashOptions
from netsafe.hashing.record import FileRecord
from netsafe.services import hashing
from netsafe.services.accounts import Principal
from netsafe.web.api.schemas import SignalsOut
from netsafe.web.auth import actor_of, require
from netsafe.web.errors import ERROR_RESPONSES, ApiError
from netsafe.web.state import state_of

router = APIRouter(tags=["hashing"])

MAX_NAME = 255


def upload_name(upload: AnyUpload) -> str:
    # Only the last path component, printable, bounded: names are echoed and audited, never used as paths.
    raw = (upload.filename or "upload").replace("\\", "/").rsplit("/", 1)[-1]
    clean = "".join(ch if ch.isprintable() else "?" for ch in raw)[:MAX_NAME]
    return clean or "upload"


def hash_upload(request: Request, upload: AnyUpload, dihedral: bool, exact: bool) -> FileRecord:
    """Hash an upload (in the calling thread); 422 when it cannot be read as what it claims to be."""
    state = state_of(request)
    data = upload.file.read(state.settings.max_upload_bytes + 1)
    if len(data) > state.settings.max_upload_bytes:
        raise ApiError(413, f"file over the limit of {state.settings.max_upload_bytes} bytes")
    options = HashOptions(
        pdq_mode="exact" if exact else "fast", dihedral=dihedral, max_pixels=state.settings.max_pixels
    )
    record = hash_bytes(data, upload_name(upload), options)
    if record.error is not None:
        raise ApiError(422, f"{record.path}: {record.error}", code="unreadable_file")
    return record


@router.post(
    "/hash",
    response_model=SignalsOut,
    responses=ERROR_RESPONSES,
    summary="Hash an uploaded file: MD5, SHA-1, SHA-256, PDQ (images), vPDQ (videos)",
)
def hash_endpoint(
    request: Request,
    file: Annotated[UploadFile, File(description="The file to hash")],
    dihedral: Annotated[bool, Query(description="Also the 8 rotation/flip PDQ hashes")] = False,
    exact: Annotated[bool, Query(description="Reference full-resolution PDQ instead of fast mode")] = False,
    principal: Principal = Depends(require(Permission.MATCH)),
) -> SignalsOut:
    audit = state_of(request).audit
    actor = actor_of(request, principal)
    name = upload_name(file)
    try:
        result = hash_upload(request, file, dihedral, exact)
    except ApiError as err:
        hashing.record_refused(audit, actor, name, file.size, err.status, err.code)
        raise
    hashing.record_hashed(audit, actor, name, result)
    return SignalsOut(**result.as_dict())
