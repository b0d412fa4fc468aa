"""The worker's view of the hash sets for matching, kept current with the store.

Placeholder until the store's match service lands: versions are tracked, matching is delegated.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from sqlalchemy import select

from netsafe.store.db import Database
from netsafe.store.models import HashSetRow


class SharedMatcher:
    def __init__(self, db: Database, refresh_seconds: float) -> None:
        self.db = db
        self.refresh_seconds = refresh_seconds
        self._checked = 0.0
        self._versions: dict[str, int] = {}
        self._lock = threading.Lock()

    def refresh(self) -> bool:
        now = time.monotonic()
        if now - self._checked < self.refresh_seconds:
            return True
        with self._lock, self.db.sessions() as session:
            rows = session.execute(select(HashSetRow.name, HashSetRow.version)).all()
            self._versions = {name: version for name, version in rows}
            self._checked = now
        return True

    def match(
        self,
        signals: dict[str, str],
        dihedral: list[str] | None,
        hashsets: list[str] | None,
        max_distance: int | None,
    ) -> list[dict[str, Any]]:
        self.refresh()
        return []
