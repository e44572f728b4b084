"""the hours ledger: batches, accounts, entries, postings and verdicts"""

import sqlalchemy as sa
from alembic import op

from commonplan.store.migrations._shapes import BATCH, create_table, drop_tables

revision: str = "0004"
down_revision: str | None = "0003"


HOURS_TABLES = ("hours_batch", "hours_account", "hours_entry", "hours_posting", "hours_verdict")

# PostgreSQL: the references of entries and postings are checked once per statement (INSERT or
# COPY), by a join of the statement's new rows (a transition table) to what they refer to — not
# by a foreign key's per-row check, which costs a lookup and a lock per reference (4 per entry, 2
# per posting: 75 % of the load time of 10^6 postings, benchmarks/hours.py).  The postings'
# trigger also refuses an entry whose postings in the statement do not sum to zero (or are fewer
# than two).  Every hours table is append-only: UPDATE, DELETE and TRUNCATE are refused, so a
# reference checked on insert stays good (what entries and postings refer to is never removed).
# The checks join by hashing, whatever the statistics say (a batch's rows have none yet: a nested
# loop planned for "a few rows" took 8 s for 40,000 postings), with the hash in memory.
POSTGRESQL = (
    """
    CREATE FUNCTION hours_entry_refs() RETURNS trigger LANGUAGE plpgsql
    SET enable_nestloop = off SET work_mem = '64MB' AS $$
    DECLARE bad integer;
    BEGIN
      SELECT n.id INTO bad FROM hours_entry_new n
        LEFT JOIN hours_batch b ON b.id = n.batch_id
        LEFT JOIN member m ON m.id = n.member_id
        LEFT JOIN council c ON c.id = n.council_id
      WHERE b.id IS NULL OR b.round_id <> n.round_id OR m.id IS NULL
         OR (n.council_id IS NOT NULL AND c.id IS NULL)
         OR (n.reverses_id IS NOT NULL
             AND NOT EXISTS (SELECT 1 FROM hours_entry r WHERE r.id = n.reverses_id))
      LIMIT 1;
      IF FOUND THEN
        RAISE EXCEPTION 'hours entry % refers to a batch, round, member, council or entry that '
          'is not on file', bad USING ERRCODE = 'foreign_key_violation';
      END IF;
      RETURN NULL;
    END $$
    """,
    """
    CREATE TRIGGER hours_entry_refs AFTER INSERT ON hours_entry
    REFERENCING NEW TABLE AS hours_entry_new
    FOR EACH STATEMENT EXECUTE FUNCTION hours_entry_refs()
    """,
    """
    CREATE FUNCTION hours_posting_refs() RETURNS trigger LANGUAGE plpgsql
    SET enable_nestloop = off SET work_mem = '64MB' AS $$
    DECLARE lo integer; hi integer; bad integer; why text;
    BEGIN
      SELECT n.account_id INTO bad
        FROM (SELECT DISTINCT account_id FROM hours_posting_new) n
        LEFT JOIN hours_account a ON a.id = n.account_id
       WHERE a.id IS NULL LIMIT 1;
      IF FOUND THEN
        RAISE EXCEPTION 'hours posting to account %, which is not on file', bad
          USING ERRCODE = 'foreign_key_violation';
      END IF;
      SELECT min(entry_id), max(entry_id) INTO lo, hi FROM hours_posting_new;
      SELECT g.entry_id,
             CASE WHEN e.id IS NULL THEN 'refers to an entry that is not on file'
                  ELSE 'has postings that do not sum to zero' END
        INTO bad, why
        FROM (SELECT entry_id, count(*) AS legs, sum(hours) AS net, sum(abs(hours)) AS gross
                FROM hours_posting_new GROUP BY entry_id) g
        LEFT JOIN hours_entry e ON e.id = g.entry_id AND e.id BETWEEN lo AND hi
       WHERE e.id IS NULL OR g.legs < 2 OR abs(g.net) > 1e-9 * greatest(1.0, g.gross)
       LIMIT 1;
      IF FOUND THEN
        RAISE EXCEPTION 'hours posting of entry % %', bad, why
          USING ERRCODE = 'foreign_key_violation';
      END IF;
      RETURN NULL;
    END $$
    """,
    """
    CREATE TRIGGER hours_posting_refs AFTER INSERT ON hours_posting
    REFERENCING NEW TABLE AS hours_posting_new
    FOR EACH STATEMENT EXECUTE FUNCTION hours_posting_refs()
    """,
    """
    CREATE FUNCTION hours_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      RAISE EXCEPTION 'the hours ledger is append-only: % on % refused (a correction is a '
        'reversing entry)', TG_OP, TG_TABLE_NAME USING ERRCODE = 'restrict_violation';
    END $$
    """,
    *(
        f"CREATE TRIGGER {t}_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON {t} "
        "FOR EACH STATEMENT EXECUTE FUNCTION hours_append_only()"
        for t in HOURS_TABLES
    ),
)

