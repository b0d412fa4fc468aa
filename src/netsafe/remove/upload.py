"""Remove my image's second way: the person uploads a picture for an analyst to assess, as the IWF's
Report Remove does.

The bytes are checked (size, and sniffed: a photo or video, whatever the browser claimed), hashed on the
server, and sealed in the hotline's vault before anything is stored; the request and a self-referred report
in the hotline's assessment queue are then stored together with their events. An analyst's assessment of
that report settles the request in the same transaction (``settle_assessment``, called by the hotline by
name): confirmed, the request is verified and its hashes shared; not confirmed, they are not shared. The
hotline deletes the sealed picture right after the assessment either way.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from netsafe.accounts.passwords import hash_password
from netsafe.audit.service import Actor
from netsafe.errors import Forbidden, InvalidInput
from netsafe.hashing.engine import hash_bytes
from netsafe.hashing.options import HashOptions
from netsafe.hotline.models import ReportRow
from netsafe.hotline.referrals import Upload, add_self_referred
from netsafe.hotline.sniffing import kind_of, sniff_content_type
from netsafe.hotline.states import Outcome
from netsafe.hotline.vault import Vault
from netsafe.remove import service
from netsafe.remove.models import RemoveRequestRow
from netsafe.remove.settings import RemoveSettings
from netsafe.store.db import Database

# MD5, SHA-256 and PDQ as the page computes them, by the same engine as `netsafe hash`.
HASH_OPTIONS = HashOptions()


class UploadsOffError(Forbidden):
    pass


def check_upload(settings: RemoveSettings, data: bytes) -> str:
    """The picture's kind (image or video) from its bytes; InvalidInput for anything else."""
    if not settings.uploads:
        raise UploadsOffError("file: this service does not take pictures; send the fingerprints instead")
    if not data:
        raise InvalidInput("file: the file is empty; choose a photo or video")
    if len(data) > settings.max_upload_bytes:
        raise InvalidInput(f"file: larger than {settings.max_upload_bytes} bytes; choose a smaller file")
    kind = kind_of(sniff_content_type(data))
    if kind not in ("image", "video"):
        raise InvalidInput("file: not a photo or video this service can read (JPEG, PNG, GIF, WebP, MP4...)")
    return kind


def submit_upload(
    db: Database, settings: RemoveSettings, vault: Vault, data: bytes, age_under_18: bool
) -> service.Submitted:
    """Seal the picture, then store its request and its report in the hotline's queue in one transaction;
    returns the reference and the secret (once). Nothing is left in the vault if the store refuses."""
    kind = check_upload(settings, data)
    found = hash_bytes(data, "upload", HASH_OPTIONS)
    digests = found.digests
    item = service.NewItem(
        md5=digests.get("md5"),
        sha256=digests.get("sha256"),
        pdq=found.pdq,
        pdq_quality=found.pdq_quality if found.pdq else None,
        where="file",
    )
    checked = service.check_items(settings, [item])
    secret = service.new_secret()
    secret_hash = hash_password(secret)
    vault_id = vault.put(data)
    try:
        with db.session() as session:
            stamp = service.now()
            reference = service.new_reference(session)
            upload = Upload(
                vault_id=vault_id,
                size=len(data),
                kind=kind,
                mime=found.mime,
                sha256=digests.get("sha256", ""),
                md5=digests.get("md5"),
                pdq=found.pdq,
                pdq_quality=found.pdq_quality,
                error=found.error,
            )
            report = add_self_referred(session, service.PUBLIC, reference, [upload], stamp)
            request = service.receive(
                session,
                settings,
                reference,
                secret_hash,
                checked,
                age_under_18,
                stamp,
                hotline_report=(report.id, report.reference),
            )
            shared = request.shared
    except BaseException:
        vault.delete(vault_id)
        raise
    return service.Submitted(reference, secret, "received", shared)


def settle_assessment(
    session: Session, actor: Actor, report: ReportRow, analyst: str, when: datetime
) -> dict[str, Any]:
    """The hotline assessed (or re-assessed on appeal) an uploaded picture: settle its request."""
    row = session.scalars(
        select(RemoveRequestRow).where(RemoveRequestRow.hotline_report_id == report.id).with_for_update()
    ).one_or_none()
    if row is None or row.status == "withdrawn":
        return {"request": row.reference if row else None, "status": row.status if row else None}
    if report.outcome == Outcome.CRIMINAL:
        service.confirm(session, actor, row, analyst)
    else:
        service.not_confirmed(session, actor, row, analyst)
    return {"request": row.reference, "status": row.status}
