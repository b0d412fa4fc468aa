"""deterrence: URL and keyword lists, their versions, counts per entry, variant and day

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "deterrence_lists",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=True),
        sa.Column("created", _TIME, nullable=False),
        sa.Column("updated", _TIME, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deterrence_lists")),
        sa.UniqueConstraint("name", name=op.f("uq_deterrence_lists_name")),
    )
    op.create_table(
        "deterrence_entries",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("list_id", _ID, nullable=False),
        sa.Column("match", sa.String(length=16), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("original", sa.Text(), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=True),
        sa.Column("listed", sa.Date(), nullable=True),
        sa.Column("added_version", sa.Integer(), nullable=False),
        sa.Column("removed_version", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["list_id"],
            ["deterrence_lists.id"],
            name=op.f("fk_deterrence_entries_list_id_deterrence_lists"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deterrence_entries")),
    )
    op.create_index(
        op.f("ix_deterrence_entries_list_id_removed_version"),
        "deterrence_entries",
        ["list_id", "removed_version"],
    )
    op.create_index(op.f("ix_deterrence_entries_list_id_value"), "deterrence_entries", ["list_id", "value"])
    op.create_table(
        "deterrence_versions",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("list_id", _ID, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("at", _TIME, nullable=False),
        sa.Column("by", sa.String(length=200), nullable=False),
        sa.Column("change", sa.String(length=32), nullable=False),
        sa.Column("added", sa.Integer(), nullable=False),
        sa.Column("removed", sa.Integer(), nullable=False),
        sa.Column("note", sa.String(length=300), nullable=True),
        sa.ForeignKeyConstraint(
            ["list_id"],
            ["deterrence_lists.id"],
            name=op.f("fk_deterrence_versions_list_id_deterrence_lists"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deterrence_versions")),
        sa.UniqueConstraint("list_id", "version", name=op.f("uq_deterrence_versions_list_id_version")),
    )
    op.create_table(
        "deterrence_counts",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("entry_id", _ID, nullable=False),
        sa.Column("variant", sa.String(length=32), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("checks", _ID, nullable=False),
        sa.Column("warnings", _ID, nullable=False),
        sa.Column("help_clicks", _ID, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deterrence_counts")),
        sa.UniqueConstraint(
            "entry_id", "variant", "day", name=op.f("uq_deterrence_counts_entry_id_variant_day")
        ),
    )


def downgrade() -> None:
    op.drop_table("deterrence_counts")
    op.drop_table("deterrence_versions")
    op.drop_index(op.f("ix_deterrence_entries_list_id_value"), table_name="deterrence_entries")
    op.drop_index(op.f("ix_deterrence_entries_list_id_removed_version"), table_name="deterrence_entries")
    op.drop_table("deterrence_entries")
    op.drop_table("deterrence_lists")
