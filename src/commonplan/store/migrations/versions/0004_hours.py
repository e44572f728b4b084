"""the hours ledger: batches, accounts, entries, postings and verdicts

Revision ID: 0004
Revises: 0003
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], [f"{target}.id"], name=f"fk_{table}_{column}_{target}")


def upgrade() -> None:
    op.create_table(
        "hours_batch",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("filed_by", sa.Integer(), nullable=False),
        sa.Column("filed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("rows_sha256", sa.String(length=64), nullable=False),
        _fk("hours_batch", "round_id", "round"),
        _fk("hours_batch", "filed_by", "member"),
        sa.PrimaryKeyConstraint("id", name="pk_hours_batch"),
    )
    op.create_index("ix_hours_batch_round_id", "hours_batch", ["round_id"])
    op.create_table(
        "hours_account",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("federation_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=True),
        sa.Column("council_id", sa.Integer(), nullable=True),
        sa.Column("credit", sa.String(length=20), nullable=True),
        _fk("hours_account", "federation_id", "federation"),
        _fk("hours_account", "member_id", "member"),
        _fk("hours_account", "council_id", "council"),
        sa.PrimaryKeyConstraint("id", name="pk_hours_account"),
        sa.UniqueConstraint("key", name="uq_hours_account_key"),
    )
    op.create_index("ix_hours_account_federation_id", "hours_account", ["federation_id"])
    op.create_index("ix_hours_account_member_id", "hours_account", ["member_id"])
    op.create_index("ix_hours_account_council_id", "hours_account", ["council_id"])
    op.create_table(
        "hours_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(length=20), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("council_id", sa.Integer(), nullable=True),
        sa.Column("credit", sa.String(length=20), nullable=True),
        sa.Column("hours", sa.Float(), nullable=False),
        sa.Column("age", sa.Integer(), nullable=True),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.Column("reverses_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.String(length=500), nullable=True),
        _fk("hours_entry", "round_id", "round"),
        _fk("hours_entry", "batch_id", "hours_batch"),
        _fk("hours_entry", "member_id", "member"),
        _fk("hours_entry", "council_id", "council"),
        _fk("hours_entry", "reverses_id", "hours_entry"),
        sa.PrimaryKeyConstraint("id", name="pk_hours_entry"),
        sa.UniqueConstraint("reverses_id", name="uq_hours_entry_reverses_id"),
    )
    op.create_index("ix_hours_entry_round_id", "hours_entry", ["round_id"])
    op.create_index("ix_hours_entry_batch_id", "hours_entry", ["batch_id"])
    op.create_index("ix_hours_entry_period", "hours_entry", ["period"])
    op.create_index("ix_hours_entry_member_id", "hours_entry", ["member_id"])
    op.create_table(
        "hours_posting",
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("hours", sa.Float(), nullable=False),
        _fk("hours_posting", "entry_id", "hours_entry"),
        _fk("hours_posting", "account_id", "hours_account"),
        sa.PrimaryKeyConstraint("entry_id", "account_id", name="pk_hours_posting"),
    )
    op.create_index("ix_hours_posting_account_id", "hours_posting", ["account_id"])
    op.create_table(
        "hours_verdict",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("verdict", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        _fk("hours_verdict", "entry_id", "hours_entry"),
        _fk("hours_verdict", "member_id", "member"),
        sa.PrimaryKeyConstraint("id", name="pk_hours_verdict"),
        sa.UniqueConstraint("entry_id", name="uq_hours_verdict_entry_id"),
    )


def downgrade() -> None:
    op.drop_table("hours_verdict")
    op.drop_table("hours_posting")
    op.drop_table("hours_entry")
    op.drop_table("hours_account")
    op.drop_table("hours_batch")
