"""Benchmark: the hours ledger on PostgreSQL — 10^6 postings loaded and balanced.

Each method gets a fresh PostgreSQL database (made from $COMMONPLAN_TEST_POSTGRES_URL or --db, a
role that may CREATEDB; dropped afterwards): a federation of --workplaces workers' councils and
--members members (bulk-inserted), a ratified round of 52 weekly periods, and --entries hours
rows (each member's hours at their workplace, week after week; two postings a row).  Side by side:

* ``bulk`` — :func:`commonplan.work.hours.record_hours`: the whole batch checked, then entries
  and postings inserted through SQLAlchemy Core (``insert().returning(...)`` executemany, which
  SQLAlchemy sends as multi-row INSERTs: "insertmanyvalues"), one audit entry; then
  :func:`~commonplan.work.hours.balances` of every member and every workplace (one GROUP BY
  query each);
* ``orm`` — the obvious alternative: an ORM object per entry and per posting, added and flushed
  one entry at a time, then every posting loaded and summed in Python; run on --orm-entries
  rows and extrapolated linearly to --entries.

Both check what they stored: every entry nets to zero, and the member balances add up to the
hours recorded.  Run (2 shared cores, PostgreSQL 15 on the same machine)::

    export COMMONPLAN_TEST_POSTGRES_URL=$(scripts/pg)
    python benchmarks/hours.py                   # 500,000 rows = 10^6 postings; orm on 5,000

Result (5 December 2026, 01:27 UTC, this machine: 2 cores shared with other jobs, load
average 8.4 during the run; PostgreSQL 15 on the same cores)::

    500,000 rows = 1,000,000 postings; 10,000 members, 50 workplaces; 2 cores, load 8.4
    bulk  load 121.41 s   balances: members 16.51 s, workplaces 2.12 s   total 140.04 s
    orm   load 3331.9 s   balance 53.6 s   total 3385.4 s (extrapolated from 5,000 rows, 33.9 s)

The bulk path is 24 times the ORM's speed but does **not** meet the issue's 10 s here.  Where the
time goes (cProfile and statement timings at 50,000 rows): Python's checks and the rows' hash
~15 %, the INSERT of the entries ~40 %, of the postings ~40 %.  Both INSERTs are single
statements (``unnest`` of typed arrays); what costs is PostgreSQL's per-row foreign-key check
(a lookup and a row lock per reference: 4 per entry, 2 per posting, ~11 µs each at this load —
measured on a scratch table, 100,000 rows: 0.66 s plain, 0.83 s with the primary key and an
index, 2.80 s with two foreign keys).  Meeting 10 s needs one of: fewer rows per posting (a
timesheet entry per workplace and period with a leg per member, so 10^6 postings are ~2,600
entries, not 500,000), postings without foreign keys (they are written only here, from ids read
in the same transaction), or an idle machine — a decision for the project, not taken here.
``--without-fks`` drops the foreign keys in the benchmark's database to measure that (01:32 UTC,
load 7, 100,000 rows = 200,000 postings, ``--no-orm``)::

    with every foreign key           load 22.57 s   balances 2.82 + 0.44 s
    --without-fks hours_posting      load 15.91 s   balances 1.88 + 0.66 s
    --without-fks hours_posting hours_entry
                                     load  7.48 s   balances 1.75 + 0.36 s

so even without any, 500,000 entries would take ~40 s at this load: the timesheet shape (fewer
entries) is the change that would matter.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import func, insert, select

from commonplan.federation import create_federation
from commonplan.store import Database
from commonplan.store.models import (
    Council,
    HoursAccount,
    HoursBatch,
    HoursEntry,
    HoursPosting,
    Member,
    Round,
)
from commonplan.work.hours import HoursRow, balances, record_hours


@contextmanager
def fresh_database(admin_url: str) -> Iterator[str]:
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    name = f"commonplan_bench_{int(time.time())}_{uuid.uuid4().hex[:8]}"
    with admin.connect() as c:
        c.exec_driver_sql(f"CREATE DATABASE \"{name}\" TEMPLATE template0 ENCODING 'UTF8'")
    try:
        yield admin.url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as c:
            c.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def setup(url: str, workplaces: int, members: int) -> tuple[Database, int]:
    db = Database(url)
    fed = create_federation(
        db,
        {
            "name": "Bench",
            "economy": "demo",
            "councils": [{"name": f"W{k}", "kind": "workers"} for k in range(workplaces)],
        },
    )
    with db.transaction() as s:
        ids = dict(s.execute(select(Council.name, Council.id)).all())
        s.execute(
            insert(Member),
            [
                {
                    "handle": f"m{i}",
                    "name": f"m{i}",
                    "workers_council_id": ids[f"W{i % workplaces}"],
                    "role": "member",
                }
                for i in range(members)
            ]
            + [
                {
                    "handle": "steward",
                    "name": "s",
                    "workers_council_id": ids["W0"],
                    "role": "facilitator",
                }
            ],
        )
        r = Round(
            federation_id=fed,
            number=1,
            phase="ratified",
            settings={"reporting": {"start": "2027-W01", "every": "week", "periods": 52}},
            deadlines={},
            opened_at=datetime(2026, 11, 1, tzinfo=UTC),
            closed_at=datetime(2026, 12, 20, tzinfo=UTC),
        )
        s.add(r)
        s.flush()
        return db, r.id


def rows_for(entries: int, workplaces: int, members: int) -> list[HoursRow]:
    weeks = [f"2027-W{w:02d}" for w in range(1, 53)]
    out = []
    for k in range(entries):
        i, w = k % members, k // members
        out.append(HoursRow(f"m{i}", weeks[w], 30.0 + (k % 7), workplace=f"W{i % workplaces}"))
    return out


def check(db: Database, rows: list[HoursRow]) -> None:
    with db.transaction() as s:
        bad = s.execute(
            select(func.count()).select_from(
                select(HoursPosting.entry_id)
                .group_by(HoursPosting.entry_id)
                .having(func.abs(func.sum(HoursPosting.hours)) > 1e-9)
                .subquery()
            )
        ).scalar_one()
        postings = s.execute(select(func.count()).select_from(HoursPosting)).scalar_one()
    assert bad == 0, f"{bad} entries do not net to zero"
    assert postings == 2 * len(rows), (postings, len(rows))


def timed(fn: Callable[[], Any]) -> tuple[Any, float]:
    t = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - t


FOREIGN_KEYS = {
    "hours_entry": (
        "fk_hours_entry_round_id_round",
        "fk_hours_entry_batch_id_hours_batch",
        "fk_hours_entry_member_id_member",
        "fk_hours_entry_council_id_council",
        "fk_hours_entry_reverses_id_hours_entry",
    ),
    "hours_posting": (
        "fk_hours_posting_entry_id_hours_entry",
        "fk_hours_posting_account_id_hours_account",
    ),
}


def bulk(url: str, args: argparse.Namespace) -> dict[str, float]:
    db, round_id = setup(url, args.workplaces, args.members)
    if args.without_fks:  # to measure what the foreign keys cost: not the schema's way
        with db.engine.begin() as c:
            for table in args.without_fks:
                for fk in FOREIGN_KEYS[table]:
                    c.exec_driver_sql(f"ALTER TABLE {table} DROP CONSTRAINT {fk}")
    rows = rows_for(args.entries, args.workplaces, args.members)
    _, load = timed(lambda: record_hours(db, round_id, rows, actor="steward"))
    people, by_member = timed(lambda: balances(db, round_id, of="member"))
    places, by_place = timed(lambda: balances(db, round_id, of="workplace"))
    total = sum(r.hours for r in rows)
    assert abs(sum(b.total for b in people) - total) < 1e-6 * total
    assert abs(sum(b.total for b in places) + total) < 1e-6 * total
    check(db, rows)
    db.dispose()
    return {"load": load, "members": by_member, "workplaces": by_place}


def orm(url: str, args: argparse.Namespace) -> dict[str, float]:
    db, round_id = setup(url, args.workplaces, args.members)
    rows = rows_for(args.orm_entries, args.workplaces, args.members)

    def load() -> None:
        with db.transaction() as s:
            m = {x.handle: x for x in s.execute(select(Member)).scalars()}
            c = {x.name: x for x in s.execute(select(Council)).scalars()}
            batch = HoursBatch(
                round_id=round_id,
                filed_by=m["steward"].id,
                filed_at=datetime.now(UTC),
                rows=len(rows),
                rows_sha256="-",
            )
            s.add(batch)
            s.flush()
            accounts: dict[str, HoursAccount] = {}

            def account(key: str, **kw: Any) -> HoursAccount:
                if key not in accounts:
                    accounts[key] = HoursAccount(key=key, federation_id=1, **kw)
                    s.add(accounts[key])
                    s.flush()
                return accounts[key]

            for row in rows:
                member, place = m[row.member], c[row.workplace or ""]
                e = HoursEntry(
                    round_id=round_id,
                    batch_id=batch.id,
                    period=row.period,
                    kind="work",
                    member_id=member.id,
                    council_id=place.id,
                    hours=row.hours,
                )
                s.add(e)
                s.flush()
                mine = account(f"member {member.id}", kind="member", member_id=member.id)
                theirs = account(f"workplace {place.id}", kind="workplace", council_id=place.id)
                s.add(HoursPosting(entry_id=e.id, account_id=mine.id, hours=row.hours))
                s.add(HoursPosting(entry_id=e.id, account_id=theirs.id, hours=-row.hours))
                s.flush()

    def balance() -> dict[int, float]:
        with db.transaction() as s:
            out: dict[int, float] = defaultdict(float)
            for p in s.execute(select(HoursPosting)).scalars():
                out[p.account_id] += p.hours
            return out

    _, t_load = timed(load)
    sums, t_balance = timed(balance)
    assert abs(sum(sums.values())) < 1e-6
    check(db, rows)
    db.dispose()
    scale = args.entries / args.orm_entries
    return {"load": t_load * scale, "balance": t_balance * scale, "measured": t_load + t_balance}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--db", default=os.environ.get("COMMONPLAN_TEST_POSTGRES_URL", ""))
    p.add_argument("--entries", type=int, default=500_000, help="rows: two postings each")
    p.add_argument("--members", type=int, default=10_000)
    p.add_argument("--workplaces", type=int, default=50)
    p.add_argument("--orm-entries", type=int, default=5_000)
    p.add_argument("--no-orm", action="store_true")
    p.add_argument(
        "--without-fks",
        nargs="+",
        choices=sorted(FOREIGN_KEYS),
        default=[],
        help="drop these tables' foreign keys first (to measure what they cost)",
    )
    args = p.parse_args()
    if not args.db:
        sys.exit("give --db or set COMMONPLAN_TEST_POSTGRES_URL (scripts/pg starts one)")
    if args.without_fks:
        print(f"without the foreign keys of {', '.join(args.without_fks)}")
    print(
        f"{args.entries:,} rows = {2 * args.entries:,} postings; {args.members:,} members, "
        f"{args.workplaces} workplaces; {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}"
    )
    with fresh_database(args.db) as url:
        b = bulk(url, args)
    print(
        f"bulk  load {b['load']:6.2f} s   balances: members {b['members']:.2f} s, workplaces "
        f"{b['workplaces']:.2f} s   total {sum(b.values()):.2f} s"
    )
    if not args.no_orm:
        with fresh_database(args.db) as url:
            o = orm(url, args)
        print(
            f"orm   load {o['load']:6.1f} s   balance {o['balance']:.1f} s   total "
            f"{o['load'] + o['balance']:.1f} s (extrapolated from {args.orm_entries:,} rows, "
            f"{o['measured']:.1f} s)"
        )


if __name__ == "__main__":
    main()
