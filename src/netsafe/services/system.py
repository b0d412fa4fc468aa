"""The store's readiness as the service reports it: reachable, schema current, how many hash sets."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from netsafe.errors import Unavailable
from netsafe.store.db import Database
from netsafe.store.migrate import current_revision, head_revision
from netsafe.store.models import HashSetRow


@dataclass(frozen=True, slots=True)
class StoreStatus:
    backend: str
    schema_revision: str | None
    hashsets: int


def store_status(db: Database) -> StoreStatus:
    """Raises :class:`Unavailable` when the store cannot be reached or its schema is not the code's."""
    try:
        revision = current_revision(db)
        with db.sessions() as session:
            count = session.execute(select(func.count()).select_from(HashSetRow)).scalar_one()
    except Exception as err:  # any driver failure means the same thing to a load balancer: not ready
        raise Unavailable(f"store unreachable: {type(err).__name__}") from None
    if revision != head_revision():
        raise Unavailable(f"store schema {revision} is not at {head_revision()}: restart `netsafe serve`")
    return StoreStatus(db.backend, revision, int(count))
