"""``--cluster tls://``: a scheduler and worker on 127.0.0.1 with certificates made as docs/scale.md says
(openssl, one authority for the cluster); the scan connects with its own certificate, and a certificate
from another authority is refused in one line."""

from __future__ import annotations

import logging
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from netsafe.audit.service import Actor
from netsafe.store import Database, open_database
from netsafe.store.pytest_fixtures import empty_postgres, postgres_server, postgres_store
from netsafe.triage import cluster_run, service
from netsafe.triage.cluster import ClusterError, TlsFiles, parse_cluster
from netsafe.triage.pipeline import ScanConfig

from .conftest import Evidence

distributed = pytest.importorskip("distributed")

ACTOR = Actor("test")
__all__ = ["postgres_server", "postgres_store"]


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


def _authority(folder: Path, names: tuple[str, ...]) -> None:
    """ca.pem and NAME.pem / NAME-key.pem for each name, as docs/scale.md makes them."""
    folder.mkdir()
    _openssl(
        "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=test cluster CA",
        "-keyout", "ca-key.pem", "-out", "ca.pem", cwd=folder,
    )  # fmt: skip
    for name in names:
        _openssl(
            "req", "-newkey", "rsa:2048", "-nodes", "-subj", f"/CN={name}", "-keyout", f"{name}-key.pem",
            "-out", f"{name}.csr", cwd=folder,
        )  # fmt: skip
        _openssl(
            "x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca-key.pem", "-CAcreateserial",
            "-days", "2", "-out", f"{name}.pem", cwd=folder,
        )  # fmt: skip


def _files(folder: Path, name: str) -> TlsFiles:
    return TlsFiles(folder / "ca.pem", folder / f"{name}.pem", folder / f"{name}-key.pem")


@pytest.fixture()
def pg(postgres_store: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Database]:
    monkeypatch.setenv("NETSAFE_INDEX_DIR", str(tmp_path / "indexes"))
    empty_postgres(postgres_store)
    db = open_database(postgres_store)
    try:
        yield db
    finally:
        db.dispose()


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command")
def test_tls_cluster_takes_its_own_certificates_only(
    pg: Database, evidence: Evidence, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ours, theirs = tmp_path / "ours", tmp_path / "theirs"
    _authority(ours, ("scheduler", "worker", "client"))
    _authority(theirs, ("client",))
    security = distributed.Security(
        tls_ca_file=str(ours / "ca.pem"),
        tls_scheduler_cert=str(ours / "scheduler.pem"),
        tls_scheduler_key=str(ours / "scheduler-key.pem"),
        tls_worker_cert=str(ours / "worker.pem"),
        tls_worker_key=str(ours / "worker-key.pem"),
        tls_client_cert=str(ours / "client.pem"),
        tls_client_key=str(ours / "client-key.pem"),
        require_encryption=True,
    )
    src = tmp_path / "src"
    src.mkdir()
    (src / "a.jpg").write_bytes(evidence.orig)
    (src / "b.png").write_bytes(evidence.unmatched[0])
    monkeypatch.setattr(cluster_run, "CONNECT_SECONDS", 3)
    with distributed.LocalCluster(
        n_workers=1,
        threads_per_worker=1,
        protocol="tls://",
        host="127.0.0.1",
        security=security,
        dashboard_address=None,
        silence_logs=logging.ERROR,
    ) as cluster:
        address = cluster.scheduler_address
        assert address.startswith("tls://127.0.0.1:")
        with pytest.raises(ClusterError, match="cannot reach the scheduler") as refused:
            spec = parse_cluster(address, _files(theirs, "client"))
            service.scan(
                pg, ACTOR, ScanConfig(sources=(str(src),), out_dir=str(tmp_path / "x")), cluster=spec
            )
        assert str(tmp_path) not in str(refused.value)  # names no file
        spec = parse_cluster(address, _files(ours, "client"))
        config = ScanConfig(sources=(str(src),), out_dir=str(tmp_path / "out"), workers=1)
        outcome = service.scan(pg, ACTOR, config, cluster=spec)
    assert outcome.summary["files"] == 2
