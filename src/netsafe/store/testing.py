"""A throwaway PostgreSQL server for tests and benchmarks: initdb into a temporary directory, start it on
127.0.0.1 with a free port, hand out fresh databases, remove everything on stop.

PostgreSQL refuses to run as root, so as root the data directory is given to the ``postgres`` system user
(which the Debian package creates) and the server runs as that user through ``runuser``.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType

SUPERUSER = "netsafe"
# What benchmarks of big imports give the server (docs/scale.md recommends the same for a production store):
# the entries' indexes in shared memory instead of the default 128 MB, and no checkpoint in the middle of
# a 1M-entry merge. Tests keep the defaults.
BULK_LOAD_SETTINGS = {"shared_buffers": "1GB", "max_wal_size": "8GB"}


class PostgresUnavailableError(RuntimeError):
    """No PostgreSQL server binaries, or the server would not start; the message says which."""


def find_bindir() -> Path:
    """The newest PostgreSQL server bindir: Debian keeps them off PATH under /usr/lib/postgresql/N/bin."""
    override = os.environ.get("NETSAFE_PG_BINDIR")
    candidates = [override] if override else []
    candidates += sorted(
        glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(p.split("/")[-2]), reverse=True
    )
    on_path = shutil.which("initdb")
    if on_path:
        candidates.append(str(Path(on_path).parent))
    for candidate in candidates:
        if (Path(candidate) / "initdb").is_file() and (Path(candidate) / "pg_ctl").is_file():
            return Path(candidate)
    raise PostgresUnavailableError(
        "PostgreSQL server binaries not found (install the Debian package `postgresql`, "
        "see scripts/system-packages.txt, or set NETSAFE_PG_BINDIR)"
    )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class PostgresServer:
    def __init__(self, settings: Mapping[str, str] | None = None) -> None:
        """``settings``: extra server settings (``{"shared_buffers": "1GB"}``), given at start."""
        self.settings = dict(settings or {})
        for name, value in self.settings.items():
            if not name.replace("_", "").isalnum() or not value.replace(".", "").replace("_", "").isalnum():
                raise ValueError(f"server settings here are [A-Za-z0-9_.]: {name}={value}")
        self.bindir = find_bindir()
        self.port = 0
        self.root = Path(tempfile.mkdtemp(prefix="netsafe-pg-"))
        self.datadir = self.root / "data"
        self._user: str | None = None
        self._started = False
        if os.geteuid() == 0:
            try:
                entry = pwd.getpwnam("postgres")
            except KeyError:
                raise PostgresUnavailableError(
                    "running as root and no `postgres` user exists to run the server as"
                ) from None
            self._user = "postgres"
            os.chown(self.root, entry.pw_uid, entry.pw_gid)
            self.root.chmod(0o700)

    def _run(self, *args: str, timeout: float = 60) -> None:
        cmd = [str(self.bindir / args[0]), *args[1:]]
        if self._user:
            cmd = ["runuser", "-u", self._user, "--", *cmd]
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
        if done.returncode != 0:
            detail = (done.stderr or done.stdout).strip().splitlines()
            raise PostgresUnavailableError(f"{args[0]} failed: {detail[-1] if detail else done.returncode}")

    def start(self) -> PostgresServer:
        self._run(
            "initdb",
            "-D",
            str(self.datadir),
            "-U",
            SUPERUSER,
            "--auth=trust",
            "-E",
            "UTF8",
            "--no-sync",
            "--locale=C",
        )
        # Durability is worthless for a throwaway server and costs seconds per test run.
        options = (
            f"-c listen_addresses=127.0.0.1 -c unix_socket_directories={self.root} -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        )
        options += "".join(f" -c {name}={value}" for name, value in self.settings.items())
        for _attempt in range(3):
            self.port = _free_port()
            try:
                self._run(
                    "pg_ctl",
                    "-D",
                    str(self.datadir),
                    "-l",
                    str(self.root / "log"),
                    "-w",
                    "-t",
                    "30",
                    "-o",
                    f"{options} -p {self.port}",
                    "start",
                )
            except PostgresUnavailableError:
                continue  # the port was taken between choosing it and binding it
            self._started = True
            return self
        log = self.root / "log"
        tail = log.read_text(errors="replace").strip().splitlines()[-1:] if log.exists() else []
        self.stop()
        raise PostgresUnavailableError(f"PostgreSQL would not start: {tail[0] if tail else 'no log'}")

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str | None = None, template: str | None = None) -> str:
        """A new database (empty, or a copy of ``template``); returns its SQLAlchemy URL."""
        import psycopg

        name = name or f"t_{uuid.uuid4().hex[:16]}"
        for ident in (name, template or "x"):
            if not ident.replace("_", "").isalnum():
                raise ValueError(f"database names here are [A-Za-z0-9_]: {ident!r}")
        copy = f' TEMPLATE "{template}"' if template else ""
        with psycopg.connect(
            host="127.0.0.1", port=self.port, user=SUPERUSER, dbname="postgres", autocommit=True
        ) as conn:
            conn.execute(f'CREATE DATABASE "{name}"{copy}'.encode())
        return self.url(name)

    def stop(self) -> None:
        if self._started:
            with contextlib.suppress(PostgresUnavailableError, subprocess.TimeoutExpired):
                self._run("pg_ctl", "-D", str(self.datadir), "-m", "immediate", "-w", "stop")
            self._started = False
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> PostgresServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
