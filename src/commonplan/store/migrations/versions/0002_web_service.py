"""web service: staff, sessions, invitations, sign-in failures"""

from commonplan.store.migrations._shapes import create_table, drop_tables

revision: str = "0002"
down_revision: str | None = "0001"

TABLES = {
    "sign_in_failure": "handle str(100), client str(100), at time",
    "invitation": "token_sha256 str(64), member_id int -> member, created_by str(100), "
    "created_at time, expires_at time, used_at time?",
    "staff": "member_id int -> member, federation_id int -> federation",
    "web_session": "token_sha256 str(64), member_id int -> member, created_at time, seen_at time, "
    "expires_at time, revoked_at time?, client str(100)",
}


def upgrade() -> None:
    create_table("sign_in_failure", TABLES["sign_in_failure"], index=["at", "client", "handle"])
    create_table("invitation", TABLES["invitation"], unique=[["token_sha256"]], index=["member_id"])
    create_table(
        "staff",
        TABLES["staff"],
        unique=[["member_id", "federation_id"]],
        index=["federation_id", "member_id"],
        refs_by_name=True,  # as autogenerate wrote them
    )
    create_table(
        "web_session", TABLES["web_session"], unique=[["token_sha256"]], index=["member_id"]
    )


def downgrade() -> None:
    drop_tables(*reversed(TABLES))
