"""Showing captured pictures to an analyst: veiled thumbnails, and the clear picture on request, each
clear view an audit event committed before a byte is served. An item known by hash is never shown."""

from __future__ import annotations

from netsafe.audit.service import Actor, record
from netsafe.errors import Forbidden, InvalidInput, NotFound
from netsafe.hotline.models import ItemRow, ReportRow
from netsafe.hotline.thumbs import thumbnail
from netsafe.hotline.vault import Vault
from netsafe.store.db import Database


class KnownItemError(Forbidden):
    """The item matched a graded entry: its grade is shown, never its picture."""


def picture(db: Database, actor: Actor, item_id: int, *, vault: Vault, clear: bool) -> bytes:
    """A JPEG of item ``item_id``: veiled (blurred, greyscale) unless ``clear``; a clear one is audited."""
    with db.session() as session:
        item = session.get(ItemRow, item_id)
        if item is None:
            raise NotFound(f"no captured item {item_id}")
        report = session.get(ReportRow, item.report_id)
        reference = report.reference if report is not None else "?"
        if item.known_category:
            raise KnownItemError(
                f"item {item_id} is known by hash (category {item.known_category}): it is never shown"
            )
        if item.vault_id is None:
            raise NotFound(f"item {item_id}'s captured bytes were deleted (retention period)")
        if item.kind not in ("image", "video"):
            raise InvalidInput(f"item {item_id} is a {item.kind}, not a picture or video: no thumbnail")
        vault_id, kind = item.vault_id, item.kind
    data = thumbnail(vault.get(vault_id), veiled=not clear, kind=kind)
    if clear:
        with db.session() as session:
            record(
                session, actor, "hotline.item.view", f"report:{reference}", {"item": item_id, "clear": True}
            )
    return data
