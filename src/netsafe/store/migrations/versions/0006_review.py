"""review: queues, groups and items of a scan's unknown items, graders' actions, settings, exposure; the kind
of a hash set (match or ignore)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_TIME = sa.DateTime(timezone=True)


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}"), ondelete="CASCADE"
    )


def upgrade() -> None:
    with op.batch_alter_table("hash_sets") as batch:
        batch.add_column(sa.Column("kind", sa.String(length=16), server_default="match", nullable=False))
    op.create_table(
        "review_queues",
        sa.Column("scan_id", _ID, nullable=False),
        sa.Column("group_distance", sa.Integer(), nullable=False),
        sa.Column("local_hashset", sa.String(length=200), nullable=False),
        sa.Column("built", _TIME, nullable=False),
        sa.Column("items", sa.Integer(), nullable=False),
        sa.Column("groups", sa.Integer(), nullable=False),
        _fk("review_queues", "scan_id", "scans"),
        sa.PrimaryKeyConstraint("scan_id", name=op.f("pk_review_queues")),
    )
    op.create_table(
        "review_groups",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("scan_id", _ID, nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        _fk("review_groups", "scan_id", "scans"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_groups")),
        sa.UniqueConstraint("scan_id", "number", name=op.f("uq_review_groups_scan_id_number")),
    )
    op.create_table(
        "review_items",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("scan_id", _ID, nullable=False),
        sa.Column("group_id", _ID, nullable=False),
        sa.Column("blob_id", _ID, nullable=False),
        sa.Column("leader", sa.Boolean(), nullable=False),
        sa.Column("distance", sa.Integer(), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=True),
        sa.Column("graded_by", sa.String(length=200), nullable=True),
        sa.Column("graded_at", _TIME, nullable=True),
        _fk("review_items", "scan_id", "scans"),
        _fk("review_items", "group_id", "review_groups"),
        _fk("review_items", "blob_id", "scan_blobs"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_items")),
        sa.UniqueConstraint("scan_id", "blob_id", name=op.f("uq_review_items_scan_id_blob_id")),
    )
    op.create_index(op.f("ix_review_items_group_id"), "review_items", ["group_id"], unique=False)
    op.create_table(
        "review_actions",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("scan_id", _ID, nullable=False),
        sa.Column("batch", sa.String(length=32), nullable=False),
        sa.Column("user", sa.String(length=200), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("item_id", _ID, nullable=False),
        sa.Column("vote_id", _ID, nullable=True),
        sa.Column("entry_id", _ID, nullable=True),
        sa.Column("entry_created", sa.Boolean(), nullable=False),
        sa.Column("prev_state", sa.String(length=16), nullable=False),
        sa.Column("prev_category", sa.String(length=32), nullable=True),
        sa.Column("prev_graded_by", sa.String(length=200), nullable=True),
        sa.Column("prev_graded_at", _TIME, nullable=True),
        sa.Column("at", _TIME, nullable=False),
        sa.Column("undone", sa.Boolean(), nullable=False),
        _fk("review_actions", "scan_id", "scans"),
        _fk("review_actions", "item_id", "review_items"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_actions")),
    )
    op.create_index(
        op.f("ix_review_actions_scan_id_user_id"), "review_actions", ["scan_id", "user", "id"], unique=False
    )
    op.create_index(op.f("ix_review_actions_batch"), "review_actions", ["batch"], unique=False)
    op.create_table(
        "review_prefs",
        sa.Column("user", sa.String(length=200), nullable=False),
        sa.Column("blur", sa.Integer(), nullable=False),
        sa.Column("colour", sa.Boolean(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("updated", _TIME, nullable=False),
        sa.PrimaryKeyConstraint("user", name=op.f("pk_review_prefs")),
    )
    op.create_table(
        "review_exposure",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("user", sa.String(length=200), nullable=False),
        sa.Column("day", sa.String(length=10), nullable=False),
        sa.Column("unblurred", sa.Integer(), nullable=False),
        sa.Column("seconds", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_exposure")),
        sa.UniqueConstraint("user", "day", name=op.f("uq_review_exposure_user_day")),
    )


def downgrade() -> None:
    op.drop_table("review_exposure")
    op.drop_table("review_prefs")
    op.drop_index(op.f("ix_review_actions_batch"), table_name="review_actions")
    op.drop_index(op.f("ix_review_actions_scan_id_user_id"), table_name="review_actions")
    op.drop_table("review_actions")
    op.drop_index(op.f("ix_review_items_group_id"), table_name="review_items")
    op.drop_table("review_items")
    op.drop_table("review_groups")
    op.drop_table("review_queues")
    with op.batch_alter_table("hash_sets") as batch:
        batch.drop_column("kind")
