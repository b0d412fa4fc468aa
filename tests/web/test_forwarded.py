"""X-Forwarded-For names the client only when a configured proxy sent it: else any client could forge the
address that is audited and dodge the per-address sign-in limit by rotating the header."""

from __future__ import annotations

import json
import re
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from netsafe.cli import app as cli
from netsafe.store.db import Database
from netsafe.web.config import ConfigError, load_settings

from .helpers import BASE, make_service
from .test_serve import serving


def _fail_logins(client: httpx.Client | TestClient, base: str, n: int, forged: bool) -> list[int]:
    """``n`` wrong passwords, each for another user name (so only the per-address limit can stop them)."""
    codes = []
    for i in range(n):
        form = client.get(f"{base}/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
        assert token is not None
        headers = {"X-Forwarded-For": f"198.51.100.{i + 1}"} if forged else {}
        answer = client.post(
            f"{base}/login",
            data={"username": f"nobody{i}", "password": "wrong", "csrf_token": token.group(1)},
            headers=headers,
        )
        codes.append(answer.status_code)
    return codes


def _login_ips(url: str) -> list[str | None]:
    exported = CliRunner().invoke(
        cli, ["audit", "export", "--action", "login"], env={"NETSAFE_DATABASE_URL": url}
    )
    assert exported.exit_code == 0, exported.output
    return [json.loads(line)["ip"] for line in exported.stdout.splitlines() if line.strip()]


@pytest.mark.slow
def test_a_real_server_ignores_a_forged_header_from_a_local_client(tmp_path: Path) -> None:
    # uvicorn trusts 127.0.0.1 by default: through `netsafe serve` a loopback client's header was believed.
    url = f"sqlite:///{tmp_path / 'netsafe.db'}"
    env = {"NETSAFE_LOGIN_MAX_FAILURES_PER_IP": "3", "NETSAFE_INDEX_DIR": str(tmp_path / "indexes")}
    with serving(url, env=env) as (base, _), httpx.Client() as client:
        codes = _fail_logins(client, base, 5, forged=True)
    assert codes == [401, 401, 401, 429, 429], codes
    assert set(_login_ips(url)) == {"127.0.0.1"}


def test_a_forged_header_from_an_untrusted_client_is_ignored(sqlite_db: Database) -> None:
    service = make_service(sqlite_db, login_max_failures_per_ip=3, forwarded_allow_ips="10.0.0.0/8")
    client = TestClient(service.app, base_url=BASE, client=("192.0.2.7", 40000))
    assert _fail_logins(client, "", 5, forged=True) == [401, 401, 401, 429, 429]
    assert set(_login_ips(str(sqlite_db.url))) == {"192.0.2.7"}


def test_the_header_from_a_configured_proxy_names_the_client(sqlite_db: Database) -> None:
    service = make_service(sqlite_db, login_max_failures_per_ip=3, forwarded_allow_ips="10.0.0.0/8, ::1")
    proxy = TestClient(service.app, base_url=BASE, client=("10.1.2.3", 40000))
    # Each forged address is its own client behind the proxy: none reaches the per-address limit.
    assert _fail_logins(proxy, "", 5, forged=True) == [401] * 5
    assert _login_ips(str(sqlite_db.url)) == [f"198.51.100.{i}" for i in range(1, 6)]
    # One client behind the proxy is still counted.
    assert _fail_logins(proxy, "", 4, forged=False) == [401, 401, 401, 429]
    assert _login_ips(str(sqlite_db.url))[-1] == "10.1.2.3"


def test_a_match_through_the_fast_path_audits_the_proxys_client(sqlite_db: Database) -> None:
    service = make_service(sqlite_db, forwarded_allow_ips="10.0.0.1")
    headers = service.bearer("analyst") | {"X-Forwarded-For": "203.0.113.9"}
    for peer, expected in ((("10.0.0.1", 1), "203.0.113.9"), (("10.0.0.2", 1), "10.0.0.2")):
        client = TestClient(service.app, base_url=BASE, client=peer)
        answer = client.post("/api/v1/match", json={"signals": {"md5": "0" * 32}}, headers=headers)
        assert answer.status_code == 200, answer.text
        exported = CliRunner().invoke(
            cli, ["audit", "export", "--action", "match"], env={"NETSAFE_DATABASE_URL": str(sqlite_db.url)}
        )
        assert json.loads(exported.stdout.splitlines()[-1])["ip"] == expected


@pytest.mark.parametrize("bad", ["localhost", "10.0.0.1/8", "10.0.0.300"])
def test_a_malformed_proxy_address_is_refused_with_one_line(bad: str) -> None:
    with pytest.raises(ConfigError, match="forwarded_allow_ips") as err:
        load_settings(environ={"NETSAFE_FORWARDED_ALLOW_IPS": f"10.0.0.5,{bad}"})
    assert "\n" not in str(err.value) and repr(bad) in str(err.value)


def test_a_toml_list_of_proxies_is_accepted(tmp_path: Path) -> None:
    config = tmp_path / "netsafe.toml"
    config.write_text('[service]\nforwarded_allow_ips = ["10.0.0.5", "10.1.0.0/16"]\n')
    assert load_settings(config, environ={}).forwarded_allow_ips == "10.0.0.5,10.1.0.0/16"


@given(st.lists(st.one_of(st.ip_addresses().map(str), st.text(max_size=30)), max_size=5))
def test_any_proxy_list_is_read_or_refused_with_one_line(items: list[str]) -> None:
    text = ",".join(items)
    try:
        settings = load_settings(environ={"NETSAFE_FORWARDED_ALLOW_IPS": text})
    except ConfigError as err:
        assert "\n" not in str(err) and str(err).startswith("setting ")
    else:
        assert settings.forwarded_allow_ips == text
