"""An audit export is recorded alike whichever door it came through (it used to differ: the CLI kept the
actor and action of the filter, the API the whole filter)."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from netsafe.audit.service import AuditFilter, search
from netsafe.cli import app as cli

from .helpers import Service


def _last_export(service: Service) -> dict[str, object]:
    with service.db.sessions() as session:
        events = search(session, AuditFilter(action="audit.export"), limit=1000)
    assert events
    return dict(json.loads(max(events, key=lambda e: e.seq).details))


def test_cli_and_api_record_an_export_alike(service: Service, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NETSAFE_DATABASE_URL", service.db.url.render_as_string(hide_password=False))
    query = {"action": "login", "since": "2026-01-02T03:04:05+00:00"}
    got = service.client().get("/api/v1/audit/export", params=query, headers=service.bearer("auditor"))
    assert got.status_code == 200
    by_api = _last_export(service)
    ran = CliRunner().invoke(cli, ["audit", "export", "--action", "login", "--since", "2026-01-02T03:04:05"])
    assert ran.exit_code == 0, ran.output
    by_cli = _last_export(service)
    assert by_cli == by_api
    assert by_cli["filter"] == {
        "actor": None,
        "action": "login",
        "outcome": None,
        "since": "2026-01-02T03:04:05+00:00",
        "until": None,
    }
