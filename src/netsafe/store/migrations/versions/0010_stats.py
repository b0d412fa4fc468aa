"""stats: recorded offences by police force area and year, imported from outside

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
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
