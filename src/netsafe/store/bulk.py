"""Bulk loading of an import's entries: a staging table filled by the backend's bulk path, then merged into
``entries`` by a few set-based statements.

Row by row through the ORM a 1M-entry import took 250-285 s; most of it was SQLAlchemy's per-row parameter
processing and, on SQLite, random inserts into the indexes of a table far larger than the page cache.
Here the rows travel as plain tuples (``executemany`` on the raw sqlite3 connection, ``COPY`` on
PostgreSQL) into a temporary table private to the connection, which costs no lock on the store: on SQLite
it is filled before the write transaction begins, so the store's write lock is held only for the merge
(the key check, one ``INSERT ... SELECT``, one ``UPDATE ... FROM``) and the audit event, and the web
workers' audit writers wait seconds, not the whole import. A key repeated within the file is found in the
staging table by one grouped query, in constant Python memory.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Index, Table
from sqlalchemy.orm import Session
from sqlalchemy.schema import CreateIndex, DropIndex

from netsafe.hashsets.stage_rows import COLUMNS, key_digest
from netsafe.signals.types import ENTRY_SIGNALS
from netsafe.store import partitions
from netsafe.store.errors import StoreBusyError, StoreConflictError, StoreError
from netsafe.store.feeder import Feeder
from netsafe.store.models import EntryRow

STAGE = "netsafe_import_stage"
_JSON = {"vpdq", "alternative_hashes", "tags", "media_files", "extra"}
_BOOL = {"victim_identified", "offender_identified", "distributed"}
_TIME = {"first_seen", "last_seen"}
_INT = {"media_size", "origin_record"}
# Page cache of the import's connection (KiB, SQLite's negative form): enough for the B-trees the merge
# inserts into at random to stay in memory at 10M entries, and a fixed bound however large the file.
SQLITE_CACHE_KIB = 256 * 1024
# Helper threads SQLite's sorter may use for the stage's index and the index rebuild (0: none, SQLite's
# default); set back after a failed import, and a successful one's connection leaves the pool.
SQLITE_SORT_THREADS = 0
# ... and for the rebuild of the signal indexes after a big merge: up to this many threads, with this page
# cache (KiB), small enough that the sorter spills sorted runs it can then sort and merge in parallel.
SQLITE_SORT_THREADS_MAX = 4
SQLITE_SORT_CACHE_KIB = 16 * 1024
# SQLite: a new set's staged rows are copied into ``entries`` this many at a time while the file is still
# read (what is left after the last record is at most this); None: all at the end.
SQLITE_MERGE_CHUNK_ROWS: int | None = 50_000
# The staged rows looked at for the signals a file carries (the indexes of the others are not rebuilt).
SIGNAL_SAMPLE_ROWS = 50_000
# Below this many staged rows the signal indexes are kept as they are (their inserts are cheap).
REBUILD_MIN_ROWS = 50_000
# ... and kept too when the table is over this many times the stage (rebuilding would sort all of it).
REBUILD_SHARE = 4
# PostgreSQL: staged rows are merged into ``entries`` this many at a time while the file is still read
# (None: all at the end). A chunk's merge takes the server a fraction of a second, shorter than reading
# what the feeder's queue holds meanwhile.
MERGE_CHUNK_ROWS: int | None = 20_000
# Batches of staged rows (5,000 each from the import) waiting for the staging thread: its memory bound.
FEEDER_DEPTH = 6
# The signal indexes of ``entries``, which an import of random hashes inserts into at random. The key
# digest's unique index stays (SQLite cannot drop a table's constraint), and so does the one on the set
# and version, whose new keys are all at its end.
_REBUILT = [
    index
    for index in cast(Table, EntryRow.__table__).indexes
    if [c.name for c in index.columns] in ([name] for name in (*ENTRY_SIGNALS, "photodna_key"))
]


def _sql_type(column: str, backend: str) -> str:
    if column in _JSON:
        return "JSON" if backend == "postgresql" else "TEXT"
    if column in _BOOL:
        return "BOOLEAN"
    if column in _TIME:
        return "TIMESTAMP WITH TIME ZONE" if backend == "postgresql" else "TEXT"
    if column in _INT:
        return "BIGINT"
    return "TEXT"


def _insert_select(marks: str, values: Sequence[str]) -> str:
    """The head of an ``INSERT INTO entries ... SELECT`` of staged rows, up to its ``FROM``: ``marks``
    give the set and the two versions, ``values`` the staged columns in :data:`COLUMNS` order."""
    return (
        f"INSERT INTO entries (hash_set_id, added_version, updated_version, {', '.join(COLUMNS)}) "
        f"SELECT {marks}, {', '.join(values)} FROM "
    )


class StagedDuplicateError(Exception):
    """The merge of a new set met a key twice in the stage: take them out (:meth:`Staging.duplicates`),
    then merge again."""


@dataclass(slots=True)
class StagedDuplicate:
    """A record whose key an earlier record of the same import already had."""

    origin_file: str | None
    origin_record: int | None
    key_kind: str
    key_value: str
    first_record: int | None


class Staging:
    """The import's staging table on ``session``'s connection (which must stay the same throughout)."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.backend = session.get_bind().dialect.name
        self.sqlite = self.backend == "sqlite"
        connection = session.connection().connection.dbapi_connection
        assert connection is not None
        self.raw: Any = connection
        self.rows = 0
        self._indexed = False
        self._dropped: list[Index] = []  # the signal indexes dropped for the merge, built again after it
        self._began = False
        # Merging while staging: the target (set, version, new set), the stage's seq merged so far and
        # what those merges added and updated; on PostgreSQL also the staging thread and what it staged.
        self._target: tuple[int, int, bool] | None = None  # None: no more merging while staging
        self._merged_into: tuple[int, int, bool] | None = None
        self._merged = 0
        self._done = (0, 0)
        self._feeder: Feeder[list[tuple[Any, ...]]] | None = None
        self._copied = 0
        self._unique = False  # the new set's partition took its unique key: no duplicate query
        # PostgreSQL, a new set: its id while its rows go straight into its bare partition (_staged_in).
        self._bare: int | None = None
        self._driver_errors: tuple[type[Exception], ...] = (sqlite3.Error,)
        self._conflict_errors: tuple[type[Exception], ...] = (sqlite3.IntegrityError,)
        if not self.sqlite:
            import psycopg  # the optional PostgreSQL driver: only there when that is the store

            self._driver_errors = (psycopg.Error,)
            self._conflict_errors = (psycopg.IntegrityError,)
        columns = ", ".join(f"{c} {_sql_type(c, self.backend)}" for c in COLUMNS)
        if self.sqlite:
            # Own page cache and no journal for the temporary database; the main one's cache is raised for
            # the merge and set back in close() (the connection returns to a pool).
            self._execute(f"DROP TABLE IF EXISTS temp.{STAGE}")
            self._execute(f"PRAGMA temp.cache_size=-{SQLITE_CACHE_KIB // 4}")
            if SQLITE_SORT_THREADS:
                self._execute(f"PRAGMA threads={SQLITE_SORT_THREADS}")
            self._execute(f"CREATE TEMP TABLE {STAGE} (seq INTEGER PRIMARY KEY, {columns})")
            self._insert = (
                f"INSERT INTO temp.{STAGE} ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})"
            )
        else:
            # Dropped with the transaction whichever way it ends: nothing is left on a pooled connection.
            self._execute(f"CREATE TEMP TABLE {STAGE} (seq BIGSERIAL PRIMARY KEY, {columns}) ON COMMIT DROP")
            self._execute(f"ALTER TABLE {STAGE} SET (autovacuum_enabled = false)")

    def _execute(self, sql: str, params: Sequence[Any] | None = None) -> Any:
        with self.errors():
            cursor = self.raw.cursor()
            cursor.execute(sql, tuple(params or ()))
            return cursor

    @contextlib.contextmanager
    def errors(self) -> Iterator[None]:
        """The driver's errors on the raw connection as the store's one-line ones (as Database.session
        gives for SQLAlchemy's): never a driver traceback, never the database's URL."""
        try:
            yield
        except self._driver_errors as err:
            code = getattr(err, "sqlite_errorcode", None)
            first = (str(err).strip().splitlines() or [type(err).__name__])[0]
            if isinstance(code, int) and code & 0xFF in (5, 6):
                raise StoreBusyError(
                    f"the store is busy: another process holds its write lock ({self.backend})"
                ) from err
            if isinstance(err, self._conflict_errors):
                raise StoreConflictError(
                    f"the store refused a change (another process changed it at the same time?): {first}"
                ) from err
            raise StoreError(f"database error ({self.backend}): {first}") from err

    def likely_set_id(self) -> int:
        """The id a set created now would get (SQLite gives the next rowid): a new set's key digests are
        staged with it, and :meth:`merge` computes them again only if another set took that id meanwhile."""
        return int(self._execute("SELECT COALESCE(MAX(id), 0) + 1 FROM hash_sets").fetchone()[0])

    def merge_while_staging(self, hash_set_id: int, version: int, new_set: bool) -> None:
        """Merge staged rows into the set at ``version`` while the file is still read, so that the merge
        overlaps the reading instead of following the last record; :meth:`merge` then merges what is left.
        Everything stays in the import's one transaction: a failure, or duplicates the caller refuses,
        still leave nothing.

        PostgreSQL, a new set: a thread copies the rows straight into its bare partition
        (:meth:`_load_bare`), which :meth:`merge` attaches. PostgreSQL, an existing set: a thread stages
        and merges every :data:`MERGE_CHUNK_ROWS` staged rows; a key repeated within the file is merged
        once, by its first record (what :meth:`duplicates` then reports keeps the same record).
        SQLite: a new set only, with the write lock taken (:meth:`begin_merge`); every
        :data:`SQLITE_MERGE_CHUNK_ROWS` staged rows are copied into it (the copy was 4.7 s of a 1M import
        after its last record). A repeated key fails a chunk's ``INSERT`` on the unique key digest: the
        rows copied so far are deleted and :meth:`merge` does the whole merge after the duplicates are
        out, as it would have."""
        target = (hash_set_id, version, new_set)
        if self.sqlite:
            if new_set and self._began and SQLITE_MERGE_CHUNK_ROWS is not None:
                self._target = self._merged_into = target
            return
        if new_set:
            self._load_bare(hash_set_id, version)
            return
        if MERGE_CHUNK_ROWS is None:
            return
        self._target = self._merged_into = target
        self._feeder = Feeder(self._stage, FEEDER_DEPTH)

    def _load_bare(self, hash_set_id: int, version: int) -> None:
        """PostgreSQL, a new set: its rows go straight into its partition, created bare by the import
        (``create_set(bare=True)``): no index to insert into, no stage to copy from; the set, the versions
        are the table's defaults until :meth:`merge` attaches it. A thread copies while the file is read."""
        name = partitions.partition_name(hash_set_id)
        self._execute(
            f"ALTER TABLE {name} ALTER COLUMN hash_set_id SET DEFAULT {int(hash_set_id)}, "
            f"ALTER COLUMN added_version SET DEFAULT {int(version)}, "
            f"ALTER COLUMN updated_version SET DEFAULT {int(version)}"
        )
        self._bare = int(hash_set_id)
        self._merged_into = (hash_set_id, version, True)
        self._feeder = Feeder(self._copy, FEEDER_DEPTH)

    def _staged_in(self) -> tuple[str, str]:
        """The table the rows are staged in and its column in file order: the stage and its seq, or a new
        set's bare partition on PostgreSQL (store/partitions.py) and its ids, given in the file's order."""
        if self._bare is None:
            return STAGE, "seq"
        return partitions.partition_name(self._bare), "id"

    def _same_key(self, alias: str, hash_set_id: int) -> str:
        """Rows of ``entries`` (as ``alias``) with a staged row ``s``'s key. On PostgreSQL they are named by
        their set too (a digest covers its set anyway), which confines the search to its partition."""
        match = f"{alias}.key_digest = s.key_digest"
        return match if self.sqlite else f"{alias}.hash_set_id = {int(hash_set_id)} AND {match}"

    def add(self, rows: list[tuple[Any, ...]]) -> None:
        """Stage ``rows`` (from :func:`~netsafe.hashsets.stage_rows.stage_values`), in the order the file gave
        them."""
        if not rows:
            return
        if self._feeder is not None:
            self._feeder.put(list(rows))  # a copy: the caller reuses its list
        else:
            self._copy(rows)
        self.rows += len(rows)

    def _copy(self, rows: list[tuple[Any, ...]]) -> None:
        with self.errors():
            if self.sqlite:
                self.raw.executemany(self._insert, rows)
                staged = self.rows + len(rows)
                chunk = SQLITE_MERGE_CHUNK_ROWS
                if self._target is not None and chunk and staged - self._merged >= chunk:
                    self._copy_chunk(staged)
            else:
                with (
                    self.raw.cursor() as cursor,
                    cursor.copy(f"COPY {self._staged_in()[0]} ({', '.join(COLUMNS)}) FROM STDIN") as copy,
                ):
                    for row in rows:
                        copy.write_row(row)

    def _stage(self, rows: list[tuple[Any, ...]]) -> None:
        """The staging thread's work (an existing set on PostgreSQL): stage ``rows``, and merge once a
        chunk is staged. Chunks grow with the stage (an eighth of what is merged): a 10M-entry file is
        merged in a few dozen statements, not five hundred."""
        self._copy(rows)
        self._copied += len(rows)
        assert MERGE_CHUNK_ROWS is not None
        if self._target is not None and self._copied - self._merged >= max(
            MERGE_CHUNK_ROWS, self._merged // 8
        ):
            self._merge_chunk(self._copied)

    def _merge_chunk(self, upto: int) -> None:
        """Merge the staged rows after :attr:`_merged` up to ``upto`` into the existing set (the stage's
        seq counts from 1 in staging order, nothing else writes it while staging). The file's later
        records are not checked for duplicates yet: each key's first record of the chunk is merged, and
        keys this import already wrote are skipped."""
        assert self._target is not None
        hash_set_id, version, _ = self._target
        lo = self._merged
        insert = _insert_select("%s, %s, %s", [f"s.{c}" for c in COLUMNS])
        first = (
            f"(SELECT DISTINCT ON (key_digest) * FROM {STAGE} WHERE seq > %s AND seq <= %s "
            "ORDER BY key_digest, seq) s"
        )
        if not self._merged:
            self._execute("SET LOCAL work_mem = '64MB'")  # the chunk's sorts in memory (about 12 MB)
        assignments = ", ".join(f"{c} = s.{c}" for c in COLUMNS if c != "key_digest")
        cursor = self._execute(
            f"UPDATE entries SET {assignments}, updated_version = %s FROM {first} "
            f"WHERE {self._same_key('entries', hash_set_id)} AND entries.updated_version <> %s",
            (version, lo, upto, version),
        )
        updated = max(cursor.rowcount, 0)
        # A correlated probe of the unique key index per row, whatever the planner thinks of the stage.
        known = f"(SELECT 1 FROM entries e WHERE {self._same_key('e', hash_set_id)} LIMIT 1)"
        cursor = self._execute(
            f"{insert}{first} WHERE {known} IS NULL ORDER BY s.seq",
            (hash_set_id, version, version, lo, upto),
        )
        self._merged = upto
        self._done = (self._done[0] + max(cursor.rowcount, 0), self._done[1] + updated)

    def _copy_chunk(self, upto: int | None) -> bool:
        """SQLite: copy the staged rows after :attr:`_merged` up to ``upto`` (None: all) into the new set;
        False (and the copies undone) if one repeats a key."""
        assert self._target is not None
        hash_set_id, version, _ = self._target
        if (
            not self._merged
            and not self._dropped
            and self._rebuild_indexes(self.rows if upto is None else upto)
        ):
            self._drop_indexes()
        upper = "" if upto is None else f" AND s.seq <= {int(upto)}"
        insert = _insert_select("?, ?, ?", [f"s.{c}" for c in COLUMNS])
        try:
            cursor = self._execute(
                f"{insert}{STAGE} s WHERE s.seq > ?{upper} ORDER BY s.seq",
                (hash_set_id, version, version, self._merged),
            )
        except StoreConflictError as err:
            if not self._repeats_a_key(err):
                raise
            # The failed statement left the transaction as it was; a new set's entries are all this
            # import's. The indexes stay dropped for merge() to build.
            self._execute("DELETE FROM entries WHERE hash_set_id = ?", (hash_set_id,))
            self._target, self._merged, self._done = None, 0, (0, 0)
            return False
        self._done = (self._done[0] + max(cursor.rowcount, 0), 0)
        self._merged = self.rows if upto is None else upto
        return True

    def _repeats_a_key(self, err: StoreConflictError) -> bool:
        """Whether a failed ``INSERT`` into ``entries`` met a key digest already there: a key the file
        repeats (a new set holds nothing else)."""
        cause = err.__cause__
        if self.sqlite:
            return isinstance(cause, sqlite3.IntegrityError) and "key_digest" in str(cause)
        import psycopg

        return isinstance(cause, psycopg.errors.UniqueViolation)

    def finish_staging(self, index: bool = True) -> None:
        """Index the staged keys (one sort, after the load, rather than a B-tree grown at random). Without
        ``index`` (a new set on SQLite) the index waits until :meth:`merge` finds a duplicate.

        A new set loaded into its bare partition (PostgreSQL) builds that partition's unique key instead:
        if it holds, the file repeats no key, and the duplicate query is not needed."""
        if self._feeder is not None:
            feeder, self._feeder = self._feeder, None
            feeder.close()
            if self._bare is not None:
                self._unique = self._unique_keys()
                return
        if self.sqlite:
            if index:
                self._index_stage()
            if not self._began:
                with self.errors():
                    self.raw.commit()  # the temporary database only: nothing of the store is written yet
        else:
            self._execute(f"CREATE INDEX ON {STAGE} (key_digest)")
            self._execute(f"ANALYZE {STAGE}")

    def _unique_keys(self) -> bool:
        """Whether the bare partition's rows repeat no key: its unique key built by one sort, kept for the
        attach if so (a savepoint undoes the failed build if not)."""
        table = self._staged_in()[0]
        # For this sort and for the attach's index builds, which follow in the same transaction.
        self._execute("SET LOCAL maintenance_work_mem = '256MB'")
        try:
            with self.errors(), self.raw.transaction():
                self.raw.execute(
                    f"ALTER TABLE {table} ADD CONSTRAINT {table}_key_digest_hash_set_id_key "
                    "UNIQUE (key_digest, hash_set_id)"
                )
        except StoreConflictError as err:
            if not self._repeats_a_key(err):
                raise
            return False
        return True

    def _index_stage(self) -> None:
        if not self._indexed:
            self._execute(f"CREATE INDEX temp.{STAGE}_key ON {STAGE} (key_digest)")
            self._indexed = True

    def duplicates(self) -> Iterator[StagedDuplicate]:
        """Records repeating an earlier record's key, in file order; they are removed from the stage."""
        if self._unique:
            return
        if self.sqlite:
            self._index_stage()
        table, order = self._staged_in()
        found = self._execute(
            f"""
            WITH firsts AS (
                SELECT key_digest, MIN({order}) AS seq FROM {table} GROUP BY key_digest HAVING COUNT(*) > 1
            )
            SELECT s.{order}, s.origin_file, s.origin_record, s.key_kind, s.key_value, f.origin_record
            FROM firsts JOIN {table} s ON s.key_digest = firsts.key_digest AND s.{order} > firsts.seq
            JOIN {table} f ON f.{order} = firsts.seq
            ORDER BY s.{order}
            """
        )
        doomed: list[int] = []
        while True:
            chunk = found.fetchmany(1000)
            if not chunk:
                break
            for seq, origin_file, origin_record, kind, value, first in chunk:
                doomed.append(int(seq))
                yield StagedDuplicate(origin_file, origin_record, kind, value, first)
        for start in range(0, len(doomed), 500):
            part = doomed[start : start + 500]
            marks = ", ".join("?" if self.sqlite else "%s" for _ in part)
            self._execute(f"DELETE FROM {table} WHERE {order} IN ({marks})", part)

    def begin_merge(self) -> None:
        """Start the store's write transaction (SQLite: take the write lock now, for the merge only)."""
        if self.sqlite and not self._began:
            with self.errors():
                if self.raw.in_transaction:
                    self.raw.commit()  # the duplicates' removal, in the temporary database only
            self._execute(f"PRAGMA main.cache_size=-{SQLITE_CACHE_KIB}")
            self._execute("BEGIN IMMEDIATE")
            self._began = True

    def merge(self, hash_set_id: int, version: int, new_set: bool, staged_for: int | None) -> tuple[int, int]:
        """Write the staged entries into the set at ``version``: ``(added, updated)``.

        Entries whose key the set already has are replaced in place (their ids and votes stay); the rest
        are added. A set created in this transaction has no entries, so it skips the key check.
        ``staged_for`` is the set id the staged key digests were computed with (for a new set on SQLite, the
        id it was likely to get: if another set took it meanwhile, the digests are computed here)."""
        if self.sqlite and self._target is not None:
            if self._target != (hash_set_id, version, new_set) or staged_for != hash_set_id:
                raise ValueError("the stage was merged while staging into another set or version")
            if not self._copy_chunk(None):
                raise StagedDuplicateError()
            if self._dropped:
                self._build_indexes()
            return self._done
        if self._bare is not None:
            return self._attach(hash_set_id, version, new_set)
        mark = "?" if self.sqlite else "%s"
        values = [f"s.{c}" for c in COLUMNS]
        if self._merged and self._merged_into != (hash_set_id, version, new_set):
            raise ValueError("the stage was merged while staging into another set or version")
        # What merge_while_staging merged is left out (the stage's later duplicates are gone by now).
        tail = [f"s.seq > {int(self._merged)}"] if self._merged else []
        if staged_for != hash_set_id:
            if not self.sqlite or not new_set:
                raise ValueError("staged key digests belong to another set")
            self.raw.create_function("netsafe_key_digest", 3, key_digest, deterministic=True)
            values[COLUMNS.index("key_digest")] = (
                f"netsafe_key_digest({hash_set_id}, s.key_kind, s.key_value)"
            )
        rebuilt = bool(self._dropped) or self._rebuild_indexes(self.rows)
        if rebuilt and not self._dropped:
            # Random inserts into B-trees larger than the cache were most of a big merge (38 s of SQLite's,
            # 85 s of PostgreSQL's at 1M entries); one sort per index after the rows are in costs a few.
            self._drop_indexes()
        updated = 0
        if not new_set:
            assignments = ", ".join(f"{c} = s.{c}" for c in COLUMNS if c != "key_digest")
            cursor = self._execute(
                f"UPDATE entries SET {assignments}, updated_version = {mark} "
                f"FROM {STAGE} s WHERE {' AND '.join([self._same_key('entries', hash_set_id), *tail])}",
                (version,),
            )
            updated = max(cursor.rowcount, 0)
        wanted = tail + (
            []
            if new_set
            else [f"NOT EXISTS (SELECT 1 FROM entries e WHERE {self._same_key('e', hash_set_id)})"]
        )
        absent = f" WHERE {' AND '.join(wanted)}" if wanted else ""
        insert = f"{_insert_select(f'{mark}, {mark}, {mark}', values)}{STAGE} s{absent} ORDER BY s.seq"
        if self.sqlite and new_set and not self._indexed:
            # The stage was not searched for repeated keys: the unique key digest finds one, if any, and
            # the failed statement leaves the transaction as it was.
            try:
                cursor = self._execute(insert, (hash_set_id, version, version))
            except StoreConflictError as err:
                if self._repeats_a_key(err):
                    raise StagedDuplicateError() from None
                raise
        else:
            cursor = self._execute(insert, (hash_set_id, version, version))
        added = max(cursor.rowcount, 0)
        if rebuilt:
            self._build_indexes()
        return added + self._done[0], updated + self._done[1]

    def _attach(self, hash_set_id: int, version: int, new_set: bool) -> tuple[int, int]:
        """Attach the new set's loaded partition: PostgreSQL builds its other indexes, each by one sort
        (the six took 3 s of CPU at 1M, inserting into them row by row 18 s)."""
        if self._merged_into != (hash_set_id, version, new_set):
            raise ValueError("the stage was loaded into another set or version")
        self._execute(
            f"ALTER TABLE {self._staged_in()[0]} ALTER COLUMN hash_set_id DROP DEFAULT, "
            "ALTER COLUMN added_version DROP DEFAULT, ALTER COLUMN updated_version DROP DEFAULT"
        )
        for sql in partitions.attach_sql(hash_set_id):
            self._execute(sql)
        self._bare = None
        return self.rows, 0

    def _build_indexes(self) -> None:
        """Build the signal indexes dropped for the merge (SQLite), each by one sort. The sorter works in
        several threads only on runs larger than its memory, which is the page cache: with a small cache
        and two threads a 1M-row index took 0.64 s against 1.22 s with the merge's 256 MB and one. The
        reading process is done by now, so the second core is free."""
        dialect = self.session.get_bind().dialect
        threads = min(SQLITE_SORT_THREADS_MAX, os.cpu_count() or 1)
        if threads > 1:
            self._execute(f"PRAGMA main.cache_size=-{SQLITE_SORT_CACHE_KIB}")
            self._execute(f"PRAGMA threads={threads}")
        for index in self._dropped:
            self._execute(str(CreateIndex(index).compile(dialect=dialect)))
        self._dropped = []

    def _drop_indexes(self) -> None:
        """Drop the signal indexes the staged rows fill (SQLite), for :meth:`_build_indexes`. An index of
        a signal the first :data:`SIGNAL_SAMPLE_ROWS` staged rows leave empty is kept: being partial, it
        skips such rows for nothing, where building it again scans the whole table (0.2-0.6 s at 1M for
        SHA-256 and PhotoDNA, which most lists lack). Rows further on that have the signal, if any, go
        into it one by one."""
        columns = [next(iter(index.columns)).name for index in _REBUILT]
        counts = self._execute(
            f"SELECT {', '.join(f'count({c})' for c in columns)} FROM "
            f"(SELECT {', '.join(columns)} FROM {STAGE} ORDER BY seq LIMIT {int(SIGNAL_SAMPLE_ROWS)})"
        ).fetchone()
        dialect = self.session.get_bind().dialect
        self._dropped = [index for index, count in zip(_REBUILT, counts, strict=True) if count]
        for index in self._dropped:
            self._execute(str(DropIndex(index).compile(dialect=dialect)))

    def _rebuild_indexes(self, rows: int) -> bool:
        """Whether to drop the signal indexes for the merge and build them again after it: when ``rows``
        staged rows are a good share of the table, so that sorting every row costs less than inserting the
        new ones at random. The table's size is estimated by its largest id (an index lookup, not a count).
        SQLite only: on PostgreSQL, DROP INDEX takes an ACCESS EXCLUSIVE lock on ``entries`` until the
        import commits, and every /match that reads an entry waited behind it (p99 13.8 s during a 1M
        import, issue 18 item 4); readers of a SQLite file in WAL mode keep their snapshot."""
        if not self.sqlite or rows < REBUILD_MIN_ROWS:
            return False
        biggest = self._execute("SELECT MAX(id) FROM entries").fetchone()[0] or 0
        return rows * REBUILD_SHARE >= int(biggest)

    def commit(self) -> None:
        """Commit the merge now (SQLite), then let the stage go with the connection: it leaves the pool
        and is closed when the session ends, and closing deletes its temporary database whole, where
        dropping a table of 1M rows freed its pages one by one (1.5 s). PostgreSQL's stage goes with its
        transaction, which the caller's session commits."""
        if not self.sqlite:
            return
        with self.errors():
            self.raw.commit()
        self.session.connection().detach()

    def abandon(self) -> None:
        """After a failure: end the transaction now and drop the stage, so that nothing of it is left on a
        pooled connection (the caller's rollback then finds nothing to do). The staging thread, if any,
        is stopped first (its statement cancelled): the caller's rollback needs the connection."""
        if self._feeder is not None:
            feeder, self._feeder = self._feeder, None
            # cancel_safe (psycopg 3.2+) waits for the server's answer; 3.1 (the extra allows it) has cancel.
            feeder.stop(getattr(self.raw, "cancel_safe", None) or self.raw.cancel)
        if not self.sqlite:
            return
        # A failed clean-up must not hide the import's own error.
        with contextlib.suppress(Exception):
            self.raw.rollback()
            self.raw.execute(f"DROP TABLE IF EXISTS temp.{STAGE}")
        self._reset_cache()

    def _reset_cache(self) -> None:
        with contextlib.suppress(Exception):
            self.raw.execute("PRAGMA main.cache_size=-2000")
            self.raw.execute("PRAGMA temp.cache_size=-2000")
            self.raw.execute("PRAGMA threads=0")
