"""stats: recorded offences by police force area and year, imported from outside

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
# After deterrence (0008), merged into this branch; review (0006) is built on another branch at the same
# time: the lead relinks the chain at its merge.
down_revision = "0008"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "stats_offences",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("force", sa.String(length=16), nullable=False),
        sa.Column("year", sa.String(length=9), nullable=False),
        sa.Column("offence", sa.String(length=200), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("population", sa.BigInteger(), nullable=True),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stats_offences")),
        sa.UniqueConstraint("force", "year", "offence", name=op.f("uq_stats_offences_force_year_offence")),
    )


def downgrade() -> None:
    op.drop_table("stats_offences")
