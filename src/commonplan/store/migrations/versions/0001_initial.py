"""the first schema: federations, councils, members, rounds, proposals, drafts, ballots, audit
log"""

from alembic import op

from commonplan.store.migrations._shapes import create_table, drop_tables

revision: str = "0001"
down_revision: str | None = None


def upgrade() -> None:
    create_table(
        "audit_entry",
        "seq int, at time, actor str(100), action str(50), subject str(200), payload json, "
        "prev_sha256 str(64), sha256 str(64)",
        key=["seq"],
        counted=False,
        unique=[["sha256"]],
    )
    head = create_table("audit_head", "seq int, sha256 str(64)")
    op.bulk_insert(head, [{"id": 1, "seq": 0, "sha256": "0" * 64}])  # the chain's genesis
    for name, columns in TABLES.items():
        create_table(
            name,
            columns,
            unique=UNIQUE.get(name, ()),
            index=INDEX.get(name, ()),
            refs_by_name=True,  # as autogenerate wrote them
        )


TABLES = {
    "federation": "name str(200), level str(50), parent_id int? -> federation, settings json",
    "council": "federation_id int -> federation, kind str(20), name str(200), processes json",
    "floor": "federation_id int -> federation, product str(100), per_person float, need str(50)",
    "round": "federation_id int -> federation, number int, phase str(20), settings json, "
    "deadlines json, outcome json?, opened_at time, closed_at time?",
    "draft": "round_id int -> round, stage str(20), inputs json, inputs_sha256 str(64), "
    "result json, result_sha256 str(64), computed_at time",
    "member": "handle str(100), name str(200), workers_council_id int? -> council, "
    "consumers_council_id int? -> council, role str(20), password_hash str(200)?",
    "question": "round_id int -> round, kind str(20), federation_id int -> federation, "
    "options json, status str(20), result json?, box_sha256 str(64)?, closed_at time?",
    "ballot": "id str(32), question_id int -> question, receipt str(64), choice json",
    "delegate": "council_id int -> council, member_id int -> member, term_start time, "
    "term_end time, recalled_at time?",
    "participation": "question_id int -> question, member_id int -> member",
    "proposal": "round_id int -> round, council_id int -> council, kind str(20), "
    "title str(300), amounts json, hours float?, amends_id int? -> proposal, "
    "withdrawn bool, labour_cost float?, filed_by int -> member, filed_at time",
}
UNIQUE = {
    "federation": [["name"]],
    "council": [["name"]],
    "floor": [["federation_id", "product"]],
    "round": [["federation_id", "number"]],
    "member": [["handle"]],
    "ballot": [["question_id", "receipt"]],
    "participation": [["question_id", "member_id"]],
}
INDEX = {
    "federation": ["parent_id"],
    "council": ["federation_id"],
    "round": ["federation_id"],
    "draft": ["round_id"],
    "member": ["consumers_council_id", "workers_council_id"],
    "question": ["round_id"],
    "ballot": ["question_id"],
    "delegate": ["council_id", "member_id"],
    "participation": ["question_id"],
    "proposal": ["council_id", "round_id"],
}


def downgrade() -> None:
    drop_tables(*reversed(["audit_entry", "audit_head", *TABLES]))
