"""The hotline's monitor inside ``netsafe serve``: a background task in every worker, of which the one
holding the store's lease (``hotline.monitor.take_lease``) checks what is due; the others stand by and
take over when the holder stops renewing (a crashed or stopped worker)."""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import socket

from netsafe.audit.service import Actor
from netsafe.deterrence import lists
from netsafe.hotline import monitor
from netsafe.hotline.storage import open_vault
from netsafe.store.db import Database
from netsafe.web.config import Settings

log = logging.getLogger("netsafe.hotline.monitor")
ACTOR = Actor("service:monitor")
TICK_SECONDS = 60.0
FIRST_DELAY = 5.0


def holder_name() -> str:
    return f"{socket.gethostname()[:100]}:{os.getpid()}:{secrets.token_hex(4)}"


def tick(db: Database, settings: Settings, holder: str, tick_seconds: float) -> bool:
    """One round: take or renew the lease, and if held, check what is due, purge expired bytes and bring
    the deterrence list ``hotline`` up to date."""
    if not monitor.take_lease(db, holder, tick_seconds * 3):
        return False
    config = settings.hotline
    checked = monitor.monitor(db, ACTOR, settings=config)
    monitor.purge_expired(db, ACTOR, settings=config, vault=lambda: open_vault(config, db))
    # The deterrence URL list follows the live confirmed URLs without anyone running sync-hotline; a round
    # with nothing new writes nothing (sync_hotline makes a version only for a change).
    lists.sync_hotline(db, ACTOR)
    if checked:
        log.info("hotline monitor: %d report(s) checked", len(checked))
    return True


async def run_forever(
    db: Database, settings: Settings, tick_seconds: float = TICK_SECONDS, first_delay: float = FIRST_DELAY
) -> None:
    holder = holder_name()
    every = min(tick_seconds, settings.hotline.monitor_interval_minutes * 60)
    # Not at once: a starting server warms its indexes first, and its workers start at the same moment.
    await asyncio.sleep(first_delay * (0.5 + secrets.randbelow(1000) / 1000))
    while True:
        try:
            await asyncio.to_thread(tick, db, settings, holder, every)
        except Exception as err:  # the store is busy or down, a file is missing: try again next round
            log.warning("hotline monitor round failed: %s", type(err).__name__)
        await asyncio.sleep(every)
