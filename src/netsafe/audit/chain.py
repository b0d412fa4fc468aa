"""The hash chain: what exactly is hashed for an event, so anyone can re-check it from an export.

hash = SHA-256 over the UTF-8 of the canonical JSON (sorted keys, no spaces, lone surrogates as ``\\uXXXX``
escapes, everything else unescaped) of
``{"seq", "at", "actor", "action", "target", "outcome", "ip", "details", "prev"}`` where ``at`` is
UTC ISO 8601 with microseconds and no offset, ``details`` is the stored canonical JSON text and ``prev``
the previous event's hash (64 zeros for the first).
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

from netsafe.textsafe import json_text

GENESIS = "0" * 64


def canonical_json(value: Any) -> str:
    # A file name that is not UTF-8 arrives surrogate-escaped (os.fsdecode): such a character is written as
    # its JSON escape (\udcff), which reads back as the same name, so every text hashes and stores. Text
    # that is valid Unicode comes out as before, so existing events keep their hashes.
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return json_text(text)


def normalise_time(at: datetime) -> str:
    # SQLite hands back naive datetimes, PostgreSQL aware ones: both are UTC here.
    if at.tzinfo is not None:
        at = at.astimezone(UTC).replace(tzinfo=None)
    return at.isoformat(timespec="microseconds")


def event_hash(
    *,
    seq: int,
    at: datetime,
    actor: str,
    action: str,
    target: str | None,
    outcome: str,
    ip: str | None,
    details: str,
    prev: str,
) -> str:
    body = canonical_json(
        {
            "seq": seq,
            "at": normalise_time(at),
            "actor": actor,
            "action": action,
            "target": target,
            "outcome": outcome,
            "ip": ip,
            "details": details,
            "prev": prev,
        }
    )
    return hashlib.sha256(body.encode("utf-8")).hexdigest()
