"""Fixtures for the door tests: one SQLite store reached by the CLI, the API and the pages at once."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner, Result

from netsafe.cli import app
from netsafe.store.db import Database, open_database
from web.helpers import Service, csrf_of, make_service

CONTEXT = "http://github.com/VICSDATAMODEL/ProjectVic/DataModels/2.0.xml/US/$metadata#Media"


class Cli:
    """``netsafe`` in-process (typer's runner) on the store the service uses."""

    def __init__(self, url: str, index_dir: Path) -> None:
        self.env = {"NETSAFE_DATABASE_URL": url, "NETSAFE_INDEX_DIR": str(index_dir)}
        self.runner = CliRunner()

    def __call__(self, *args: str | Path) -> Result:
        return self.runner.invoke(app, [str(a) for a in args], env=self.env)

    def json(self, *args: str | Path) -> Any:
        result = self(*args, "--json")
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout.splitlines()[-1])


class Doors:
    def __init__(self, service: Service, cli: Cli, index_dir: Path) -> None:
        self.service = service
        self.db = service.db
        self.cli = cli
        self.index_dir = index_dir
        self.api = service.client()
        self.curator = service.bearer("curator")
        self._page: TestClient | None = None

    @property
    def page(self) -> TestClient:
        if self._page is None:
            self._page = self.service.signed_in("curator")
        return self._page

    def csrf(self) -> str:
        return csrf_of(self.page)


@pytest.fixture
def doors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Doors]:
    index_dir = tmp_path / "indexes"
    # The service's workers find the index folder the same way the CLI does.
    monkeypatch.setenv("NETSAFE_INDEX_DIR", str(index_dir))
    url = f"sqlite:///{tmp_path / 'doors.db'}"
    db: Database = open_database(url)
    try:
        yield Doors(make_service(db), Cli(url, index_dir), index_dir)
    finally:
        db.dispose()


def vics_list(path: Path, n: int, first: int = 1, bad: bool = False) -> Path:
    records = [
        {
            "MediaID": i,
            "MD5": "not-hex" if bad else f"{i:032x}",
            "Category": 1 + i % 3,
            "IsDistributed": "true",
        }
        for i in range(first, first + n)
    ]
    path.write_text(json.dumps({"@odata.context": CONTEXT, "value": records}))
    return path


def csv_list(path: Path, n: int, first: int = 1000) -> Path:
    rows = ["media_id,md5,category"] + [f"c{i},{i:032x},{'ABC'[i % 3]}" for i in range(first, first + n)]
    path.write_text("\n".join(rows) + "\n")
    return path
