"""stats: the hotline's reports summed per day and dimension, for the dashboard; filled from the reports

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


def upgrade() -> None:
    op.create_table(
        "hotline_daily",
        sa.Column("day", sa.String(length=10), nullable=False),
        sa.Column("measure", sa.String(length=24), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("n", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("day", "measure", "key", name=op.f("pk_hotline_daily")),
    )
    # The reports already held: the same grouped INSERT ... SELECT as `netsafe stats rebuild`.
    from netsafe.hotline.daily import rebuild_on

    rebuild_on(op.get_bind())


def downgrade() -> None:
    op.drop_table("hotline_daily")
