"""entries: on PostgreSQL, partitioned by set, one partition per hash set (SQLite: unchanged)

A new set's import then loads a bare table and attaches it, its indexes built by sort, instead of
inserting every row into the indexes of the shared table (store/partitions.py says why and what the
partition replaces: the foreign keys from entries to hash_sets and from votes to entries). The unique
keys of a partitioned table contain its partition column: the primary key is (id, hash_set_id) and the
key digest's (key_digest, hash_set_id), which are as unique as before (ids come from one sequence, and a
digest already covers its set).

Existing rows are copied set by set into bare partitions, each attached after its copy; ids, and so the
votes, stay as they were.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-05
"""

from __future__ import annotations

from alembic import op
from sqlalchemy import text

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

# Frozen here, as a migration is: the indexes of entries at 0014.
_SIGNALS = ("md5", "sha1", "sha256", "pdq", "photodna_key")
_OLD = "entries_unpartitioned"


def _sql(statement: str) -> None:
    op.execute(text(statement))


def _drop_keys(table: str) -> None:
    """Free the names of entries' keys and indexes (they are the schema's, not the table's)."""
    _sql(f"ALTER TABLE {table} DROP CONSTRAINT pk_entries")
    _sql(f"ALTER TABLE {table} DROP CONSTRAINT uq_entries_key_digest")
    _sql(f"ALTER TABLE {table} DROP CONSTRAINT IF EXISTS fk_entries_hash_set_id_hash_sets")
    for column in _SIGNALS:
        _sql(f"DROP INDEX ix_entries_{column}")
    _sql("DROP INDEX ix_entries_hash_set_id_updated_version")


def _add_indexes() -> None:
    for column in _SIGNALS:
        _sql(f"CREATE INDEX ix_entries_{column} ON entries ({column}) WHERE {column} IS NOT NULL")
    _sql("CREATE INDEX ix_entries_hash_set_id_updated_version ON entries (hash_set_id, updated_version)")


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    _sql("ALTER TABLE votes DROP CONSTRAINT fk_votes_entry_id_entries")
    _sql("ALTER SEQUENCE entries_id_seq OWNED BY NONE")
    _sql(f"ALTER TABLE entries RENAME TO {_OLD}")
    _drop_keys(_OLD)
    _sql(f"CREATE TABLE entries (LIKE {_OLD} INCLUDING DEFAULTS) PARTITION BY LIST (hash_set_id)")
    _sql("ALTER SEQUENCE entries_id_seq OWNED BY entries.id")
    _sql("ALTER TABLE entries ADD CONSTRAINT pk_entries PRIMARY KEY (id, hash_set_id)")
    _sql("ALTER TABLE entries ADD CONSTRAINT uq_entries_key_digest UNIQUE (key_digest, hash_set_id)")
    _add_indexes()
    for (set_id,) in op.get_bind().execute(text("SELECT id FROM hash_sets ORDER BY id")).all():
        name = f"entries_s{int(set_id)}"
        _sql(f"CREATE TABLE {name} (LIKE entries INCLUDING DEFAULTS)")
        _sql(f"INSERT INTO {name} SELECT * FROM {_OLD} WHERE hash_set_id = {int(set_id)} ORDER BY id")
        _sql(f"ALTER TABLE entries ATTACH PARTITION {name} FOR VALUES IN ({int(set_id)})")
    _sql(f"DROP TABLE {_OLD}")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    _sql(f"CREATE TABLE {_OLD} (LIKE entries INCLUDING DEFAULTS)")
    _sql(f"INSERT INTO {_OLD} SELECT * FROM entries ORDER BY id")
    _sql("ALTER SEQUENCE entries_id_seq OWNED BY NONE")
    _sql("DROP TABLE entries")  # and its partitions
    _sql(f"ALTER TABLE {_OLD} RENAME TO entries")
    _sql("ALTER SEQUENCE entries_id_seq OWNED BY entries.id")
    _sql("ALTER TABLE entries ADD CONSTRAINT pk_entries PRIMARY KEY (id)")
    _sql("ALTER TABLE entries ADD CONSTRAINT uq_entries_key_digest UNIQUE (key_digest)")
    _sql(
        "ALTER TABLE entries ADD CONSTRAINT fk_entries_hash_set_id_hash_sets FOREIGN KEY (hash_set_id) "
        "REFERENCES hash_sets (id) ON DELETE CASCADE"
    )
    _add_indexes()
    _sql(
        "ALTER TABLE votes ADD CONSTRAINT fk_votes_entry_id_entries FOREIGN KEY (entry_id) "
        "REFERENCES entries (id) ON DELETE CASCADE"
    )
