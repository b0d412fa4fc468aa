"""The monitor inside ``netsafe serve``: one worker holds the lease and monitors, the others stand by."""

from __future__ import annotations

import time
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import select

from netsafe.audit.service import Actor
from netsafe.deterrence import lists
from netsafe.hotline import intake
from netsafe.hotline.assessment import Verdict, assess
from netsafe.hotline.intake import NewReport, submit
from netsafe.hotline.models import MonitorLeaseRow
from netsafe.hotline.settings import HotlineSettings
from netsafe.hotline.states import Outcome
from netsafe.store.db import Database
from netsafe.web import monitor_task
from netsafe.web.app import create_app
from netsafe.web.config import Settings


def _settings(tmp: Path, **extra: object) -> Settings:
    hotline = HotlineSettings(capture_dir=tmp / "c", key_file=tmp / "k", **extra)  # type: ignore[arg-type]
    return Settings(rate_limit_per_minute=0, hotline=hotline)


def test_one_worker_at_a_time(sdb: Database, tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    assert monitor_task.tick(sdb, settings, "worker-a", 60)
    assert not monitor_task.tick(sdb, settings, "worker-b", 60)
    assert monitor_task.tick(sdb, settings, "worker-a", 60)
    assert not (tmp_path / "k").exists()  # nothing to purge: no vault opened, no key file made


def test_a_round_brings_the_deterrence_list_up_to_date(sdb: Database, tmp_path: Path) -> None:
    ref = submit(sdb, intake.PUBLIC, [NewReport("http://files.example.org/a.jpg")], "public")[0].reference
    assess(sdb, Actor("t"), "alice", ref, Verdict(Outcome.CRIMINAL, category="B", age_band="11-13"))
    assert monitor_task.tick(sdb, _settings(tmp_path), "worker-a", 60)
    [url] = [e["value"] for e in lists.live_entries(sdb, "url", "hotline")]
    assert "files.example.org/a.jpg" in url


def test_serve_starts_the_monitor(sdb: Database, tmp_path: Path) -> None:
    app = create_app(_settings(tmp_path), sdb)
    with TestClient(app, base_url="http://127.0.0.1"):
        deadline = time.monotonic() + 30  # the first round waits 2.5-7.5 s
        holder = None
        while time.monotonic() < deadline and holder is None:
            with sdb.session() as session:
                holder = session.scalar(select(MonitorLeaseRow.holder))
            time.sleep(0.05)
    assert holder is not None and holder.count(":") == 2


def test_serve_without_the_monitor(sdb: Database, tmp_path: Path) -> None:
    app = create_app(_settings(tmp_path, monitor_in_service=False), sdb)
    with TestClient(app, base_url="http://127.0.0.1"):
        time.sleep(8)
    with sdb.session() as session:
        assert session.scalar(select(MonitorLeaseRow.holder)) is None
