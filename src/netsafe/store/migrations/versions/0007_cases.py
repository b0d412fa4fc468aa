"""cases: referrals, risk assessments, exhibits and their scans, hotline reports, actions, operations

Revision ID: 0007
Revises: 0005
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
# Relinked after the hotline's 0005 where the two branches met (deterrence); review's 0006 goes between at
# its merge.
down_revision = "0005"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "operations",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_operations")),
        sa.UniqueConstraint("name", name=op.f("uq_operations_name")),
    )
    op.create_table(
        "cases",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("reference", sa.String(length=64), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("received", sa.Date(), nullable=False),
        sa.Column("referral_reference", sa.String(length=200), nullable=True),
        sa.Column("subject_label", sa.String(length=100), nullable=False),
        sa.Column("subject_name", sa.String(length=200), nullable=True),
        sa.Column("subject_birth_year", sa.Integer(), nullable=True),
        sa.Column("officer", sa.String(length=200), nullable=True),
        sa.Column("operation_id", _ID, nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("level", sa.String(length=48), nullable=True),
        sa.Column("level_label", sa.String(length=100), nullable=True),
        sa.Column("level_rank", sa.Integer(), nullable=True),
        sa.Column("deadline", sa.Date(), nullable=True),
        sa.Column("first_action", sa.Date(), nullable=True),
        sa.Column("closed", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["operation_id"],
            ["operations.id"],
            name=op.f("fk_cases_operation_id_operations"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cases")),
        sa.UniqueConstraint("reference", name=op.f("uq_cases_reference")),
    )
    op.create_index(op.f("ix_cases_operation_id"), "cases", ["operation_id"], unique=False)
    op.create_index(
        op.f("ix_cases_status_level_rank_deadline"),
        "cases",
        ["status", "level_rank", "deadline"],
        unique=False,
    )
    op.create_table(
        "case_actions",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("case_id", _ID, nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("done_on", sa.Date(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("by", sa.String(length=200), nullable=False),
        sa.Column("offence", sa.String(length=32), nullable=True),
        sa.Column("counts", sa.JSON(), nullable=True),
        sa.Column("children_safeguarded", sa.Integer(), nullable=False),
        sa.Column("devices", sa.Integer(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_case_actions_case_id_cases"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_actions")),
    )
    op.create_index(op.f("ix_case_actions_case_id"), "case_actions", ["case_id"], unique=False)
    op.create_table(
        "case_assessments",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("case_id", _ID, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("by", sa.String(length=200), nullable=False),
        sa.Column("model_name", sa.String(length=300), nullable=False),
        sa.Column("model_origin", sa.String(length=300), nullable=False),
        sa.Column("model_digest", sa.String(length=64), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("level", sa.String(length=48), nullable=False),
        sa.Column("level_label", sa.String(length=100), nullable=False),
        sa.Column("level_rank", sa.Integer(), nullable=False),
        sa.Column("rule", sa.String(length=48), nullable=True),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("gaps", sa.JSON(), nullable=False),
        sa.Column("deadline", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_case_assessments_case_id_cases"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_assessments")),
    )
    op.create_index(op.f("ix_case_assessments_case_id"), "case_assessments", ["case_id"], unique=False)
    op.create_table(
        "case_exhibits",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("case_id", _ID, nullable=False),
        sa.Column("label", sa.String(length=100), nullable=False),
        sa.Column("added", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_case_exhibits_case_id_cases"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_exhibits")),
        sa.UniqueConstraint("case_id", "label", name=op.f("uq_case_exhibits_case_id_label")),
    )
    op.create_table(
        "case_reports",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("case_id", _ID, nullable=False),
        sa.Column("reference", sa.String(length=200), nullable=False),
        sa.Column("added", sa.DateTime(timezone=True), nullable=False),
        sa.Column("by", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_case_reports_case_id_cases"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_reports")),
        sa.UniqueConstraint("case_id", "reference", name=op.f("uq_case_reports_case_id_reference")),
    )
    op.create_table(
        "case_scan_links",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("case_id", _ID, nullable=False),
        sa.Column("exhibit_id", _ID, nullable=False),
        sa.Column("scan_id", sa.BigInteger(), nullable=False),
        sa.Column("added", sa.DateTime(timezone=True), nullable=False),
        sa.Column("by", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_case_scan_links_case_id_cases"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["exhibit_id"],
            ["case_exhibits.id"],
            name=op.f("fk_case_scan_links_exhibit_id_case_exhibits"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_scan_links")),
        sa.UniqueConstraint("exhibit_id", "scan_id", name=op.f("uq_case_scan_links_exhibit_id_scan_id")),
    )
    op.create_index(op.f("ix_case_scan_links_case_id"), "case_scan_links", ["case_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_case_scan_links_case_id"), table_name="case_scan_links")
    op.drop_table("case_scan_links")
    op.drop_table("case_reports")
    op.drop_table("case_exhibits")
    op.drop_index(op.f("ix_case_assessments_case_id"), table_name="case_assessments")
    op.drop_table("case_assessments")
    op.drop_index(op.f("ix_case_actions_case_id"), table_name="case_actions")
    op.drop_table("case_actions")
    op.drop_index(op.f("ix_cases_status_level_rank_deadline"), table_name="cases")
    op.drop_index(op.f("ix_cases_operation_id"), table_name="cases")
    op.drop_table("cases")
    op.drop_table("operations")
