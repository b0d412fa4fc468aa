"""remove: a request may carry an upload, assessed in the hotline's queue (the report it became)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("remove_requests") as batch:
        batch.add_column(sa.Column("hotline_report_id", _ID, nullable=True))
        batch.create_foreign_key(
            op.f("fk_remove_requests_hotline_report_id_hotline_reports"),
            "hotline_reports",
            ["hotline_report_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch.create_index(op.f("ix_remove_requests_hotline_report_id"), ["hotline_report_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("remove_requests") as batch:
        batch.drop_index(op.f("ix_remove_requests_hotline_report_id"))
        batch.drop_constraint(
            op.f("fk_remove_requests_hotline_report_id_hotline_reports"), type_="foreignkey"
        )
        batch.drop_column("hotline_report_id")
