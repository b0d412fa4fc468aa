"""A new set's rows into PostgreSQL: inserted into an indexed ``entries`` against copied into a bare table
whose indexes are then built by sort (what migration 0015's partitions allow, store/partitions.py).

    .venv/bin/python benchmarks/pg_bare_partition.py [--rows 1000000]

On a throwaway server with ``store.testing.BULK_LOAD_SETTINGS``, migrated to head, one set's N rows of
random MD5, SHA-1, PDQ and key digests (made by the server, ``md5()`` of a counter) are staged in an
unlogged table first, so that only the load is timed:

- **indexed**: ``INSERT ... SELECT`` into an attached, empty partition, which carries every index of
  ``entries`` (the way every import went before 0015: the same indexes, inserted into row by row);
- **bare + attach**: ``INSERT ... SELECT`` into a bare table, then ``ATTACH PARTITION``, which builds the
  indexes by sort (the way a new set's import goes now).

Wall time and the server backend's CPU (from /proc: server and script share this machine), and the ratio.
"""

from __future__ import annotations

import argparse
import os
import time

from sqlalchemy import text

from netsafe.store import open_database
from netsafe.store.testing import BULK_LOAD_SETTINGS, PostgresServer

COLUMNS = (
    "key_kind, key_value, key_digest, md5, sha1, pdq, alternative_hashes, tags, media_files, extra, "
    "category, added_version, updated_version"
)
STAGED = """
CREATE UNLOGGED TABLE staged AS
SELECT 'id' AS key_kind, i::text AS key_value,
       md5('k' || i) || md5('d' || i) AS key_digest, md5('m' || i) AS md5,
       md5('s' || i) || left(md5('t' || i), 8) AS sha1, md5('p' || i) || md5('q' || i) AS pdq,
       '{}'::json AS alternative_hashes, '[]'::json AS tags, '[]'::json AS media_files,
       '{}'::json AS extra, 'A' AS category, 1 AS added_version, 1 AS updated_version
FROM generate_series(1, %d) AS i
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    with PostgresServer(BULK_LOAD_SETTINGS) as server:
        db = open_database(server.create_database("bench"))
        try:
            with db.engine.begin() as conn:
                conn.execute(text(STAGED % args.rows))
                conn.execute(
                    text(
                        "INSERT INTO hash_sets (id, name, profile, kind, version, created, "
                        "updated) VALUES (1, 'indexed', 'uk-caid', 'match', 1, now(), now()), "
                        "(2, 'bare', 'uk-caid', 'match', 1, now(), now())"
                    )
                )
            results = {}
            for name, set_id, bare in (("indexed", 1, False), ("bare + attach", 2, True)):
                with db.engine.begin() as conn:
                    conn.execute(text("CHECKPOINT"))
                    pid = conn.execute(text("SELECT pg_backend_pid()")).scalar_one()
                    table = f"entries_s{set_id}"
                    conn.execute(text(f"CREATE TABLE {table} (LIKE entries INCLUDING DEFAULTS)"))
                    if not bare:
                        conn.execute(
                            text(f"ALTER TABLE entries ATTACH PARTITION {table} FOR VALUES IN ({set_id})")
                        )
                    conn.execute(text("SET LOCAL maintenance_work_mem = '256MB'"))
                    cpu, wall = _cpu(pid), time.perf_counter()
                    load = (
                        f"INSERT INTO {table} (hash_set_id, {COLUMNS}) SELECT {set_id}, {COLUMNS} FROM staged"
                    )
                    conn.execute(text(load))
                    if bare:
                        conn.execute(
                            text(f"ALTER TABLE entries ATTACH PARTITION {table} FOR VALUES IN ({set_id})")
                        )
                    results[name] = (time.perf_counter() - wall, _cpu(pid) - cpu)
                print(
                    f"{name:<14} wall {results[name][0]:6.2f} s   server CPU {results[name][1]:6.2f} s",
                    flush=True,
                )
            (w0, c0), (w1, c1) = results["indexed"], results["bare + attach"]
            print(
                f"{args.rows:,} rows: bare + attach is {w0 / w1:.1f}x faster by wall, {c0 / c1:.1f}x by CPU"
            )
        finally:
            db.dispose()


def _cpu(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


if __name__ == "__main__":
    main()
