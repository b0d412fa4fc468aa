"""Hash-set management over the store's hash-set service (the one ``netsafe hashset`` uses)."""

from __future__ import annotations

from fastapi import APIRouter

from netsafe.web.errors import ERROR_RESPONSES

router = APIRouter(tags=["hashsets"], responses=ERROR_RESPONSES)
