"""monitoring: alerts and their history"""

from commonplan.store.migrations._shapes import create_table, drop_tables

revision: str = "0005"
down_revision: str | None = "0004"


def upgrade() -> None:
    create_table(
        "alert",
        "round_id int -> round, federation_id int -> federation, council_id int? -> council, "
        "source str(20), kind str(50), period str(20)?, subject str(200)?, message str(2000), "
        "evidence json, state str(20), level int, deadline time, raised_at time, "
        "updated_at time?",
        index=["round_id", "federation_id", "council_id", "state", "deadline"],
    )
    create_table(
        "alert_event",
        "alert_id int -> alert, at time, actor str(100), action str(20), level int, "
        "note str(2000)?",
        index=["alert_id"],
    )


def downgrade() -> None:
    drop_tables("alert_event", "alert")
