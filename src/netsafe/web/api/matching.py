"""``POST /match``: an uploaded file, or signals as JSON, against the hash sets. Every request is audited
(who, when, which signals, how many matches) but the uploaded bytes are never kept."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from netsafe.accounts.roles import Permission
from netsafe.services.accounts import Principal
from netsafe.signals.codecs import HashFormatError, normalise_hex
from netsafe.web.api.hashing import hash_upload
from netsafe.web.api.schemas import MatchOut, MatchResultOut, MatchSignalsIn
from netsafe.web.auth import actor_of, require
from netsafe.web.errors import ERROR_RESPONSES, ApiError
from netsafe.web.state import ServiceState, state_of

router = APIRouter(tags=["matching"])

MATCHABLE = ("md5", "sha1", "sha256", "pdq", "photodna")


def clean_signals(raw: dict[str, str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for name, value in raw.items():
        key = name.strip().lower()
        if key not in MATCHABLE:
            raise ApiError(422, f"signals.{name}: unknown signal; use {', '.join(MATCHABLE)}")
        if not isinstance(value, str):
            raise ApiError(422, f"signals.{name}: must be a string")
        if key == "photodna":
            out[key] = value.strip()
            continue
        try:
            out[key] = normalise_hex(value, key)
        except HashFormatError as err:
            raise ApiError(422, f"signals.{name}: {err}") from None
    if not out:
        raise ApiError(422, "signals: give at least one of " + ", ".join(MATCHABLE))
    return out


def _prepare(state: ServiceState, max_distance: int | None, query: dict[str, Any]) -> tuple[int, int | None]:
    distance = state.settings.default_max_distance if max_distance is None else max_distance
    return distance, query.get("pdq_quality")


def _audit_details(
    query: dict[str, Any],
    signals: dict[str, str],
    hashsets: list[str] | None,
    distance: int,
    matches: list[dict[str, Any]],
) -> dict[str, Any]:
    # What was asked and how many matched; never the uploaded bytes.
    return {
        **query,
        "signals": signals,
        "hashsets": hashsets,
        "max_distance": distance,
        "matches": len(matches),
        "matched_sets": sorted({m["hashset"] for m in matches}),
    }


def _result(
    state: ServiceState, signals: dict[str, str], query: dict[str, Any], matches: list[dict[str, Any]]
) -> MatchResultOut:
    limit = state.settings.match_result_limit
    return MatchResultOut(
        query=query | {"signals": signals},
        matches=[MatchOut(**m) for m in matches[:limit]],
        truncated=len(matches) > limit,
    )


def run_match(
    request: Request,
    principal: Principal,
    signals: dict[str, str],
    dihedral: list[str] | None,
    hashsets: list[str] | None,
    max_distance: int | None,
    query: dict[str, Any],
) -> MatchResultOut:
    """Match, then audit (in the calling thread): shared by uploads and the match page."""
    state = state_of(request)
    distance, quality = _prepare(state, max_distance, query)
    matches = state.matcher.match(signals, dihedral, hashsets, distance, quality)
    details = _audit_details(query, signals, hashsets, distance, matches)
    state.audit.submit(actor_of(request, principal), "match", None, details)
    return _result(state, signals, query, matches)


async def run_match_async(
    request: Request,
    principal: Principal,
    signals: dict[str, str],
    dihedral: list[str] | None,
    hashsets: list[str] | None,
    max_distance: int | None,
    query: dict[str, Any],
) -> MatchResultOut:
    """:func:`run_match` on the event loop: the busiest path (signals from a platform) holds no thread
    while its audit event is committed."""
    state = state_of(request)
    distance, quality = _prepare(state, max_distance, query)
    matches = await state.matcher.match_async(signals, dihedral, hashsets, distance, quality)
    details = _audit_details(query, signals, hashsets, distance, matches)
    await state.audit.submit_async(actor_of(request, principal), "match", None, details)
    return _result(state, signals, query, matches)


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
                            "hashsets": {"type": "string", "description": "comma-separated names"},
                            "max_distance": {"type": "integer", "minimum": 0, "maximum": 64},
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
        signals = clean_signals(body.signals)
        dihedral = [normalise_hex(h, "pdq") for h in body.pdq_dihedral] if body.pdq_dihedral else None
        return await run_match_async(
            request, principal, signals, dihedral, body.hashsets, body.max_distance, {"kind": "signals"}
        )
    if ctype == "multipart/form-data":
        form = await request.form(max_files=1, max_fields=10)
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise ApiError(422, "file: a multipart field named 'file' is required")
        hashsets = _names(form.get("hashsets"))
        max_distance = _int(form.get("max_distance"), "max_distance", 0, 64)
        want_dihedral = str(form.get("dihedral", "")).lower() in ("1", "true", "on", "yes")
        return await run_in_threadpool(
            match_upload, request, principal, upload, hashsets, max_distance, want_dihedral
        )
    raise ApiError(415, "send application/json signals or a multipart/form-data file")


def match_upload(
    request: Request,
    principal: Principal,
    upload: UploadFile,
    hashsets: list[str] | None,
    max_distance: int | None,
    dihedral: bool,
) -> MatchResultOut:
    record_ = hash_upload(request, upload, dihedral=dihedral, exact=False)
    signals = {k: v for k, v in record_.digests.items() if k in MATCHABLE}
    if record_.pdq is not None:
        signals["pdq"] = record_.pdq
    query = {"kind": "upload", "name": record_.path, "size": record_.size, "mime": record_.mime}
    if record_.pdq_quality is not None:
        query["pdq_quality"] = record_.pdq_quality
    return run_match(request, principal, signals, record_.pdq_dihedral, hashsets, max_distance, query)


def _names(value: Any) -> list[str] | None:
    if value is None or not isinstance(value, str) or not value.strip():
        return None
    return [n.strip() for n in value.split(",") if n.strip()][:100]


def _int(value: Any, name: str, low: int, high: int) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        number = int(str(value))
    except ValueError:
        raise ApiError(422, f"{name}: not an integer") from None
    if not low <= number <= high:
        raise ApiError(422, f"{name}: must be {low}..{high}")
    return number
