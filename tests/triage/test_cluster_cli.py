"""``netsafe scan --cluster`` on the command line: a LocalCluster on the SQLite store of this machine,
and the one-line refusals that come before any cluster starts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from netsafe.cli import app

from .conftest import Evidence, make_db

pytest.importorskip("distributed")


@pytest.fixture()
def env(tmp_path: Path, evidence: Evidence, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    make_db(tmp_path, evidence).dispose()
    monkeypatch.setenv("NETSAFE_INDEX_DIR", str(tmp_path / "indexes"))
    return {"NETSAFE_DATABASE_URL": f"sqlite:///{tmp_path / 'netsafe.db'}"}


def _scan(args: list[str], env: dict[str, str]) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["scan", *args, "--quiet"], env=env)
    return result.exit_code, result.output


def test_local_cluster_scans_on_sqlite(tmp_path: Path, evidence: Evidence, env: dict[str, str]) -> None:
    one, two = tmp_path / "one", tmp_path / "two"
    code, _ = _scan([str(evidence.folder), "--out", str(one), "--workers", "1"], env)
    assert code == 0
    code, output = _scan([str(evidence.folder), "--out", str(two), "--cluster", "local:1"], env)
    assert code == 0, output
    reports = [json.loads((d / "report.json").read_text()) for d in (one, two)]
    for report in reports:
        for key in ("id", "started", "finished", "elapsed_seconds"):
            report["scan"].pop(key)
    assert reports[0] == reports[1]


@pytest.mark.parametrize(
    ("extra", "says"),
    [
        (["--cluster", "tcp://127.0.0.1:9"], "needs a PostgreSQL store"),
        (["--cluster", "local:0"], "N is 1-256"),
        (["--tls-cert", "c.pem"], "go with --cluster tls://"),
        (["--cluster", "tls://127.0.0.1:9", "--tls-cert", "c.pem"], "all three"),
    ],
)
def test_cluster_refusals_are_one_line(
    tmp_path: Path, evidence: Evidence, env: dict[str, str], extra: list[str], says: str
) -> None:
    code, output = _scan([str(evidence.folder), "--out", str(tmp_path / "out"), *extra], env)
    assert code == 2
    assert says in output and "Traceback" not in output
    assert "netsafe.db" not in output  # never the store's path
    assert not (tmp_path / "out").exists()
