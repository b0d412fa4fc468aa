"""The second way: a picture uploaded for assessment is sealed at once, waits in the hotline's queue flagged
self-referred, settles its request when assessed (under either policy) and is deleted right after."""

from __future__ import annotations

import io
import json
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from hotline.helpers import jpeg_bytes
from netsafe.audit.service import Actor, AuditFilter, search
from netsafe.errors import Conflict, InvalidInput, Unavailable
from netsafe.hashing.engine import hash_bytes
from netsafe.hashing.options import HashOptions
from netsafe.hotline import capturing, closing, views
from netsafe.hotline.assessment import ItemGrade, Verdict, assess
from netsafe.hotline.models import ItemRow
from netsafe.hotline.monitor import purge_expired
from netsafe.hotline.settings import HotlineSettings
from netsafe.hotline.states import Outcome
from netsafe.hotline.vault import Vault
from netsafe.remove import service, upload
from netsafe.remove.settings import RemoveSettings
from netsafe.services.hashsets import export_set
from netsafe.store.db import Database

CLI = Actor("cli:test")
CONFIRMED = Verdict(Outcome.CRIMINAL, category="C", age_band="14-15")
NOT_CONFIRMED = Verdict(Outcome.NOT_CRIMINAL)
AT_ONCE = RemoveSettings()
AFTER_ASSESSMENT = RemoveSettings(share_unverified=False)


@pytest.fixture
def vault(tmp_path: Path) -> Vault:
    return Vault(tmp_path / "captures", tmp_path / "vault.key")


def _export(db: Database) -> str:
    out = io.StringIO()
    export_set(db, CLI, "self-reported", out, "csv")
    return out.getvalue()


def _probes(data: bytes) -> list[bytes]:
    return [data[n : n + 48] for n in range(200, len(data) - 48, max(1, len(data) // 10))]


def _plaintext_in(folder: Path, data: bytes) -> list[str]:
    probes = _probes(data)
    return [p.name for p in folder.rglob("*") if p.is_file() and any(x in p.read_bytes() for x in probes)]


def _sealed(db: Database, report: str) -> list[ItemRow]:
    shown = views.show(db, report)
    with db.session() as session:
        return list(session.scalars(select(ItemRow).where(ItemRow.id.in_([i["id"] for i in shown["items"]]))))


def _send(db: Database, vault: Vault, data: bytes, settings: RemoveSettings = AT_ONCE) -> dict[str, object]:
    got = upload.submit_upload(db, settings, vault, data, age_under_18=True)
    listed = {r["reference"]: r for r in service.list_requests(db)}
    return {"secret": got.secret, **listed[got.reference]}


def test_an_upload_is_sealed_hashed_on_the_server_and_waits_flagged_self_referred(
    db: Database, vault: Vault, tmp_path: Path
) -> None:
    photo = jpeg_bytes(3)
    request = _send(db, vault, photo)
    assert request["upload"] is True and request["assessment"] == "waiting"
    assert request["picture"] == "sealed" and request["status"] == "received"
    waiting = views.queue(db).reports
    assert [r["reference"] for r in waiting] == [request["hotline_report"]]
    assert waiting[0]["source"] == waiting[0]["route"] == "self-referred"
    assert waiting[0]["url"] == f"upload:{request['reference']}"
    ours = hash_bytes(photo, "p.jpg", HashOptions())
    item = waiting[0]["items"][0]
    assert (item["md5"], item["sha256"], item["pdq"]) == (
        ours.digests["md5"],
        ours.digests["sha256"],
        ours.pdq,
    )
    assert item["kind"] == "image" and item["stored"]
    # At once (the default policy): the server's hashes are in what platforms receive.
    assert ours.digests["sha256"] in _export(db)
    [row] = _sealed(db, str(request["hotline_report"]))
    assert row.vault_id in vault and vault.get(row.vault_id) == photo
    assert _plaintext_in(tmp_path, photo) == []  # the store and the vault hold no plaintext


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "file: the file is empty"),
        (b"hello, this is text and not a picture at all", "file: not a photo or video"),
        (b"<html><body>hi</body></html>", "file: not a photo or video"),
        (jpeg_bytes(1)[:40] + b"\0" * 10, None),  # a broken JPEG is still sniffed as one: kept for a person
    ],
)
def test_what_is_not_a_picture_is_refused_and_leaves_nothing(
    sdb: Database, vault: Vault, data: bytes, message: str | None
) -> None:
    if message is None:
        assert upload.submit_upload(sdb, AT_ONCE, vault, data, True).reference.startswith("RM-")
        return
    with pytest.raises(InvalidInput, match=message):
        upload.submit_upload(sdb, AT_ONCE, vault, data, True)
    assert service.list_requests(sdb) == [] and list(vault.ids()) == []
    assert views.queue(sdb).total == 0


