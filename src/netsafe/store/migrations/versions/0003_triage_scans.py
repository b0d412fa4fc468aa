"""triage: scans, their distinct contents and their events (the resumable checkpoint)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "scans",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("out_dir", sa.Text(), nullable=False),
        sa.Column("sources", sa.JSON(), nullable=False),
        sa.Column("options", sa.JSON(), nullable=False),
        sa.Column("hash_sets", sa.JSON(), nullable=False),
        sa.Column("examiner", sa.Text(), nullable=True),
        sa.Column("netsafe_version", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("started", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished", sa.DateTime(timezone=True), nullable=True),
        sa.Column("next_seq", sa.BigInteger(), nullable=False),
        sa.Column("elapsed", sa.Float(), nullable=False),
        sa.Column("runs", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scans")),
    )
    op.create_index(op.f("ix_scans_out_dir"), "scans", ["out_dir"], unique=False)
    op.create_table(
        "scan_blobs",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("scan_id", _ID, nullable=False),
        sa.Column("first_seq", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("md5", sa.String(length=32), nullable=True),
        sa.Column("sha1", sa.String(length=40), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=True),
        sa.Column("mime", sa.String(length=255), nullable=True),
        sa.Column("pdq", sa.String(length=64), nullable=True),
        sa.Column("pdq_quality", sa.Integer(), nullable=True),
        sa.Column("vpdq", sa.JSON(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("matches", sa.JSON(), nullable=False),
        sa.Column("thumbnail", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["scan_id"], ["scans.id"], name=op.f("fk_scan_blobs_scan_id_scans"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scan_blobs")),
        sa.UniqueConstraint("scan_id", "sha256", "size", name=op.f("uq_scan_blobs_scan_id_sha256_size")),
    )
    op.create_table(
        "scan_events",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("scan_id", _ID, nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("blob_id", _ID, nullable=True),
        sa.Column("location", sa.JSON(), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=True),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("times", sa.JSON(), nullable=True),
        sa.Column("code", sa.String(length=32), nullable=True),
        sa.Column("message", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["blob_id"], ["scan_blobs.id"], name=op.f("fk_scan_events_blob_id_scan_blobs"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["scan_id"], ["scans.id"], name=op.f("fk_scan_events_scan_id_scans"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scan_events")),
        sa.UniqueConstraint("scan_id", "seq", name=op.f("uq_scan_events_scan_id_seq")),
    )
    op.create_index(op.f("ix_scan_events_blob_id"), "scan_events", ["blob_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_scan_events_blob_id"), table_name="scan_events")
    op.drop_table("scan_events")
    op.drop_table("scan_blobs")
    op.drop_index(op.f("ix_scans_out_dir"), table_name="scans")
    op.drop_table("scans")
