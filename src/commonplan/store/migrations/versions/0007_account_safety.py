"""accounts: invitations or password resets; sign-in failures per known device"""

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"


def upgrade() -> None:
    with op.batch_alter_table("invitation", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("kind", sa.String(length=20), nullable=False, server_default="invitation")
        )
    with op.batch_alter_table("sign_in_failure", schema=None) as batch_op:
        batch_op.add_column(sa.Column("device", sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f("ix_sign_in_failure_device"), ["device"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("sign_in_failure", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sign_in_failure_device"))
        batch_op.drop_column("device")
    with op.batch_alter_table("invitation", schema=None) as batch_op:
        batch_op.drop_column("kind")
