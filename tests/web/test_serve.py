"""The command line of the service, and real servers: first start, and workers sharing PostgreSQL."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from netsafe.accounts.roles import Permission
from netsafe.audit.service import Actor
from netsafe.cli import app as cli
from netsafe.services.accounts import add_user, create_token
from netsafe.store.db import open_database
from netsafe.store.testing import PostgresServer
from netsafe.web.app import create_app
from netsafe.web.config import Settings

NETSAFE = [sys.executable, "-c", "from netsafe.cli import main; main()"]


def test_user_and_token_commands(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("NETSAFE_DATABASE_URL", url)
    runner = CliRunner()
    added = runner.invoke(cli, ["user", "add", "ann", "--role", "admin"], input="a long password\n")
    assert added.exit_code == 0, added.output
    short = runner.invoke(cli, ["user", "add", "bob", "--role", "analyst"], input="short\n")
    assert short.exit_code == 2 and "too short" in short.output
    bad_role = runner.invoke(cli, ["user", "add", "bob", "--role", "king"], input="a long password\n")
    assert bad_role.exit_code == 2 and "unknown role" in bad_role.output
    made = runner.invoke(cli, ["token", "create", "ci", "--scope", "match,hashsets:read", "--user", "ann"])
    assert made.exit_code == 0, made.output
    secret = made.stdout.strip().splitlines()[-1]
    assert secret.startswith("nst_")
    db = open_database(url)
    try:
        client = TestClient(create_app(Settings(), db), base_url="http://127.0.0.1")
        assert client.get("/api/v1/ready", headers={"Authorization": f"Bearer {secret}"}).status_code == 200
        listed = runner.invoke(cli, ["token", "list"])
        assert "ci" in listed.output and secret not in listed.output
        assert runner.invoke(cli, ["token", "revoke", "ci"]).exit_code == 0
        assert runner.invoke(cli, ["audit", "verify"]).exit_code == 0
    finally:
        db.dispose()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serving(
    url: str, *args: str, env: dict[str, str] | None = None
) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    port = _free_port()
    full_env = (
        os.environ | {"NETSAFE_DATABASE_URL": url, "NETSAFE_INDEX_REFRESH_SECONDS": "0.2"} | (env or {})
    )
    proc = subprocess.Popen(
        [*NETSAFE, "serve", "--host", "127.0.0.1", "--port", str(port), *args],
        env=full_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise AssertionError(f"server exited: {proc.stderr.read() if proc.stderr else ''}")
            try:
                if httpx.get(f"{base}/api/v1/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        else:
            raise AssertionError("server did not start")
        yield base, proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _bearer(url: str, role: str, permissions: frozenset[Permission]) -> dict[str, str]:
    """A user with ``role`` and a token with ``permissions`` in the store at ``url``: the token's header."""
    db = open_database(url)
    with db.session() as session:
        add_user(session, Actor("test"), "someone", role, "a long password")
        secret, _ = create_token(session, Actor("test"), "t", permissions, "someone")
    db.dispose()
    return {"Authorization": f"Bearer {secret}"}


@pytest.mark.slow
def test_first_start_creates_the_schema_and_says_how_to_add_an_admin(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'fresh' / 'netsafe.db'}"
    with serving(url) as (base, proc):
        assert httpx.get(f"{base}/api/v1/ready").status_code == 401
        login = httpx.get(f"{base}/login")
        assert login.status_code == 200 and "Sign in" in login.text
        assert "no-store" in login.headers["cache-control"]
        assert "default-src 'self'" in login.headers["content-security-policy"]
    err = proc.stderr.read() if proc.stderr else ""
    assert "netsafe user add NAME --role admin" in err


