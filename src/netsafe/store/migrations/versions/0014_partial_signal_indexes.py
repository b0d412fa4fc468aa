"""entries: the signal indexes hold only the rows that have the signal (partial, WHERE col IS NOT NULL)

A list seldom carries every signal (CAID: MD5, SHA-1, PhotoDNA; a platform's list: PDQ alone), and an index
of a column that is NULL in every row still took a sort of the whole table after a big import (0.5-0.8 s
each at 1M entries). Lookups by a value (``col = ?``, ``col IN (...)``) imply ``col IS NOT NULL``, so
SQLite and PostgreSQL use the partial index for them as before.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

# Frozen here, as a migration is: the signal columns of entries indexed at 0013.
_COLUMNS = ("md5", "sha1", "sha256", "pdq", "photodna_key")


def upgrade() -> None:
    for column in _COLUMNS:
        name = f"ix_entries_{column}"
        where = sa.text(f"{column} IS NOT NULL")
        op.drop_index(name, table_name="entries")
        op.create_index(name, "entries", [column], sqlite_where=where, postgresql_where=where)


def downgrade() -> None:
    for column in _COLUMNS:
        name = f"ix_entries_{column}"
        op.drop_index(name, table_name="entries")
        op.create_index(name, "entries", [column])
