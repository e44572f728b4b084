"""after the vote: production reports and their batches

Revision ID: 0003
Revises: 0002
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "report_batch",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("filed_by", sa.Integer(), nullable=False),
        sa.Column("filed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("rows_sha256", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["round_id"], ["round.id"], name="fk_report_batch_round_id_round"),
        sa.ForeignKeyConstraint(
            ["filed_by"], ["member.id"], name="fk_report_batch_filed_by_member"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_report_batch"),
    )
    op.create_index("ix_report_batch_round_id", "report_batch", ["round_id"])
    op.create_table(
        "report",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("council_id", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(length=20), nullable=False),
        sa.Column("dekad", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("product", sa.String(length=100), nullable=True),
        sa.Column("counterpart_id", sa.Integer(), nullable=True),
        sa.Column("amount", sa.Float(), nullable=False),
        sa.Column("unit", sa.String(length=50), nullable=False),
        sa.Column("sigma", sa.Float(), nullable=True),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("revises_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(["round_id"], ["round.id"], name="fk_report_round_id_round"),
        sa.ForeignKeyConstraint(
            ["batch_id"], ["report_batch.id"], name="fk_report_batch_id_report_batch"
        ),
        sa.ForeignKeyConstraint(
            ["council_id"], ["council.id"], name="fk_report_council_id_council"
        ),
        sa.ForeignKeyConstraint(
            ["counterpart_id"], ["council.id"], name="fk_report_counterpart_id_council"
        ),
        sa.ForeignKeyConstraint(["revises_id"], ["report.id"], name="fk_report_revises_id_report"),
        sa.PrimaryKeyConstraint("id", name="pk_report"),
        sa.UniqueConstraint("revises_id", name="uq_report_revises_id"),
    )
    op.create_index("ix_report_round_id", "report", ["round_id"])
    op.create_index("ix_report_batch_id", "report", ["batch_id"])
    op.create_index("ix_report_council_id", "report", ["council_id"])
    op.create_index("ix_report_period", "report", ["period"])


def downgrade() -> None:
    op.drop_table("report")
    op.drop_table("report_batch")
