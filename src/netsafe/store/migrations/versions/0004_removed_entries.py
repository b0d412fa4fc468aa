"""removed_entries: a record of each entry removed from a set, so indexes catch up on removals too

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "removed_entries",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("hash_set_id", _ID, nullable=False),
        sa.Column("entry_id", _ID, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("removed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["hash_set_id"],
            ["hash_sets.id"],
            name=op.f("fk_removed_entries_hash_set_id_hash_sets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_removed_entries")),
    )
    op.create_index(
        op.f("ix_removed_entries_hash_set_id_version"),
        "removed_entries",
        ["hash_set_id", "version"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_removed_entries_hash_set_id_version"), table_name="removed_entries")
    op.drop_table("removed_entries")
