"""The issue's end-to-end run, on 127.0.0.1 only: a local web server with benign generated pictures (one of
them in a hash set); report -> capture (the known picture recognised) -> assess (and vote) -> trace (a
rules file maps 127.0.0.0/8 to GB) -> a notice received by a local SMTP server -> resent after
resend_hours with its attempt count -> the server answers 404 -> the monitor marks the report removed
with its time; it comes back and is reopened; retention deletes the captured bytes. A controllable clock
(``now``) drives the delays, the resend and the retention; the command line runs the steps it can."""

from __future__ import annotations

import hashlib
import json
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from email import message_from_bytes
from email.message import Message
from email.policy import default
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from typer.testing import CliRunner

from netsafe.audit.service import Actor, AuditFilter, search, verify
from netsafe.cli import app as cli_app
from netsafe.hotline import monitor, notify, stats, urllist, views
from netsafe.hotline.assessment import ItemGrade, Verdict, assess
from netsafe.hotline.settings import HotlineSettings
from netsafe.hotline.states import Outcome
from netsafe.hotline.storage import open_vault
from netsafe.services import hashsets as hs
from netsafe.store.db import Database

from .helpers import T0, jpeg_bytes
from .site import LocalSite, gallery

RULES = """network,country,asn,organisation,abuse_contact
127.0.0.0/8,GB,64500,Loopback Hosting,abuse@loopback.test
"""
ANALYST = Actor("user:alice")


@dataclass
class Mailbox:
    messages: list[Message] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.messages.append(message_from_bytes(envelope.content, policy=default))
        return "250 Message accepted"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def mailbox() -> Iterator[tuple[Mailbox, int]]:
    box, port = Mailbox(), _free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield box, port
    finally:
        controller.stop()


def _config(tmp: Path, smtp_port: int) -> tuple[Path, HotlineSettings]:
    (tmp / "rules.csv").write_text(RULES)
    table = {
        "fetch_allow_networks": ["127.0.0.0/8"],
        "fetch_timeout_seconds": 5.0,
        "capture_dir": str(tmp / "captures"),
        "key_file": str(tmp / "vault.key"),
        "retention_days": 30,
        "hosting_rules": str(tmp / "rules.csv"),
        "country": "GB",
        "smtp_host": "127.0.0.1",
        "smtp_port": smtp_port,
        "notice_from": "hotline@netsafe.test",
        "first_notice_delay_minutes": 60,
        "resend_hours": 24.0,
        "monitor_interval_minutes": 60.0,
        "monitor_in_service": False,
    }
    lines = ["[hotline]"] + [f"{k} = {json.dumps(v)}" for k, v in table.items()]
    path = tmp / "netsafe.toml"
    path.write_text("\n".join(lines) + "\n")
    return path, HotlineSettings(**table)  # type: ignore[arg-type]


