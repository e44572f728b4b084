"""rounds: the planning period each belongs to; proposals: hidden by a facilitator"""

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"


def upgrade() -> None:
    with op.batch_alter_table("round", schema=None) as batch_op:
        batch_op.add_column(sa.Column("period", sa.Integer(), nullable=False, server_default="1"))
    with op.batch_alter_table("proposal", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("hidden", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("proposal", schema=None) as batch_op:
        batch_op.drop_column("hidden")
    with op.batch_alter_table("round", schema=None) as batch_op:
        batch_op.drop_column("period")
