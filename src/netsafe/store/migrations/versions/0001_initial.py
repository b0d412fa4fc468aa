"""hash sets, entries and votes

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "hash_sets",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("source", sa.Text(), nullable=True),
        sa.Column("profile", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hash_sets")),
        sa.UniqueConstraint("name", name=op.f("uq_hash_sets_name")),
    )
    op.create_table(
        "entries",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("hash_set_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("key_kind", sa.String(length=16), nullable=False),
        sa.Column("key_value", sa.Text(), nullable=False),
        sa.Column("key_digest", sa.String(length=64), nullable=False),
        sa.Column("md5", sa.String(length=32), nullable=True),
        sa.Column("sha1", sa.String(length=40), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("pdq", sa.String(length=64), nullable=True),
        sa.Column("photodna", sa.Text(), nullable=True),
        sa.Column("photodna_key", sa.String(length=288), nullable=True),
        sa.Column("vpdq", sa.JSON(), nullable=True),
        sa.Column("alternative_hashes", sa.JSON(), nullable=False),
        sa.Column("source_id", sa.Text(), nullable=True),
        sa.Column("category", sa.String(length=32), nullable=True),
        sa.Column("series", sa.Text(), nullable=True),
        sa.Column("victim_identified", sa.Boolean(), nullable=True),
        sa.Column("offender_identified", sa.Boolean(), nullable=True),
        sa.Column("distributed", sa.Boolean(), nullable=True),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("comments", sa.Text(), nullable=True),
        sa.Column("media_size", sa.BigInteger(), nullable=True),
        sa.Column("mime_type", sa.String(length=255), nullable=True),
        sa.Column("media_files", sa.JSON(), nullable=False),
        sa.Column("first_seen", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_seen", sa.DateTime(timezone=True), nullable=True),
        sa.Column("origin_file", sa.Text(), nullable=True),
        sa.Column("origin_record", sa.BigInteger(), nullable=True),
        sa.Column("extra", sa.JSON(), nullable=False),
        sa.Column("added_version", sa.Integer(), nullable=False),
        sa.Column("updated_version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["hash_set_id"],
            ["hash_sets.id"],
            name=op.f("fk_entries_hash_set_id_hash_sets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_entries")),
        sa.UniqueConstraint("key_digest", name=op.f("uq_entries_key_digest")),
    )
    op.create_index(
        op.f("ix_entries_hash_set_id_updated_version"),
        "entries",
        ["hash_set_id", "updated_version"],
        unique=False,
    )
    op.create_index(op.f("ix_entries_md5"), "entries", ["md5"], unique=False)
    op.create_index(op.f("ix_entries_pdq"), "entries", ["pdq"], unique=False)
    op.create_index(op.f("ix_entries_photodna_key"), "entries", ["photodna_key"], unique=False)
    op.create_index(op.f("ix_entries_sha1"), "entries", ["sha1"], unique=False)
    op.create_index(op.f("ix_entries_sha256"), "entries", ["sha256"], unique=False)
    op.create_table(
        "votes",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("entry_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("grader", sa.String(length=200), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("disputed", sa.Boolean(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["entry_id"], ["entries.id"], name=op.f("fk_votes_entry_id_entries"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_votes")),
    )
    op.create_index(op.f("ix_votes_entry_id"), "votes", ["entry_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_votes_entry_id"), table_name="votes")
    op.drop_table("votes")
    op.drop_index(op.f("ix_entries_sha256"), table_name="entries")
    op.drop_index(op.f("ix_entries_sha1"), table_name="entries")
    op.drop_index(op.f("ix_entries_photodna_key"), table_name="entries")
    op.drop_index(op.f("ix_entries_pdq"), table_name="entries")
    op.drop_index(op.f("ix_entries_md5"), table_name="entries")
    op.drop_index(op.f("ix_entries_hash_set_id_updated_version"), table_name="entries")
    op.drop_table("entries")
    op.drop_table("hash_sets")
