"""hotline: reports, captured items, assessments, traces, notices, monitor checks, state history

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "hotline_monitor_lease",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("holder", sa.String(length=200), nullable=False),
        sa.Column("until", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hotline_monitor_lease")),
    )
    op.create_table(
        "hotline_reports",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("reference", sa.String(length=32), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("normalised_url", sa.Text(), nullable=False),
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("outcome", sa.String(length=32), nullable=True),
        sa.Column("duplicate_of", _ID, nullable=True),
        sa.Column("linked_to", _ID, nullable=True),
        sa.Column("final_url", sa.Text(), nullable=True),
        sa.Column("capture_error", sa.Text(), nullable=True),
        sa.Column("criminal", sa.Boolean(), nullable=True),
        sa.Column("site_type", sa.String(length=32), nullable=True),
        sa.Column("category", sa.String(length=8), nullable=True),
        sa.Column("age_band", sa.String(length=8), nullable=True),
        sa.Column("country", sa.String(length=2), nullable=True),
        sa.Column("route", sa.String(length=16), nullable=True),
        sa.Column("abuse_contact", sa.String(length=320), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("captured_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("assessed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("traced_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("first_notice_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_notice_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("notices_sent", sa.Integer(), nullable=False),
        sa.Column("removed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("removed_after_seconds", sa.Float(), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("next_check_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["duplicate_of"],
            ["hotline_reports.id"],
            name=op.f("fk_hotline_reports_duplicate_of_hotline_reports"),
        ),
        sa.ForeignKeyConstraint(
            ["linked_to"], ["hotline_reports.id"], name=op.f("fk_hotline_reports_linked_to_hotline_reports")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hotline_reports")),
        sa.UniqueConstraint("reference", name=op.f("uq_hotline_reports_reference")),
    )
    op.create_index(op.f("ix_hotline_reports_linked_to"), "hotline_reports", ["linked_to"], unique=False)
    op.create_index(
        op.f("ix_hotline_reports_normalised_url"), "hotline_reports", ["normalised_url"], unique=False
    )
    op.create_index(
        op.f("ix_hotline_reports_status_received_at"),
        "hotline_reports",
        ["status", "received_at"],
        unique=False,
    )
    op.create_table(
        "hotline_assessments",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("report_id", _ID, nullable=False),
        sa.Column("analyst", sa.String(length=200), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("outcome", sa.String(length=32), nullable=False),
        sa.Column("criminal", sa.Boolean(), nullable=False),
        sa.Column("site_type", sa.String(length=32), nullable=True),
        sa.Column("category", sa.String(length=8), nullable=True),
        sa.Column("age_band", sa.String(length=8), nullable=True),
        sa.Column("appeal", sa.Boolean(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["hotline_reports.id"],
            name=op.f("fk_hotline_assessments_report_id_hotline_reports"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hotline_assessments")),
    )
    op.create_index(
        op.f("ix_hotline_assessments_report_id"), "hotline_assessments", ["report_id"], unique=False
    )
    op.create_table(
        "hotline_checks",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("report_id", _ID, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("removed", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["hotline_reports.id"],
            name=op.f("fk_hotline_checks_report_id_hotline_reports"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hotline_checks")),
    )
    op.create_index(op.f("ix_hotline_checks_report_id"), "hotline_checks", ["report_id"], unique=False)
    op.create_table(
        "hotline_history",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("report_id", _ID, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("from_status", sa.String(length=32), nullable=True),
        sa.Column("to_status", sa.String(length=32), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["hotline_reports.id"],
            name=op.f("fk_hotline_history_report_id_hotline_reports"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hotline_history")),
    )
    op.create_index(op.f("ix_hotline_history_report_id"), "hotline_history", ["report_id"], unique=False)
    op.create_table(
        "hotline_items",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("report_id", _ID, nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("vault_id", sa.String(length=128), nullable=True),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("mime", sa.String(length=255), nullable=True),
        sa.Column("truncated", sa.Boolean(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("md5", sa.String(length=32), nullable=True),
        sa.Column("pdq", sa.String(length=64), nullable=True),
        sa.Column("pdq_quality", sa.Integer(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("matches", sa.JSON(), nullable=False),
        sa.Column("known_category", sa.String(length=8), nullable=True),
        sa.Column("captured_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("purged_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["hotline_reports.id"],
            name=op.f("fk_hotline_items_report_id_hotline_reports"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hotline_items")),
    )
    op.create_index(op.f("ix_hotline_items_report_id"), "hotline_items", ["report_id"], unique=False)
    op.create_index(op.f("ix_hotline_items_sha256"), "hotline_items", ["sha256"], unique=False)
    op.create_table(
        "hotline_notices",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("report_id", _ID, nullable=False),
        sa.Column("batch", sa.String(length=64), nullable=False),
        sa.Column("to", sa.String(length=320), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("authorised_by", sa.String(length=200), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["hotline_reports.id"],
            name=op.f("fk_hotline_notices_report_id_hotline_reports"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hotline_notices")),
    )
    op.create_index(op.f("ix_hotline_notices_batch"), "hotline_notices", ["batch"], unique=False)
    op.create_index(op.f("ix_hotline_notices_report_id"), "hotline_notices", ["report_id"], unique=False)
    op.create_index(op.f("ix_hotline_notices_status"), "hotline_notices", ["status"], unique=False)
    op.create_table(
        "hotline_traces",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("report_id", _ID, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("ips", sa.JSON(), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=True),
        sa.Column("asn", sa.BigInteger(), nullable=True),
        sa.Column("organisation", sa.Text(), nullable=True),
        sa.Column("abuse_contact", sa.String(length=320), nullable=True),
        sa.Column("route", sa.String(length=16), nullable=False),
        sa.Column("partner", sa.Text(), nullable=True),
        sa.Column("source", sa.String(length=32), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["hotline_reports.id"],
            name=op.f("fk_hotline_traces_report_id_hotline_reports"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hotline_traces")),
    )
    op.create_index(op.f("ix_hotline_traces_report_id"), "hotline_traces", ["report_id"], unique=False)
    op.create_table(
        "hotline_item_assessments",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("assessment_id", _ID, nullable=False),
        sa.Column("item_id", _ID, nullable=False),
        sa.Column("category", sa.String(length=8), nullable=True),
        sa.Column("age_band", sa.String(length=8), nullable=True),
        sa.Column("sex", sa.String(length=16), nullable=True),
        sa.Column("self_generated", sa.Boolean(), nullable=False),
        sa.Column("commercial", sa.Boolean(), nullable=False),
        sa.Column("hashset", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["assessment_id"],
            ["hotline_assessments.id"],
            name=op.f("fk_hotline_item_assessments_assessment_id_hotline_assessments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["hotline_items.id"],
            name=op.f("fk_hotline_item_assessments_item_id_hotline_items"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hotline_item_assessments")),
    )
    op.create_index(
        op.f("ix_hotline_item_assessments_assessment_id"),
        "hotline_item_assessments",
        ["assessment_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_hotline_item_assessments_item_id"), "hotline_item_assessments", ["item_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_hotline_item_assessments_item_id"), table_name="hotline_item_assessments")
    op.drop_index(op.f("ix_hotline_item_assessments_assessment_id"), table_name="hotline_item_assessments")
    op.drop_table("hotline_item_assessments")
    op.drop_index(op.f("ix_hotline_traces_report_id"), table_name="hotline_traces")
    op.drop_table("hotline_traces")
    op.drop_index(op.f("ix_hotline_notices_status"), table_name="hotline_notices")
    op.drop_index(op.f("ix_hotline_notices_report_id"), table_name="hotline_notices")
    op.drop_index(op.f("ix_hotline_notices_batch"), table_name="hotline_notices")
    op.drop_table("hotline_notices")
    op.drop_index(op.f("ix_hotline_items_sha256"), table_name="hotline_items")
    op.drop_index(op.f("ix_hotline_items_report_id"), table_name="hotline_items")
    op.drop_table("hotline_items")
    op.drop_index(op.f("ix_hotline_history_report_id"), table_name="hotline_history")
    op.drop_table("hotline_history")
    op.drop_index(op.f("ix_hotline_checks_report_id"), table_name="hotline_checks")
    op.drop_table("hotline_checks")
    op.drop_index(op.f("ix_hotline_assessments_report_id"), table_name="hotline_assessments")
    op.drop_table("hotline_assessments")
    op.drop_index(op.f("ix_hotline_reports_status_received_at"), table_name="hotline_reports")
    op.drop_index(op.f("ix_hotline_reports_normalised_url"), table_name="hotline_reports")
    op.drop_index(op.f("ix_hotline_reports_linked_to"), table_name="hotline_reports")
    op.drop_table("hotline_reports")
    op.drop_table("hotline_monitor_lease")
