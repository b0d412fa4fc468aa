"""Where the store lives and how to open it: one engine and session factory per database URL.

SQLite is the embedded default (a file under the user's data directory, in WAL mode so readers never block
the writer); ``NETSAFE_DATABASE_URL`` points netsafe at another database, PostgreSQL for teams and for the
web service's several workers. The schema is owned by Alembic: :func:`open_database` upgrades it to head.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import Any

from platformdirs import user_data_path
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.engine.url import URL
from sqlalchemy.exc import ArgumentError, IntegrityError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from netsafe.store.errors import StoreBusyError, StoreConflictError, StoreError, StoreInputError
from netsafe.store.writeturn import WriteTurn

__all__ = [
    "ENV_URL",
    "SQLITE_BUSY_TIMEOUT_MS",
    "Database",
    "StoreBusyError",
    "StoreError",
    "database_url",
    "default_database_path",
    "make_engine",
    "open_database",
    "sqlite_path",
]

ENV_URL = "NETSAFE_DATABASE_URL"
SQLITE_BUSY_TIMEOUT_MS = 30_000
WRITE_TURN_TIMEOUT = SQLITE_BUSY_TIMEOUT_MS / 1000  # seconds a writer thread waits for another of its process


def default_database_path() -> Path:
    return user_data_path("netsafe", appauthor=False) / "netsafe.db"


def database_url(url: str | None = None) -> URL:
    """The URL to use: ``url``, else ``$NETSAFE_DATABASE_URL``, else SQLite under the user's data dir.

    ``postgresql://`` URLs get the psycopg (v3) driver, the one netsafe ships with.
    """
    text = url or os.environ.get(ENV_URL) or f"sqlite:///{default_database_path()}"
    try:
        parsed = make_url(text)
    except ArgumentError:
        raise StoreInputError(f"{ENV_URL}: not a database URL: {_hide_password(text)!r}") from None
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() not in ("sqlite", "postgresql"):
        raise StoreInputError(
            f"unsupported database {parsed.get_backend_name()!r}: use sqlite:///PATH or postgresql://..."
        )
    return parsed


def _hide_password(text: str) -> str:
    # Never echo a password back: URLs end up in logs and terminals.
    head, sep, tail = text.partition("@")
    if not sep or "://" not in head:
        return text
    scheme, _, creds = head.partition("://")
    user = creds.split(":", 1)[0]
    return f"{scheme}://{user}:***@{tail}"


def sqlite_path(url: URL) -> Path | None:
    """The file of a SQLite URL (None for in-memory or non-SQLite)."""
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    return Path(url.database)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        # WAL: readers (match, the web workers) keep reading while an import writes.
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    finally:
        cursor.close()


def make_engine(url: URL) -> Engine:
    if url.get_backend_name() == "sqlite":
        path = sqlite_path(url)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
        # A pool of open connections (the pragmas run once per connection, on connect): opening a SQLite
        # file and setting its pragmas for every session cost ~1 ms a web request. Beyond pool_size,
        # connections open on demand and close on return; SQLAlchemy hands a pooled pysqlite connection to
        # one thread at a time.
        if path is None:  # in memory: SQLAlchemy's one-connection pool, the only way to share the database
            engine = create_engine(url)
        else:
            engine = create_engine(url, pool_size=8, max_overflow=-1, pool_pre_ping=False)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True)


class Database:
    """An engine, its session factory, and the URL it was opened from."""

    def __init__(self, url: URL) -> None:
        self.url = url
        self.engine = make_engine(url)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        path = sqlite_path(url)
        self._turn = WriteTurn(path, WRITE_TURN_TIMEOUT) if path is not None else None

    @property
    def backend(self) -> str:
        return self.url.get_backend_name()

    @property
    def display_url(self) -> str:
        return self.url.render_as_string(hide_password=True)

    @contextmanager
    def session(self, lock_wait: float | None = None) -> Iterator[Session]:
        """A session in one transaction: committed when the block ends, rolled back if it raises.

        Database failures (server gone, locked past the busy timeout, a concurrent writer's unique name)
        come out as :class:`StoreError` with one line, never as a driver traceback; a SQLite write lock
        held past the wait as :class:`StoreBusyError`. ``lock_wait`` (seconds, SQLite only) replaces the
        busy timeout of :data:`SQLITE_BUSY_TIMEOUT_MS` for this transaction: for a writer that has
        somewhere else to go (the audit writer's journal) rather than wait behind an import.
        """
        try:
            with self.sessions.begin() as session:
                if lock_wait is None or self.backend != "sqlite":
                    yield session
                else:
                    with _busy_timeout(session, lock_wait):
                        yield session
        except OperationalError as err:
            if _is_busy(err):
                raise StoreBusyError(
                    f"the store is busy: another process holds its write lock ({self.backend})"
                ) from err
            raise StoreError(f"database error ({self.backend}): {_first_line(err.orig or err)}") from err
        except IntegrityError as err:
            raise StoreConflictError(f"the store refused a change (another process changed it at the same "
                                     f"time?): {_first_line(err.orig or err)}") from err  # fmt: skip
        except SQLAlchemyError as err:
            # Not the URL: error messages reach API clients and logs, and a URL can name hosts and paths.
            cause = getattr(err, "orig", None) or err
            raise StoreError(f"database error ({self.backend}): {_first_line(cause)}") from err

    def write_turn(self) -> AbstractContextManager[None]:
        """Wait for this process's turn to write, behind the other processes' (SQLite files; a no-op on
        PostgreSQL, whose row locks queue writers without sleeping). For the busiest writer, the audit."""
        return nullcontext() if self._turn is None else self._turn()

    def dispose(self) -> None:
        if self._turn is not None:
            self._turn.close()
        self.engine.dispose()


def open_database(url: str | None = None, migrate: bool = True) -> Database:
    """Open (and by default create or upgrade) the store at ``url`` / ``$NETSAFE_DATABASE_URL``."""
    db = Database(database_url(url))
    if migrate:
        from netsafe.store.migrate import upgrade

        try:
            upgrade(db)
        except Exception as err:
            db.dispose()
            # No URL in the message (issue 18 item 11): errors reach logs and screens the operator's
            # secrets should not; the backend and the driver's own first line are what a fix needs.
            raise StoreError(
                f"cannot open the {db.backend} store named by {ENV_URL} (or the default): {_first_line(err)}"
            ) from err
    return db


@contextmanager
def _busy_timeout(session: Session, seconds: float) -> Iterator[None]:
    # On the driver's connection, not through the session: the session may be failed by the time it is
    # restored, and the pooled connection must go back with the ordinary timeout either way.
    raw = session.connection().connection.dbapi_connection
    assert raw is not None
    raw.execute(f"PRAGMA busy_timeout={max(0, int(seconds * 1000))}")
    try:
        yield
    finally:
        raw.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")


def _is_busy(err: OperationalError) -> bool:
    """SQLite's SQLITE_BUSY or SQLITE_LOCKED, extended codes included (BUSY_SNAPSHOT, ...)."""
    code = getattr(err.orig, "sqlite_errorcode", None)
    return isinstance(code, int) and code & 0xFF in (5, 6)


def _first_line(err: BaseException) -> str:
    text = str(err).strip().splitlines()
    return text[0] if text else type(err).__name__
