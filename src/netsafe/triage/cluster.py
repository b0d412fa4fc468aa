"""Where a distributed scan runs (issue 16 §1): the ``--cluster`` address, its TLS files, and the store rule.

``local:N`` means a Dask LocalCluster of N worker processes on this machine; ``tcp://HOST:PORT`` and
``tls://HOST:PORT`` name an existing scheduler. Nothing here imports Dask: the address and the store are
checked before anything is started, so a bad ``--cluster`` costs one line, not a cluster start-up.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from netsafe.errors import InvalidInput

MAX_LOCAL_WORKERS = 256
_LOCAL = re.compile(r"local:([0-9]{1,4})")  # [0-9], not \d, which takes other scripts' digits too
_REMOTE = re.compile(r"(tcp|tls)://(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]{1,253}):([0-9]{1,5})")


class ClusterError(InvalidInput):
    """A ``--cluster`` value, its TLS files or its store are not usable; the message is one line."""


@dataclass(frozen=True, slots=True)
class TlsFiles:
    """The PEM files a worker or client shows the scheduler, and the authority that signed the scheduler's."""

    ca_file: Path
    cert_file: Path
    key_file: Path


@dataclass(frozen=True, slots=True)
class ClusterSpec:
    local_workers: int | None  # None: an existing scheduler at ``address``
    address: str | None
    tls: TlsFiles | None = None

    @property
    def is_local(self) -> bool:
        return self.local_workers is not None


def parse_cluster(text: str, tls: TlsFiles | None = None) -> ClusterSpec:
    """``local:N``, ``tcp://HOST:PORT`` or ``tls://HOST:PORT`` (with ``tls`` files for the last only)."""
    value = text.strip()
    local = _LOCAL.fullmatch(value)
    if local:
        workers = int(local.group(1))
        if not 1 <= workers <= MAX_LOCAL_WORKERS:
            raise ClusterError(f"--cluster local:N: N is 1-{MAX_LOCAL_WORKERS}, got {workers}")
        if tls is not None:
            raise ClusterError(
                "--cluster local:N runs on this machine: the TLS options are for tls:// addresses"
            )
        return ClusterSpec(local_workers=workers, address=None)
    remote = _REMOTE.fullmatch(value)
    if not remote:
        shown = value if len(value) <= 60 and value.isprintable() else "the value given"
        raise ClusterError(
            f"--cluster: {shown!r} is not local:N, tcp://HOST:PORT or tls://HOST:PORT (a scheduler)"
        )
    port = int(remote.group(3))
    if not 1 <= port <= 65535:
        raise ClusterError(f"--cluster: port {port} is not 1-65535")
    if remote.group(1) == "tls":
        if tls is None:
            raise ClusterError(
                "--cluster tls://...: give --tls-ca-file, --tls-cert and --tls-key (docs/scale.md)"
            )
        _check_files(tls)
    elif tls is not None:
        raise ClusterError("--cluster tcp://... is unencrypted: use a tls:// address with the TLS options")
    return ClusterSpec(local_workers=None, address=value, tls=tls)


def _check_files(tls: TlsFiles) -> None:
    for option, path in (
        ("--tls-ca-file", tls.ca_file),
        ("--tls-cert", tls.cert_file),
        ("--tls-key", tls.key_file),
    ):
        if not path.is_file():
            raise ClusterError(f"{option}: no such file (give the PEM file's path)")


def check_store(spec: ClusterSpec, backend: str) -> None:
    """Workers on other machines write to the store themselves: only a shared server database will do.

    SQLite is a file on this machine, so it serves a LocalCluster and nothing else.
    """
    if backend == "sqlite" and not spec.is_local:
        raise ClusterError(
            "--cluster with a scheduler elsewhere needs a PostgreSQL store every worker reaches "
            "(set NETSAFE_DATABASE_URL); SQLite serves only --cluster local:N"
        )
