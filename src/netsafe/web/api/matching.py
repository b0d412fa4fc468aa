"""``POST /match``: an uploaded file, or signals as JSON, against the hash sets.

A door only: the request is translated into :mod:`netsafe.services.lookup` calls (which parse, check,
match and audit) and the result back into JSON; errors are the service's kinds, answered by their handlers.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from netsafe.accounts.roles import Permission
from netsafe.services.accounts import Principal
from netsafe.services.lookup import (
    MAX_DISTANCE,
    LookupOptions,
    LookupResult,
    distance_from_text,
    file_query,
    lookup,
    lookup_async,
    lookup_options,
    signals_query,
)
from netsafe.services.matcher import Query
from netsafe.web.api.hashing import hash_upload
from netsafe.web.api.schemas import MatchResultOut, MatchSignalsIn
from netsafe.web.auth import actor_of, require
from netsafe.web.errors import ERROR_RESPONSES, ApiError
from netsafe.web.state import state_of

router = APIRouter(tags=["matching"])


def options_for(
    request: Request, hashsets: list[str] | None, max_distance: int | None, dihedral: bool = False
) -> LookupOptions:
    settings = state_of(request).settings
    return lookup_options(
        hashsets,
        max_distance,
        dihedral=dihedral,
        default_distance=settings.default_max_distance,
        limit=settings.match_result_limit,
    )


def result_out(result: LookupResult) -> MatchResultOut:
    return MatchResultOut.model_validate(result.as_dict())


def signals_request(body: MatchSignalsIn) -> tuple[Query, bool]:
    """The query of a JSON request, and whether it asks for a dihedral search."""
    query = signals_query(body.signals, body.pdq_dihedral)
    return query, bool(query.pdq_dihedral)


def run_match(
    request: Request, principal: Principal, queries: list[Query], options: LookupOptions
) -> list[LookupResult]:
    """Look up in the calling thread (reading the store as needed): uploads and the match page."""
    state = state_of(request)
    return lookup(state.matcher.matcher, state.audit, actor_of(request, principal), queries, options)


async def run_match_async(
    request: Request, principal: Principal, query: Query, options: LookupOptions
) -> MatchResultOut:
    """Look up on the event loop: the busiest path (signals from a platform) holds no thread while it
    searches or while its audit event is committed. The fast path calls this too."""
    state = state_of(request)
    actor = actor_of(request, principal)
    [result] = await lookup_async(state.matcher.search_async, state.audit, actor, [query], options)
    return result_out(result)


@router.post(
    "/match",
    response_model=MatchResultOut,
    responses=ERROR_RESPONSES,
    summary="Match signals (JSON) or an uploaded file (multipart) against the hash sets",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/MatchSignalsIn"}},
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "required": ["file"],
                        "properties": {
                            "file": {"type": "string", "format": "binary"},
                            "hashsets": {
                                "type": "string",
                                "description": "comma-separated names (NAME:N: that set's own distance)",
                            },
                            "max_distance": {"type": "integer", "minimum": 0, "maximum": MAX_DISTANCE},
                            "dihedral": {"type": "boolean"},
                        },
                    }
                },
            },
        }
    },
)
async def match_endpoint(
    request: Request, principal: Principal = Depends(require(Permission.MATCH))
) -> MatchResultOut:
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype == "application/json":
        try:
            body = MatchSignalsIn.model_validate_json(await request.body())
        except ValidationError as err:
            first = err.errors()[0]
            loc = ".".join(str(x) for x in first.get("loc", ()))
            raise ApiError(
                422, f"{loc}: {first.get('msg', 'invalid')}" if loc else "invalid JSON body"
            ) from None
        query, dihedral = signals_request(body)
        options = options_for(request, body.hashsets, body.max_distance, dihedral)
        return await run_match_async(request, principal, query, options)
    if ctype == "multipart/form-data":
        form = await request.form(max_files=1, max_fields=10)
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise ApiError(422, "file: a multipart field named 'file' is required")
        options = options_for(
            request,
            [_text(form.get("hashsets"))],
            distance_from_text(_text(form.get("max_distance"))),
            _text(form.get("dihedral")).lower() in ("1", "true", "on", "yes"),
        )
        [result] = await run_in_threadpool(match_upload, request, principal, upload, options)
        return result_out(result)
    raise ApiError(415, "send application/json signals or a multipart/form-data file")


def match_upload(
    request: Request, principal: Principal, upload: UploadFile, options: LookupOptions
) -> list[LookupResult]:
    """Hash an upload (vPDQ frames included for a video) and look it up; the bytes are never kept."""
    record = hash_upload(request, upload, dihedral=options.dihedral, exact=False)
    return run_match(request, principal, [file_query(record, kind="upload")], options)


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""
