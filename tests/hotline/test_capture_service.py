"""Capture as a service: items hashed, matched (a known picture carries its grade), sealed in the vault,
stored with the state change; a page that cannot be fetched keeps its state with the reason."""

from __future__ import annotations

import hashlib
import json

import pytest

from netsafe.audit.service import Actor, AuditFilter, search
from netsafe.errors import Conflict, Forbidden
from netsafe.hotline import capturing, intake, pictures, views
from netsafe.hotline.intake import NewReport, submit
from netsafe.hotline.settings import HotlineSettings
from netsafe.hotline.storage import open_vault
from netsafe.services import hashsets as hs
from netsafe.services.matcher import Matcher
from netsafe.store.db import Database

from .helpers import jpeg_bytes
from .site import LocalSite, gallery

ALICE = Actor("alice")


def _known_set(db: Database, picture: bytes, category: str = "A") -> None:
    hs.create_set(db, ALICE, "known")
    hs.add_entries(
        db, ALICE, "known", [hs.NewEntry({"sha256": hashlib.sha256(picture).hexdigest()}, category)]
    )


def test_capture_hashes_matches_and_seals(
    sdb: Database, local_site: LocalSite, hotline_settings: HotlineSettings
) -> None:
    known, unknown = jpeg_bytes(1), jpeg_bytes(2)
    _known_set(sdb, known)
    local_site.put("/page", gallery(["a.jpg", "b.jpg", "missing.jpg"]))
    local_site.put("/a.jpg", known, "image/jpeg")
    local_site.put("/b.jpg", unknown, "text/plain")  # a lying header: sniffed, still a picture
    ref = submit(sdb, intake.PUBLIC, [NewReport(local_site.url("/page"))], "public")[0].reference
    vault = open_vault(hotline_settings, sdb)
    out = capturing.capture(sdb, ALICE, ref, settings=hotline_settings, matcher=Matcher(sdb), vault=vault)
    assert out["status"] == "captured" and out["error"] is None
    assert len(out["errors"]) == 1 and "missing.jpg" in out["errors"][0]
    by_hash = {i["sha256"]: i for i in out["items"]}
    first = by_hash[hashlib.sha256(known).hexdigest()]
    assert first["matches"] == [{"hashset": "known", "category": "A"}] and first["known_category"] == "A"
    second = by_hash[hashlib.sha256(unknown).hexdigest()]
    assert second["matches"] == [] and second["pdq"] is not None
    shown = views.show(sdb, ref)
    assert [h["to"] for h in shown["history"]] == ["received", "captured"]
    # The bytes are in the vault, encrypted: no file under it holds the picture.
    files = [p.read_bytes() for p in hotline_settings.capture_dir.rglob("*") if p.is_file()]  # type: ignore[union-attr]
    assert len(files) == 2 and all(unknown[:64] not in f and known[:64] not in f for f in files)
    # A known item is never shown; an unknown one veiled, and clearly only with an event.
    known_id = next(i["id"] for i in shown["items"] if i["known_category"])
    other_id = next(i["id"] for i in shown["items"] if not i["known_category"])
    with pytest.raises(Forbidden):
        pictures.picture(sdb, ALICE, known_id, vault=vault, clear=False)
    pictures.picture(sdb, ALICE, other_id, vault=vault, clear=False)
    with sdb.session() as session:
        assert search(session, AuditFilter(action="hotline.item.view")) == []
    pictures.picture(sdb, ALICE, other_id, vault=vault, clear=True)
    with sdb.session() as session:
        events = search(session, AuditFilter(action="hotline.item.view"))
    assert len(events) == 1 and events[0].actor == "alice"
    with pytest.raises(Conflict):
        assess_first_then_capture(sdb, ref, hotline_settings, vault)


def assess_first_then_capture(sdb: Database, ref: str, settings: HotlineSettings, vault: object) -> None:
    from netsafe.hotline.assessment import Verdict, assess
    from netsafe.hotline.states import Outcome

    assess(sdb, ALICE, "alice", ref, Verdict(Outcome.NOT_CRIMINAL))
    capturing.capture(sdb, ALICE, ref, settings=settings, matcher=Matcher(sdb), vault=vault)  # type: ignore[arg-type]


