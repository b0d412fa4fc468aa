"""Request and response bodies of the JSON API (they make the OpenAPI document)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from netsafe.signals.types import REGISTRY

PDQ_MAX_DISTANCE = REGISTRY["pdq"].max_threshold


class HealthOut(BaseModel):
    status: str


class ReadyOut(BaseModel):
    status: str
    store: str
    schema_revision: str | None
    hashsets: int
    indexes_current: bool


class VpdqFrameOut(BaseModel):
    frame: int
    timestamp: float
    pdq: str
    quality: int


class SignalsOut(BaseModel):
    """Exactly one line of ``netsafe hash --json``; ``path`` is the uploaded file name."""

    path: str
    size: int | None
    kind: str | None
    mime: str | None
    md5: str | None
    sha1: str | None
    sha256: str | None
    pdq: str | None
    pdq_quality: int | None
    pdq_low_quality: bool | None
    pdq_dihedral: list[str] | None
    vpdq: list[dict[str, Any]] | None
    error: str | None


class MatchSignalsIn(BaseModel):
    signals: dict[str, str] = Field(
        description='Signals by name, e.g. {"pdq": "...", "md5": "..."}; values read as typed hashes are.',
        examples=[{"md5": "d41d8cd98f00b204e9800998ecf8427e"}],
    )
    pdq_dihedral: list[str] | None = Field(default=None, max_length=8)
    hashsets: list[str] | None = Field(
        default=None, max_length=100, description="Only these hash sets (NAME:N: that set's own distance)"
    )
    max_distance: int | None = Field(
        default=None, ge=0, le=PDQ_MAX_DISTANCE, description="PDQ Hamming threshold"
    )


class SegmentOut(BaseModel):
    query_start: float
    query_end: float
    compared_start: float
    compared_end: float
    frames: int


class MatchOut(BaseModel):
    """One matching entry; the same keys as a match in ``netsafe match --json``."""

    hashset: str
    entry_id: int = Field(description="netsafe's id of the entry (what removing one entry takes)")
    source_id: str | None = Field(default=None, description="the list's own id of the entry (MediaID)")
    signal: str
    distance: int
    category: str | None
    category_label: str | None
    transform: str | None = Field(default=None, description="dihedral variant of the query that matched")
    query_match_percent: float | None = Field(default=None, description="vPDQ: query frames matched")
    compared_match_percent: float | None = Field(default=None, description="vPDQ: stored frames matched")
    segments: list[SegmentOut] | None = Field(default=None, description="vPDQ: matching stretches")


class MatchResultOut(BaseModel):
    """One query's result; the same object as a line of ``netsafe match --json``."""

    query: str = Field(description="what was asked: a path, an upload's name, a typed hash, or 'signals'")
    kind: str = Field(description="file, upload, hash or signals")
    path: str | None = None
    size: int | None = None
    mime: str | None = None
    signals: dict[str, str]
    pdq_quality: int | None = None
    pdq_skipped: bool = False
    vpdq_frames: int | None = None
    error: str | None = None
    matches: list[MatchOut]
    truncated: bool = False


class UserIn(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    role: str
    password: str = Field(min_length=1, max_length=1024)


class UserOut(BaseModel):
    name: str
    role: str
    disabled: bool
    created: str
    last_login: str | None


class TokenIn(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    scopes: list[str] = Field(min_length=1, max_length=10)
    user: str | None = Field(default=None, max_length=100)
    expires_days: float | None = Field(default=None, gt=0, le=3650)


class TokenOut(BaseModel):
    name: str
    public_id: str
    scopes: list[str]
    user: str | None
    created: str
    expires: str | None
    revoked: str | None


class TokenCreatedOut(TokenOut):
    token: str = Field(description="The secret: shown this once, never again")


class AuditEventOut(BaseModel):
    seq: int
    at: str
    actor: str
    action: str
    target: str | None
    outcome: str
    ip: str | None
    details: dict[str, Any]
    details_json: str
    prev_hash: str
    hash: str


class AuditVerifyOut(BaseModel):
    ok: bool
    checked: int
    head_seq: int
    head_hash: str
    problem: str | None
    broken_seq: int | None
    waiting: int = Field(
        0,
        description="events in audit journals, written while another process (an import) held the SQLite "
        "store's write lock, not in the chain yet: they join it when the lock is free",
    )
    replayed: int = Field(0, description="events of ended processes' journals this check added to the chain")
    store_busy: bool = Field(
        False, description="the write lock was held: ended processes' journals not replayed"
    )
    verdict: str = Field("", description="the line `netsafe audit verify` prints")
    notes: list[str] = Field(
        default_factory=list, description="the remarks `netsafe audit verify` prints beside it, one a line"
    )


class AuditAnchorOut(BaseModel):
    seq: int
    hash: str
    anchor: str = Field(
        description="SEQ:HASH, for `GET /audit/verify?anchor=` or `netsafe audit verify --anchor`"
    )
