"""after the vote: production reports and their batches"""

from commonplan.store.migrations._shapes import BATCH, create_table, drop_tables

revision: str = "0003"
down_revision: str | None = "0002"


def upgrade() -> None:
    create_table(
        "report_batch",
        BATCH,
        index=["round_id"],
    )
    create_table(
        "report",
        "round_id int -> round, batch_id int -> report_batch, council_id int -> council, "
        "period str(20), dekad int?, kind str(20), product str(100)?, "
        "counterpart_id int? -> council, amount float, unit str(50), sigma float?, "
        "source str(20), revises_id int? -> report, reason str(500)?",
        unique=[["revises_id"]],
        index=["round_id", "batch_id", "council_id", "period"],
    )


def downgrade() -> None:
    drop_tables("report", "report_batch")