# SQLite: the same references checked row by row (SQLite has no statement triggers; it is not
# the store for 10^6 postings), the netting to zero by commonplan.work.hours after its INSERT.
SQLITE = (
    """
    CREATE TRIGGER hours_entry_refs BEFORE INSERT ON hours_entry
    WHEN NOT EXISTS (SELECT 1 FROM hours_batch b
                     WHERE b.id = NEW.batch_id AND b.round_id = NEW.round_id)
      OR NOT EXISTS (SELECT 1 FROM member m WHERE m.id = NEW.member_id)
      OR (NEW.council_id IS NOT NULL
          AND NOT EXISTS (SELECT 1 FROM council c WHERE c.id = NEW.council_id))
      OR (NEW.reverses_id IS NOT NULL
          AND NOT EXISTS (SELECT 1 FROM hours_entry r WHERE r.id = NEW.reverses_id))
    BEGIN
      SELECT RAISE(ABORT, 'hours entry: its batch, round, member, council or entry not on file');
    END
    """,
    """
    CREATE TRIGGER hours_posting_refs BEFORE INSERT ON hours_posting
    WHEN NOT EXISTS (SELECT 1 FROM hours_entry e WHERE e.id = NEW.entry_id)
      OR NOT EXISTS (SELECT 1 FROM hours_account a WHERE a.id = NEW.account_id)
    BEGIN
      SELECT RAISE(ABORT, 'hours posting: its entry or account not on file');
    END
    """,
    *(
        f"CREATE TRIGGER {t}_no_{what} BEFORE {what.upper()} ON {t} BEGIN "
        f"SELECT RAISE(ABORT, 'the hours ledger is append-only: {what.upper()} on {t} refused'); "
        "END"
        for t in HOURS_TABLES
        for what in ("update", "delete")
    ),
)


def upgrade() -> None:
    create_table(
        "hours_batch",
        BATCH,
        index=["round_id"],
    )
    create_table(
        "hours_account",
        "key str(100), kind str(20), federation_id int -> federation, member_id int? -> member, "
        "council_id int? -> council, credit str(20)?",
        unique=[["key"]],
        index=["federation_id", "member_id", "council_id"],
    )
    create_table(  # its references are checked by the triggers below, not by foreign keys
        "hours_entry",
        "round_id int, batch_id int, period str(20), kind str(20), member_id int, "
        "council_id int?, credit str(20)?, hours float, age int?, note str(500)?, "
        "reverses_id int?, reason str(500)?",
        index=[("round_id", "member_id")],
    )
    op.create_index(
        "uq_hours_entry_reverses_id",
        "hours_entry",
        ["reverses_id"],
        unique=True,
        postgresql_where=sa.text("reverses_id IS NOT NULL"),
        sqlite_where=sa.text("reverses_id IS NOT NULL"),
    )
    create_table(
        "hours_posting", "entry_id int, account_id int, hours float", key=["entry_id", "account_id"]
    )
    create_table(
        "hours_verdict",
        "entry_id int -> hours_entry, member_id int -> member, verdict str(20), "
        "reason str(500)?, at time",
        unique=[["entry_id"]],
    )
    if op.get_bind().dialect.name == "postgresql":
        for statement in POSTGRESQL:
            op.execute(statement)
    else:
        for statement in SQLITE:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "DROP FUNCTION IF EXISTS hours_entry_refs, hours_posting_refs, "
            "hours_append_only CASCADE"
        )
    drop_tables(*reversed(HOURS_TABLES))