def test_refused_page_keeps_state_with_reason(sdb: Database, local_site: LocalSite, tmp_path: object) -> None:
    settings = HotlineSettings(capture_dir=tmp_path / "c", key_file=tmp_path / "k")  # type: ignore[operator]
    local_site.put("/page", gallery([]))
    ref = submit(sdb, intake.PUBLIC, [NewReport(local_site.url("/page"))], "public")[0].reference
    vault = open_vault(settings, sdb)
    out = capturing.capture(sdb, ALICE, ref, settings=settings, matcher=Matcher(sdb), vault=vault)
    assert out["status"] == "received" and out["error"] and "\n" not in out["error"]
    assert local_site.hits == []  # refused before connecting: 127.0.0.1 is not allowed by default
    shown = views.show(sdb, ref)
    assert shown["capture_error"] == out["error"] and shown["items"] == []
    with sdb.session() as session:
        events = search(session, AuditFilter(action="hotline.capture"))
    assert events[0].outcome == "failed"


def test_a_second_capture_adds_only_what_is_new(
    sdb: Database, local_site: LocalSite, hotline_settings: HotlineSettings
) -> None:
    local_site.put("/page2", gallery(["a.jpg"]))
    local_site.put("/a.jpg", jpeg_bytes(3), "image/jpeg")
    ref = submit(sdb, intake.PUBLIC, [NewReport(local_site.url("/page2"))], "public")[0].reference
    vault = open_vault(hotline_settings, sdb)
    capturing.capture(sdb, ALICE, ref, settings=hotline_settings, matcher=Matcher(sdb), vault=vault)
    local_site.put("/page2", gallery(["a.jpg", "b.jpg"]))  # the page has grown since
    local_site.put("/b.jpg", jpeg_bytes(4), "image/jpeg")
    out = capturing.capture(sdb, ALICE, ref, settings=hotline_settings, matcher=Matcher(sdb), vault=vault)
    assert len(out["items"]) == 2
    shown = views.show(sdb, ref)
    assert sorted(i["url"].rsplit("/", 1)[-1] for i in shown["items"]) == ["a.jpg", "b.jpg"]
    # The second copy of a.jpg was not kept sealed either.
    files = [p for p in hotline_settings.capture_dir.rglob("*") if p.is_file()]  # type: ignore[union-attr]
    assert len(files) == 2


def test_files_no_item_names_are_swept_after_an_hour_and_the_sweep_is_audited(
    sdb: Database, local_site: LocalSite, hotline_settings: HotlineSettings
) -> None:
    """A process killed between sealing and committing (or between an assessment's commit and the deletion
    of its picture) leaves a sealed file that no row names; the monitor's round deletes it."""
    import os
    import time

    from netsafe.hotline.monitor import purge_expired

    local_site.put("/page", gallery(["a.jpg"]))
    local_site.put("/a.jpg", jpeg_bytes(3), "image/jpeg")
    ref = submit(sdb, intake.PUBLIC, [NewReport(local_site.url("/page"))], "public")[0].reference
    vault = open_vault(hotline_settings, sdb)
    capturing.capture(sdb, ALICE, ref, settings=hotline_settings, matcher=Matcher(sdb), vault=vault)
    orphan, recent = vault.put(b"left by a crash"), vault.put(b"a capture still committing")
    folder = hotline_settings.capture_dir
    assert folder is not None
    piece = folder / orphan[:2] / ".part-interrupted"
    piece.write_bytes(b"half a sealed file")
    two_hours_ago = time.time() - 7200
    for path in folder.glob("??/*"):
        if path.name != recent:
            os.utime(path, (two_hours_ago, two_hours_ago))  # the captured item's file is as old
    assert purge_expired(sdb, ALICE, settings=hotline_settings, vault=lambda: vault) == 0
    assert orphan not in vault and not piece.exists()
    assert recent in vault  # younger than the grace: its transaction may still be open
    kept = [i for i in views.show(sdb, ref)["items"] if i["stored"]]
    assert len(kept) == 1  # the captured item's file, named by its row, stays
    with sdb.session() as session:
        events = search(session, AuditFilter(action="hotline.orphans"))
        assert [json.loads(e.details) for e in events] == [{"files": 1}]
