"""remove my image: self-reported requests and their hashes

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "remove_requests",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("reference", sa.String(length=32), nullable=False),
        sa.Column("secret_hash", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("age_under_18", sa.Boolean(), nullable=False),
        sa.Column("hash_set", sa.String(length=200), nullable=False),
        sa.Column("shared", sa.Boolean(), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated", sa.DateTime(timezone=True), nullable=False),
        sa.Column("verified_by", sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_remove_requests")),
        sa.UniqueConstraint("reference", name=op.f("uq_remove_requests_reference")),
    )
    op.create_index(
        op.f("ix_remove_requests_status_created"), "remove_requests", ["status", "created"], unique=False
    )
    op.create_table(
        "remove_items",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("request_id", _ID, nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("md5", sa.String(length=32), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("pdq", sa.String(length=64), nullable=True),
        sa.Column("pdq_quality", sa.Integer(), nullable=True),
        sa.Column("entry_id", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["remove_requests.id"],
            name=op.f("fk_remove_items_request_id_remove_requests"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_remove_items")),
    )
    op.create_index(op.f("ix_remove_items_request_id"), "remove_items", ["request_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_remove_items_request_id"), table_name="remove_items")
    op.drop_table("remove_items")
    op.drop_index(op.f("ix_remove_requests_status_created"), table_name="remove_requests")
    op.drop_table("remove_requests")
