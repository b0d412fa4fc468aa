"""stats: the hotline's reports summed per day and dimension, for the dashboard; filled from the reports

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
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
    # The reports already held, counted as hotline/daily.py counts them (frozen here, as a migration is).
    bind = op.get_bind()
    for statement in _backfill(bind.dialect.name):
        bind.execute(sa.text(statement))


def _backfill(dialect: str) -> list[str]:
    def day(column: str) -> str:
        if dialect == "postgresql":
            return f"to_char(timezone('UTC', {column}), 'YYYY-MM-DD')"
        return f"substr({column}, 1, 10)"

    def half_up(x: str) -> str:
        return (
            f"CAST(floor({x} + 0.5) AS INTEGER)" if dialect == "postgresql" else f"CAST({x} + 0.5 AS INTEGER)"
        )

    s = "removed_after_seconds"
    tenths = (
        f"CASE WHEN {s} < 86400 THEN {half_up(s + ' / 360.0')} "
        f"WHEN {s} < 604800 THEN 10 * {half_up(s + ' / 3600.0')} ELSE 240 * {half_up(s + ' / 86400.0')} END"
    )
    done = "assessed_at IS NOT NULL"
    criminal = "outcome = 'criminal'"
    public = "source = 'public'"
    counted = [
        ("received", day("received_at"), "''", "1 = 1"),
        ("assessed", day("assessed_at"), "''", done),
        ("public_assessed", day("assessed_at"), "''", f"{done} AND {public}"),
        ("confirmed", day("assessed_at"), "''", f"{done} AND {criminal}"),
        ("public_actionable", day("assessed_at"), "''", f"{done} AND {criminal} AND {public}"),
        *(
            (name, day("assessed_at"), f"coalesce({name}, 'unknown')", f"{done} AND {criminal}")
            for name in ("category", "age_band", "site_type", "country", "route")
        ),
        (
            "removal",
            day("removed_at"),
            f"CAST({tenths} AS VARCHAR(64))",
            f"{s} IS NOT NULL AND removed_at IS NOT NULL",
        ),
    ]
    return [
        f"INSERT INTO hotline_daily (day, measure, key, n) SELECT {d}, '{measure}', {key}, count(*) "
        f"FROM hotline_reports WHERE {where} GROUP BY 1, 3"
        for measure, d, key, where in counted
    ]


def downgrade() -> None:
    op.drop_table("hotline_daily")