@pytest.mark.slow
def test_a_hash_added_through_one_worker_matches_through_another_within_a_second(
    postgres_server: PostgresServer, tmp_path: Path
) -> None:
    url = postgres_server.create_database()
    h = _bearer(url, "curator", frozenset({Permission.MATCH, Permission.HASHSETS_WRITE}))
    env = {"NETSAFE_INDEX_DIR": str(tmp_path / "indexes")}
    with serving(url, env=env) as (one, _), serving(url, "--workers", "2", env=env) as (two, _):
        assert httpx.post(f"{one}/api/v1/hashsets", json={"name": "live"}, headers=h).status_code == 201
        md5 = "5" * 32
        query = {"signals": {"md5": md5}}
        assert httpx.post(f"{two}/api/v1/match", json=query, headers=h).json()["matches"] == []
        added = httpx.post(
            f"{one}/api/v1/hashsets/live/entries", json={"entries": [{"signals": {"md5": md5}}]}, headers=h
        )
        assert added.status_code == 200
        start = time.monotonic()
        seen = []
        # Several requests, so both of the second server's worker processes answer some.
        # The mechanism: each worker re-reads versions every index_refresh_seconds (0.2 s here, 0.5 s by
        # default). The window leaves room for request time on a busy 2-core CI machine.
        while time.monotonic() - start < 2.0:
            got = httpx.post(f"{two}/api/v1/match", json=query, headers=h).json()["matches"]
            seen.append(bool(got))
            if len(seen) >= 6 and all(seen[-6:]):
                break
            time.sleep(0.05)
        assert len(seen) >= 6 and all(seen[-6:]), seen


@pytest.mark.slow
def test_two_workers_on_one_sqlite_file_answer_and_audit_every_match(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'netsafe.db'}"
    h = _bearer(url, "curator", frozenset({Permission.MATCH, Permission.HASHSETS_WRITE}))
    md5 = "7" * 32
    env = {"NETSAFE_INDEX_DIR": str(tmp_path / "indexes"), "NETSAFE_RATE_LIMIT_PER_MINUTE": "0"}
    with serving(url, "--workers", "2", env=env) as (base, proc):
        assert httpx.post(f"{base}/api/v1/hashsets", json={"name": "s"}, headers=h).status_code == 201
        entries = {"entries": [{"signals": {"md5": md5}, "category": "B"}]}
        assert httpx.post(f"{base}/api/v1/hashsets/s/entries", json=entries, headers=h).status_code == 200
        time.sleep(1.0)  # both workers' indexes catch up (0.2 s here)

        def ask(i: int) -> tuple[int, int]:
            # A new connection each time, so that both worker processes answer and write the audit.
            query = {"signals": {"md5": md5 if i % 2 else "8" * 32}}
            answer = httpx.post(f"{base}/api/v1/match", json=query, headers=h, timeout=60)
            return answer.status_code, len(answer.json().get("matches", []))

        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(16) as pool:
            answers = list(pool.map(ask, range(300)))
    assert answers == [(200, i % 2) for i in range(300)]
    err = proc.stderr.read() if proc.stderr else ""
    assert "the workers share one SQLite file" in err
    verified = CliRunner().invoke(cli, ["audit", "verify"], env={"NETSAFE_DATABASE_URL": url})
    assert verified.exit_code == 0, verified.output
    exported = CliRunner().invoke(
        cli, ["audit", "export", "--action", "match"], env={"NETSAFE_DATABASE_URL": url}
    )
    assert exported.exit_code == 0
    assert len([line for line in exported.stdout.splitlines() if line.strip()]) == 300


@pytest.mark.slow
def test_the_workers_of_one_server_share_each_tokens_rate_limit(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'netsafe.db'}"
    h = _bearer(url, "analyst", frozenset({Permission.MATCH}))
    temp = tmp_path / "tmp"
    temp.mkdir()
    env = {
        "NETSAFE_INDEX_DIR": str(tmp_path / "indexes"),
        "NETSAFE_RATE_LIMIT_PER_MINUTE": "1",
        "NETSAFE_RATE_LIMIT_BURST": "6",
        "TMPDIR": str(temp),  # where the command makes the workers' shared file
    }
    with serving(url, "--workers", "2", env=env) as (base, _):
        codes = [
            # A new connection each time, so that both workers answer.
            httpx.post(f"{base}/api/v1/match", json={"signals": {"md5": "9" * 32}}, headers=h).status_code
            for _ in range(20)
        ]
        assert next(p.name for p in temp.iterdir()).startswith("netsafe-serve-")
    assert codes.count(200) == 6 and codes.count(429) == 14, codes  # the burst once, not once per worker
    assert list(temp.iterdir()) == []  # removed when the server stopped
