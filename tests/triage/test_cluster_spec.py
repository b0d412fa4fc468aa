"""The --cluster address, its TLS files and the store rule (issue 16 §1), checked before Dask starts."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from netsafe.errors import InvalidInput
from netsafe.triage.cluster import ClusterError, TlsFiles, check_store, parse_cluster


def _tls(tmp_path: Path) -> TlsFiles:
    for name in ("ca.pem", "cert.pem", "key.pem"):
        (tmp_path / name).write_text("-----BEGIN CERTIFICATE-----\n")
    return TlsFiles(tmp_path / "ca.pem", tmp_path / "cert.pem", tmp_path / "key.pem")


def test_local_and_remote_addresses(tmp_path: Path) -> None:
    assert parse_cluster("local:2").local_workers == 2
    remote = parse_cluster("tcp://10.0.0.5:8786")
    assert (remote.is_local, remote.address) == (False, "tcp://10.0.0.5:8786")
    tls = _tls(tmp_path)
    assert parse_cluster("tls://scheduler.lab:8786", tls).tls == tls
    assert parse_cluster("tls://[::1]:8786", tls).address == "tls://[::1]:8786"


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("local:0", "1-256"),
        ("local:9999", "1-256"),
        ("tcp://host:0", "port 0"),
        ("tcp://host:70000", "port 70000"),
        ("http://host:8786", "not local:N"),
        ("host:8786", "not local:N"),
        ("local:\u0663", "not local:N"),
        ("tls://host:8786", "--tls-ca-file"),
    ],
)
def test_bad_addresses_are_one_line(text: str, says: str) -> None:
    with pytest.raises(ClusterError, match=says) as caught:
        parse_cluster(text)
    assert "\n" not in str(caught.value)
    assert isinstance(caught.value, InvalidInput)  # exit status 2 like every usage error


def test_tls_files_must_exist_and_only_go_with_tls(tmp_path: Path) -> None:
    tls = _tls(tmp_path)
    with pytest.raises(ClusterError, match="unencrypted"):
        parse_cluster("tcp://host:8786", tls)
    with pytest.raises(ClusterError, match="this machine"):
        parse_cluster("local:2", tls)
    (tmp_path / "key.pem").unlink()
    with pytest.raises(ClusterError, match="--tls-key: no such file") as caught:
        parse_cluster("tls://host:8786", tls)
    assert str(tmp_path) not in str(caught.value)  # no path in an error message


def test_sqlite_only_with_a_local_cluster() -> None:
    check_store(parse_cluster("local:2"), "sqlite")
    check_store(parse_cluster("tcp://10.0.0.5:8786"), "postgresql")
    with pytest.raises(ClusterError, match="PostgreSQL"):
        check_store(parse_cluster("tcp://10.0.0.5:8786"), "sqlite")


@given(st.text(max_size=300))
def test_any_text_is_parsed_or_refused_in_one_line(text: str) -> None:
    try:
        spec = parse_cluster(text)
    except ClusterError as err:
        message = str(err)
        assert "\n" not in message
        assert len(message) < 200
        return
    assert spec.is_local or (spec.address or "").startswith("tcp://")