def test_report_to_removal(
    db: Database, local_site: LocalSite, mailbox: tuple[Mailbox, int], tmp_path: Path
) -> None:
    box, port = mailbox
    config_file, settings = _config(tmp_path, port)
    env = {
        "NETSAFE_DATABASE_URL": db.url.render_as_string(hide_password=False),
        "NETSAFE_CONFIG": str(config_file),
        "NETSAFE_INDEX_DIR": str(tmp_path / "indexes"),
    }
    runner = CliRunner()

    def cli(*args: str, code: int = 0) -> Any:
        got = runner.invoke(cli_app, ["hotline", *args, "--json"], env=env)
        assert got.exit_code == code, got.output
        return json.loads(got.stdout)

    known, unknown = jpeg_bytes(11), jpeg_bytes(12)
    hs.create_set(db, ANALYST, "known")
    hs.add_entries(db, ANALYST, "known", [hs.NewEntry({"sha256": hashlib.sha256(known).hexdigest()}, "A")])
    hs.create_set(db, ANALYST, "hotline-confirmed")
    local_site.put("/gallery", gallery(["known.jpg", "new.jpg"]))
    local_site.put("/known.jpg", known, "image/jpeg")
    local_site.put("/new.jpg", unknown, "image/jpeg")
    page = local_site.url("/gallery")

    # Report, and capture: the known picture is recognised by hash.
    ref = cli("report", page, "--description", "a gallery")["reference"]
    captured = cli("capture", ref)
    assert captured["status"] == "captured" and captured["final_url"] == page
    by_hash = {i["sha256"]: i for i in captured["items"]}
    assert by_hash[hashlib.sha256(known).hexdigest()]["matches"] == [{"hashset": "known", "category": "A"}]
    assert by_hash[hashlib.sha256(unknown).hexdigest()]["matches"] == []

    # Assess: the new picture graded and added to a hash set as a vote; the report takes category A.
    items = views.show(db, ref)["items"]
    new_id = next(i["id"] for i in items if not i["known_category"])
    grade = ItemGrade(new_id, "C", "14-15", "girls", add_to="hotline-confirmed")
    out = assess(db, ANALYST, "alice", ref, Verdict(Outcome.CRIMINAL, "image_host", items=[grade]), now=T0)
    assert out["category"] == "A" and out["age_band"] == "14-15"

    # Trace: the rules file maps 127.0.0.0/8 to GB with an abuse contact: a host notice.
    traced = cli("trace", ref)
    assert traced["route"] == "host" and traced["country"] == "GB" and traced["ips"] == ["127.0.0.1"]
    assert traced["abuse_contact"] == "abuse@loopback.test" and traced["asn"] == 64500
    assert urllist.live_urls(db)[0]["url"] == views.show(db, ref)["normalised_url"]

    # Notice: not before first_notice_delay_minutes; then one email with the URL; again after resend_hours.
    actor = Actor("cli:test")
    assert notify.notify(db, actor, settings=settings, now=T0 + timedelta(minutes=30))["sent"] == []
    first = T0 + timedelta(minutes=61)
    sent = notify.notify(db, actor, settings=settings, now=first)["sent"]
    assert sent == [{"reference": ref, "to": "abuse@loopback.test", "kind": "host", "attempt": 1}]
    assert len(box.messages) == 1 and box.messages[0]["To"] == "abuse@loopback.test"
    body = box.messages[0].get_content()
    assert views.show(db, ref)["normalised_url"] in body and ref in body
    assert notify.notify(db, actor, settings=settings, now=first + timedelta(hours=23))["sent"] == []
    again = notify.notify(db, actor, settings=settings, now=first + timedelta(hours=24, minutes=1))["sent"]
    assert [n["attempt"] for n in again] == [2]
    assert len(box.messages) == 2 and "reminder 2" in box.messages[1]["Subject"]

    # Monitor: still there; then the server answers 404: removed, with the time since the first notice.
    still = monitor.monitor(db, actor, settings=settings, now=first + timedelta(hours=25))
    assert still == [
        {"reference": ref, "status": "notified", "removed_after_seconds": None, "reason": "present"}
    ]
    local_site.gone("/gallery")
    gone_at = first + timedelta(hours=26, minutes=30)
    removed = monitor.monitor(db, actor, settings=settings, now=gone_at)
    assert removed[0]["status"] == "removed"
    assert removed[0]["removed_after_seconds"] == (gone_at - first).total_seconds()
    assert urllist.live_urls(db) == []
    figures = stats.stats(db)
    assert (
        figures["confirmed"] == 1
        and figures["by_category"] == {"A": 1}
        and figures["by_route"] == {"host": 1}
    )
    assert figures["time_to_removal_seconds"]["median"] == (gone_at - first).total_seconds()

    # It comes back: reopened, and due a notice again.
    local_site.put("/gallery", gallery(["known.jpg", "new.jpg"]))
    back = monitor.monitor(db, actor, settings=settings, now=gone_at + timedelta(hours=2))
    assert back[0]["status"] == "notified"
    assert (
        notify.notify(db, actor, settings=settings, now=gone_at + timedelta(hours=2))["sent"][0]["attempt"]
        == 3
    )

    # The command line's monitor runs too (on the real clock, days after T0: the report is due a check).
    assert cli("monitor", "--once") == [
        {"reference": ref, "status": "notified", "removed_after_seconds": None}
    ]

    # Retention: the captured bytes go after retention_days; the hashes stay.
    vault = open_vault(settings, db)
    assert monitor.purge_expired(db, actor, settings=settings, vault=vault, now=T0 + timedelta(days=29)) == 0
    assert monitor.purge_expired(db, actor, settings=settings, vault=vault, now=T0 + timedelta(days=400)) == 2
    assert not any(p.is_file() for p in (tmp_path / "captures").rglob("*") if p.name != "vault.key")
    assert all(i["sha256"] and not i["stored"] for i in views.show(db, ref)["items"])

    # Every step of the way is in the audit chain, and the chain holds.
    shown = views.show(db, ref)
    assert [h["to"] for h in shown["history"]] == [
        "received",
        "captured",
        "assessed",
        "traced",
        "notified",
        "removed",
        "notified",
    ]
    with db.session() as session:
        assert verify(session).ok
        assert len(search(session, AuditFilter(action="hashset.vote"))) == 1
