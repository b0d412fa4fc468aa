"""Hashing a file for someone (``POST /hash``) as a use case: what its audit event says, in one place.

Audited like a match, one event per upload committed before the answer: who learnt the signals of which
file (its name, size, type and hashes; never its bytes), or that the upload was refused and why.
"""

from __future__ import annotations

from typing import Any

from netsafe.audit.service import Actor
from netsafe.hashing.record import FileRecord
from netsafe.services.lookup import AuditSink


def _upload(name: str, size: int | None) -> dict[str, Any]:
    return {"kind": "upload", "name": name, "size": size}


def record_hashed(audit: AuditSink, actor: Actor, name: str, result: FileRecord) -> None:
    signals = dict(result.digests)
    if result.pdq is not None:
        signals["pdq"] = result.pdq
    details = _upload(name, result.size) | {"mime": result.mime, "signals": signals}
    audit.submit(actor, "hash", None, details)


def record_refused(
    audit: AuditSink, actor: Actor, name: str, size: int | None, status: int, reason: str
) -> None:
    audit.submit(actor, "hash", None, _upload(name, size) | {"status": status, "error": reason}, "failed")