def test_size_limit_and_uploads_off(sdb: Database, vault: Vault) -> None:
    photo = jpeg_bytes(2)
    with pytest.raises(InvalidInput, match=r"file: larger than 100 bytes"):
        upload.submit_upload(sdb, RemoveSettings(max_upload_bytes=100), vault, photo, True)
    with pytest.raises(upload.UploadsOffError, match="send the fingerprints instead"):
        upload.submit_upload(sdb, RemoveSettings(uploads=False), vault, photo, True)
    assert list(vault.ids()) == [] and service.list_requests(sdb) == []


def test_a_store_that_refuses_leaves_nothing_sealed(
    sdb: Database, vault: Vault, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> object:
        raise RuntimeError("the store went away")

    monkeypatch.setattr(upload, "add_self_referred", broken)
    with pytest.raises(RuntimeError):
        upload.submit_upload(sdb, AT_ONCE, vault, jpeg_bytes(4), True)
    assert list(vault.ids()) == []


@pytest.mark.parametrize("settings", [AT_ONCE, AFTER_ASSESSMENT], ids=["at-once", "after-assessment"])
def test_a_confirmed_upload_is_verified_shared_and_its_picture_deleted(
    db: Database, vault: Vault, settings: RemoveSettings
) -> None:
    photo = jpeg_bytes(5)
    sha = hash_bytes(photo, "p", HashOptions()).digests["sha256"]
    request = _send(db, vault, photo, settings)
    assert (sha in _export(db)) is settings.share_unverified
    [row] = _sealed(db, str(request["hotline_report"]))
    vault_id = row.vault_id
    assert vault_id is not None
    item = ItemGrade(row.id, category="C", age_band="14-15", self_generated=True)
    verdict = Verdict(Outcome.CRIMINAL, items=[item])
    out = assess(db, CLI, "alice", str(request["hotline_report"]), verdict, vault=vault)
    assert out["outcome"] == "criminal" and out["status"] == "closed"  # nothing to trace: there is no URL
    after = {r["reference"]: r for r in service.list_requests(db)}[str(request["reference"])]
    assert after["status"] == "verified" and after["verified_by"] == "alice" and after["shared"]
    assert after["assessment"] == "confirmed" and after["picture"] == "deleted"
    assert sha in _export(db)
    assert vault_id not in vault and list(vault.ids()) == []
    [gone] = _sealed(db, str(request["hotline_report"]))
    assert gone.vault_id is None and gone.purged_at is not None
    with db.session() as session:
        purges = search(session, AuditFilter(action="hotline.purge"))
        verifies = search(session, AuditFilter(action="remove.verify"))
    assert [e.target for e in purges] == [f"report:{request['hotline_report']}"]
    assert json.loads(purges[0].details)["reason"] == "assessed"
    assert [e.target for e in verifies] == [f"remove:{request['reference']}"]
    # The young person's status says so, with the secret.
    seen = service.status(db, str(request["reference"]), str(request["secret"]))
    assert seen is not None and seen["assessment"] == "confirmed" and seen["picture"] == "deleted"


@pytest.mark.parametrize("settings", [AT_ONCE, AFTER_ASSESSMENT], ids=["at-once", "after-assessment"])
def test_an_upload_not_confirmed_is_not_shared_and_its_picture_deleted(
    db: Database, vault: Vault, settings: RemoveSettings
) -> None:
    photo = jpeg_bytes(6)
    sha = hash_bytes(photo, "p", HashOptions()).digests["sha256"]
    request = _send(db, vault, photo, settings)
    assess(db, CLI, "alice", str(request["hotline_report"]), NOT_CONFIRMED, vault=lambda: vault)
    after = {r["reference"]: r for r in service.list_requests(db)}[str(request["reference"])]
    assert after["status"] == "not_confirmed" and not after["shared"]
    assert after["assessment"] == "not_confirmed" and after["picture"] == "deleted"
    assert sha not in _export(db)
    assert list(vault.ids()) == []
    assert service.list_requests(db, "not_confirmed")[0]["reference"] == request["reference"]


def test_an_appeal_that_confirms_shares_after_all(sdb: Database, vault: Vault) -> None:
    request = _send(sdb, vault, jpeg_bytes(7), AFTER_ASSESSMENT)
    report = str(request["hotline_report"])
    assess(sdb, CLI, "alice", report, NOT_CONFIRMED, vault=vault)
    assess(sdb, CLI, "bob", report, CONFIRMED, appeal=True, vault=vault)
    after = service.list_requests(sdb)[0]
    assert after["status"] == "verified" and after["shared"] and after["verified_by"] == "bob"


def test_assessing_an_upload_without_the_vault_changes_nothing(sdb: Database, vault: Vault) -> None:
    request = _send(sdb, vault, jpeg_bytes(8))
    with pytest.raises(Unavailable, match="needs the hotline's vault"):
        assess(sdb, CLI, "alice", str(request["hotline_report"]), CONFIRMED)
    assert service.list_requests(sdb)[0]["assessment"] == "waiting"
    assert len(list(vault.ids())) == 1


def test_an_upload_never_assessed_goes_with_the_retention(sdb: Database, vault: Vault) -> None:
    request = _send(sdb, vault, jpeg_bytes(9))
    settings = HotlineSettings(retention_days=30)
    later = service.now() + timedelta(days=31)
    assert purge_expired(sdb, CLI, settings=settings, vault=vault, now=later) == 1
    assert list(vault.ids()) == []
    after = service.list_requests(sdb)[0]
    assert after["picture"] == "deleted" and after["assessment"] == "waiting"
    assert after["reference"] == request["reference"]


def test_withdrawing_an_upload_deletes_the_picture_and_leaves_the_queue(db: Database, vault: Vault) -> None:
    request = _send(db, vault, jpeg_bytes(10))
    ref, secret = str(request["reference"]), str(request["secret"])
    with pytest.raises(Unavailable):
        service.withdraw_own(db, ref, secret)
    assert len(list(vault.ids())) == 1
    out = service.withdraw_own(db, ref, secret, vault=vault)
    assert out is not None and out["status"] == "withdrawn" and out["picture"] == "deleted"
    assert list(vault.ids()) == [] and views.queue(db).total == 0
    assert service.list_requests(db)[0]["assessment"] == "withdrawn"


def test_an_upload_is_verified_by_its_assessment_not_by_hand_nor_captured(
    sdb: Database, vault: Vault, tmp_path: Path
) -> None:
    request = _send(sdb, vault, jpeg_bytes(11))
    with pytest.raises(Conflict, match="assess hotline report HL-"):
        service.verify(sdb, CLI, str(request["reference"]))
    with pytest.raises(Conflict, match="assess it"):
        closing.close(sdb, CLI, str(request["hotline_report"]), "no need")
    with pytest.raises(Conflict, match="is an upload"):
        capturing.capture(
            sdb,
            CLI,
            str(request["hotline_report"]),
            settings=HotlineSettings(),
            matcher=None,  # type: ignore[arg-type]
            vault=vault,
        )


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    head=st.sampled_from([b"", b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"GIF89a", b"RIFF\0\0\0\0WEBPVP8 "]),
    body=st.binary(max_size=600),
)
def test_any_bytes_are_stored_sealed_or_refused_in_one_line(
    sdb: Database, vault: Vault, head: bytes, body: bytes
) -> None:
    try:
        got = upload.submit_upload(sdb, AT_ONCE, vault, head + body, True)
    except InvalidInput as err:
        assert str(err).startswith("file: ") and "\n" not in str(err)
        return
    assert got.reference.startswith("RM-")
