"""The hours ledger: hours worked and credited, kept by double entry, append-only.

Every **entry** has two postings that sum to zero.  The accounts are a member's, a workplace's
(its workers' council) and one **credit pool** per credit kind of the federation:

- ``work`` — a workplace records hours a member worked there in a period: the member's account
  is credited ``+h``, the workplace's debited ``-h`` (the workplace received the work);
- ``credit`` — hours credited to a member for care, sickness, age or study: the member ``+h``,
  the federation's pool of that kind ``-h``.

A member's balance in a period is what they worked plus what they were credited; a workplace's
is minus the hours worked there.  The member whose hours an entry records gives their **verdict**
— confirmed, or disputed with a reason — as a row of its own (one per entry, final).  A
**correction** is a reversing entry (its postings the negated postings of the one it cancels,
with a reason), never an edit or a delete; an entry is reversed at most once and a reversal is
not reversed (record the hours again instead).  A reversal counts under the verdict of the entry
it reverses, so reversing restores every balance — confirmed, pending and disputed — to what it
was before the entry.

Who records: for ``work``, a member of that workplace's council other than the member whose
hours they are; for ``credit``, a member of the member's own workers' council other than the
member; in both cases also a facilitator of the federation.  Entries go against the periods of a
ratified plan (:func:`commonplan.reports.ledger.periods_of`).

A batch is checked whole before anything is stored: an unknown member or workplace, hours that
are negative, zero or not finite, a period outside the plan, a member of another federation, a
member in two places at once (more hours in one period, across workplaces and credits, than the
period has), a credit above its rule, or an entry already on file refuses the batch with a
message naming the row, and nothing of it is written.  An accepted batch is one entry in the
audit log holding the hash of its rows (:func:`commonplan.audit.digest` of the rows as dicts).

**How a batch is stored** (the issue asks for 10^6 postings loaded and balanced in 10 s on
PostgreSQL; benchmarks/hours.py measures it, its docstring has the numbers).  The previous way —
one ``INSERT … SELECT unnest(array)`` per table under per-row foreign keys — took 121 s to load
10^6 postings on this shared 2-core machine: PostgreSQL checks a foreign key row by row (a lookup
and a row lock per reference; 4 per entry, 2 per posting), which was 2/3 of the time, and the
client spent the rest encoding arrays and in Python per-row checks.  Now, on PostgreSQL:

- one batch at a time: ``LOCK TABLE hours_entry IN SHARE ROW EXCLUSIVE MODE`` (readers go on;
  another batch or a reversal waits), so the repeat and two-places checks see every entry on file
  (two batches at once could both pass them before) and the entries' ids can be taken as one
  block (``setval(nextval() + n − 1)``): the postings name their entries without reading them
  back;
- entries and postings go in by ``COPY … FROM STDIN`` (text format, written here row by row,
  psycopg 3's ``cursor.copy``) inside the batch's transaction: no arrays to encode, and with the
  triggers below the storing of 10^6 postings takes 3.3 s where the previous way took ~22 s on
  its schema (benchmarks/hours.py, same checks, same machine, load 2.4);
- the references of entries (batch and its round, member, council, reversed entry) and of
  postings (entry, account) are not foreign keys but **statement triggers** of migration 0004: one
  set-based query per COPY over its new rows (a transition table) — ids that are not on file, and
  an entry whose postings do not net to zero or are fewer than two — refuse the statement (an
  IntegrityError: the transaction, so the whole batch, is rolled back).  A foreign key also stops
  a referenced row from being deleted: here every hours table is **append-only** in the database
  (UPDATE, DELETE and TRUNCATE refused by trigger), and the members, councils and rounds they name
  are never deleted by commonplan (and are guarded by the accounts' and batches' foreign keys).
  On SQLite (not the store for 10^6 postings) the same references are checked by row triggers,
  the netting by one GROUP BY after the INSERTs (:func:`_nets_to_zero`), and the rows go in by
  executemany;
- the indexes are those the queries use: entries by (round, member) and a partial unique index
  on ``reverses_id`` (a reversal reverses one entry, once); postings by their key (entry,
  account) only — the balances aggregate all of a round's postings, an account index served no
  query and cost a second per 10^6 postings (a scratch table's INSERT of 10^6 rows: 1.2 s with
  the key, 2.2 s with the key and an account index);
- a batch of :data:`_ANALYZE_AFTER` rows or more ends with ``ANALYZE`` of the entries, postings
  and accounts (0.1 s): planned on the statistics of empty tables, the balances' joins went by
  nested loops (34 s for 20,000 rows);
- the per-row checks run a cheap common path (the full checks and their messages only for a row
  that fails it); members and workplaces are read as plain rows, not ORM objects; the rows' hash
  is the same :func:`commonplan.audit.digest`, written row by row (half the time of
  ``json.dumps`` of the dicts).

Balances are one aggregate query (GROUP BY account and period, a filtered sum per verdict).

**Credit rules** are the federation's setting ``hours: {quota_per_week, awake_per_week,
credits: {kind: {max_per_week, from_age, per_year}}}``.  The defaults (:data:`HOURS_DEFAULTS`)
are Twin Oaks' published labour-credit rules as recalled here — to be changed by each federation,
not an authority: one hour is one credit whatever the job; a quota of about 42 hours a week; hours
off sick and hours of care credited as worked; from age 50 the quota falls by one hour a week for
each further year of age (an ``age`` credit of ``per_year × (age − from_age)`` hours a week);
study credited up to a limit.  Credits of all kinds together are at most ``quota_per_week`` a
week: a credit stands for work, and nobody is credited more than a full week's quota.

The module is the ledger's writes; its parts live beside it, each a concept of its own:
:mod:`~commonplan.work._hours_rules` (the federation's rules), :mod:`~commonplan.work._hours_rows`
(rows, their digest, the result types), :mod:`~commonplan.work._hours_check` (the checks),
:mod:`~commonplan.work._hours_store` (the storing, COPY and triggers) and
:mod:`~commonplan.work._hours_read` (balances and entries).  Every public name is imported here.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from sqlalchemy import insert, select, text

from commonplan import audit
from commonplan._ledger import log_batch
from commonplan.errors import AuthorisationError, PlanInputError
from commonplan.federation import member_named, subtree
from commonplan.reports.ledger import periods_of
from commonplan.store import Database, get
from commonplan.store.models import (
    Council,
    HoursBatch,
    HoursEntry,
    HoursPosting,
    HoursVerdict,
    Member,
)
from commonplan.work._hours_check import (
    _check_batch,
    _facilitates,
    _Lookup,
    _may_record,
    _members,
    _on_file,
    _ratified,
)
from commonplan.work._hours_read import balances, entries_of
from commonplan.work._hours_rows import (
    ROW_COLUMNS,
    Balance,
    HoursRow,
    RecordedBatch,
    StoredEntry,
    _rows_digest,
    parse_hours_rows,
    read_hours_rows,
)
from commonplan.work._hours_rules import (
    HOURS_DEFAULTS,
    HOURS_PER_WEEK,
    WEEKS_PER_YEAR,
    CreditRule,
    HoursSettings,
    hours_settings,
    weeks_in,
)
from commonplan.work._hours_store import (
    _ANALYZE_AFTER,
    _accounts,
    _analyze,
    _Checked,
    _member_account,
    _nets_to_zero,
    _other_account,
    _store_postgresql,
    _store_sqlite,
)

__all__ = [
    "HOURS_DEFAULTS",
    "HOURS_PER_WEEK",
    "ROW_COLUMNS",
    "WEEKS_PER_YEAR",
    "Balance",
    "CreditRule",
    "HoursRow",
    "HoursSettings",
    "RecordedBatch",
    "StoredEntry",
    "balances",
    "confirm_hours",
    "dispute_hours",
    "entries_of",
    "hours_settings",
    "parse_hours_rows",
    "read_hours_rows",
    "record_hours",
    "reverse_hours",
    "weeks_in",
]


def record_hours(
    db: Database, round_id: int, rows: Iterable[HoursRow], *, actor: str
) -> RecordedBatch:
    """Check every row, then store them all — one entry of two postings each — in one
    transaction with one audit entry; or store nothing and raise, naming the first bad row.
    A row that repeats a live entry (the same member, period and workplace or credit kind) is
    refused: reverse the entry on file and record the right hours."""
    rows = list(rows)
    if not rows:
        raise PlanInputError("the hours batch is empty")
    with db.transaction() as s:
        if s.get_bind().dialect.name == "postgresql":
            # one batch at a time: the repeat and two-places checks below see every entry on file,
            # and the block of ids _store_postgresql takes is nobody else's (an INSERT into
            # hours_entry, a reversal's too, waits for this lock; readers do not)
            s.execute(text("LOCK TABLE hours_entry IN SHARE ROW EXCLUSIVE MODE"))
        r, fed = _ratified(s, round_id)
        user = member_named(s, actor)
        nodes = set(subtree(s, fed.id))
        facilitator = _facilitates(s, user, nodes)
        cfg = hours_settings(fed.settings)
        periods = periods_of(r)
        members = _members(s, nodes)
        workplaces = {  # rows of (id, name), as members are
            c.name: c
            for c in s.execute(
                select(Council.id, Council.name).where(
                    Council.federation_id.in_(nodes), Council.kind == "workers"
                )
            )
        }
        keys, sums = _on_file(s, round_id)
        lookup = _Lookup(periods, members, workplaces, cfg)
        who, where = _check_batch(s, rows, user, facilitator, lookup, keys, sums)
        sha = _rows_digest(rows)
        batch = HoursBatch.filed(s, round_id, user.id, len(rows), sha)
        wanted = dict(
            [_member_account(m.id) for m in set(who)]
            + [
                _other_account(fed.id, w.id if w else None, row.credit)
                for row, w in {
                    (row.credit, w): (row, w) for row, w in zip(rows, where, strict=True)
                }.values()
            ]
        )
        accounts = _accounts(s, fed.id, wanted)
        mine = [accounts[f"member {m.id}"] for m in who]
        theirs = [
            accounts[f"workplace {w.id}" if w is not None else f"credit {fed.id} {row.credit}"]
            for row, w in zip(rows, where, strict=True)
        ]
        store = _store_postgresql if s.get_bind().dialect.name == "postgresql" else _store_sqlite
        ids = store(s, round_id, batch.id, _Checked(rows, who, where, mine, theirs))
        if len(rows) >= _ANALYZE_AFTER and s.get_bind().dialect.name == "postgresql":
            _analyze(s)
        logged = log_batch(s, batch, ids, actor=actor, action="hours recorded", noun="entry")
        return RecordedBatch(batch.id, tuple(ids), sha, logged.seq)


_REVERSAL_KEEPS = ("round_id", "period", "kind", "member_id", "council_id", "credit", "age")
"""The columns a reversal copies from the entry it reverses (its hours are the entry's negated)."""


def reverse_hours(db: Database, entry: int, *, reason: str, actor: str) -> int:
    """Cancel ``entry`` by a reversing entry (its postings negated), giving the reason; returns
    the new entry's id.  Allowed to whoever may record the entry; refused for a reversal (record
    the hours again instead) and for an entry reversed already."""
    reason = (reason or "").strip()
    if not reason:
        raise PlanInputError(f"a reversal of hours entry {entry} needs a reason")
    with db.transaction() as s:
        old = get(s, HoursEntry, entry, "hours entry")
        if old.reverses_id is not None:
            raise PlanInputError(
                f"hours entry {entry} is itself a reversal (of entry {old.reverses_id}); a "
                "reversal is not reversed: record the hours again"
            )
        newer = s.execute(select(HoursEntry.id).where(HoursEntry.reverses_id == old.id)).scalar()
        if newer is not None:
            raise PlanInputError(f"hours entry {entry} was reversed already (by entry {newer})")
        _, fed = _ratified(s, old.round_id)
        user = member_named(s, actor)
        member = get(s, Member, old.member_id, "member")
        workplace = get(s, Council, old.council_id, "council") if old.council_id else None
        facilitator = _facilitates(s, user, set(subtree(s, fed.id)))
        _may_record(user, facilitator, member, workplace, f"hours entry {entry}")
        sha = audit.digest([{"reverses": entry, "reason": reason}])
        batch = HoursBatch.filed(s, old.round_id, user.id, 1, sha)
        kept = {column: getattr(old, column) for column in _REVERSAL_KEEPS}
        new = HoursEntry(
            **kept, batch_id=batch.id, hours=-old.hours, reverses_id=old.id, reason=reason
        )
        s.add(new)
        s.flush()
        legs = s.execute(
            select(HoursPosting.account_id, HoursPosting.hours).where(
                HoursPosting.entry_id == old.id
            )
        ).all()
        # one statement for all the legs: the database checks an entry's netting per statement
        s.execute(
            insert(HoursPosting).values(
                [{"entry_id": new.id, "account_id": a, "hours": -h} for a, h in legs]
            )
        )
        if s.get_bind().dialect.name != "postgresql":
            _nets_to_zero(s, new.id, new.id)
        audit.append(
            s,
            actor=actor,
            action="hours reversed",
            subject=f"hours entry {old.id}",
            payload={"batch": batch.id, "entry": new.id, "hours": old.hours, "reason": reason},
        )
        return new.id


def confirm_hours(db: Database, entries: Iterable[int], *, actor: str) -> tuple[int, ...]:
    """The member confirms entries of their own hours (all or none, one audit entry); returns
    the verdicts' ids."""
    return _verdicts(db, list(entries), "confirmed", None, actor)


def dispute_hours(db: Database, entry: int, *, reason: str, actor: str) -> int:
    """The member disputes an entry of their own hours, saying why; the workplace settles it by
    reversing the entry (and recording the right hours, which the member then confirms)."""
    reason = (reason or "").strip()
    if not reason:
        raise PlanInputError(f"disputing hours entry {entry} needs a reason")
    return _verdicts(db, [entry], "disputed", reason, actor)[0]


def _verdicts(
    db: Database, entries: list[int], verdict: str, reason: str | None, actor: str
) -> tuple[int, ...]:
    if not entries:
        raise PlanInputError("no hours entries to confirm")
    if len(set(entries)) != len(entries):
        raise PlanInputError("an hours entry is named twice")
    with db.transaction() as s:
        user = member_named(s, actor)
        now = datetime.now(UTC)
        made = []
        for k in entries:
            e = get(s, HoursEntry, k, "hours entry")
            _ratified(s, e.round_id)
            if e.member_id != user.id:
                raise AuthorisationError(
                    f"hours entry {k} records another member's hours: only they give a verdict"
                )
            if e.reverses_id is not None:
                raise PlanInputError(f"hours entry {k} is a reversal: it takes no verdict")
            by = s.execute(select(HoursEntry.id).where(HoursEntry.reverses_id == e.id)).scalar()
            if by is not None:
                raise PlanInputError(f"hours entry {k} was reversed (by entry {by})")
            given = s.execute(
                select(HoursVerdict.verdict).where(HoursVerdict.entry_id == e.id)
            ).scalar()
            if given is not None:
                raise PlanInputError(f"hours entry {k} is {given} already")
            v = HoursVerdict(
                entry_id=e.id, member_id=user.id, verdict=verdict, reason=reason, at=now
            )
            s.add(v)
            s.flush()
            made.append(v.id)
        audit.append(
            s,
            actor=actor,
            action=f"hours {verdict}",
            subject=f"member {user.id}",
            payload={"entries": entries, "reason": reason},
        )
        return tuple(made)
