"""Request and response bodies of the JSON API (they make the OpenAPI document)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


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
        description='Hex signals by name, e.g. {"pdq": "...", "md5": "..."}; "pdq_dihedral" may be a list.',
        examples=[{"md5": "d41d8cd98f00b204e9800998ecf8427e"}],
    )
    pdq_dihedral: list[str] | None = Field(default=None, max_length=8)
    hashsets: list[str] | None = Field(default=None, max_length=100, description="Only these hash sets")
    max_distance: int | None = Field(default=None, ge=0, le=64, description="PDQ Hamming threshold")


class MatchOut(BaseModel):
    hashset: str
    entry_id: int
    signal: str
    distance: int
    category: str | None
    category_label: str | None
    source_id: str | None = None
    transform: str | None = Field(default=None, description="dihedral variant of the query that matched")


class MatchResultOut(BaseModel):
    query: dict[str, Any]
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


class AuditAnchorOut(BaseModel):
    seq: int
    hash: str
    anchor: str = Field(
        description="SEQ:HASH, for `GET /audit/verify?anchor=` or `netsafe audit verify --anchor`"
    )
