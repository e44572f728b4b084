"""Benchmark: the hours ledger on PostgreSQL — 10^6 postings loaded and balanced.

Each run gets a fresh PostgreSQL database (made from $COMMONPLAN_TEST_POSTGRES_URL or --db, a
role that may CREATEDB; dropped afterwards): a federation of --workplaces workers' councils and
--members members (bulk-inserted), a ratified round of 52 weekly periods, and --entries hours
rows (each member's hours at their workplace, week after week; two postings a row).  "Loaded and
balanced": :func:`~commonplan.work.hours.record_hours` of the whole batch (every check, the rows'
hash, one audit entry, the database's own checks, the commit), then
:func:`~commonplan.work.hours.balances` of every member and of every workplace (500,000 and 2,500
balances: one per account and week).  Side by side:

* ``copy`` — the ledger as it is (the module docstring of commonplan.work.hours says how and why):
  entries and postings by ``COPY … FROM STDIN`` with their ids taken up front, references and
  netting checked once per statement by triggers instead of per-row foreign keys.  **cold**: the
  first batch into a fresh database; **warm**: then a second round's batch of the same size into
  the same database (10^6 postings already on file, accounts there, caches warm).  --runs fresh
  databases, each cold then warm: median and worst;
* ``previous`` — how commit 6ae55b2 stored a batch (``INSERT … SELECT unnest(array)`` per table,
  the entries' ids read back) on its schema (per-row foreign keys: 4 per entry, 2 per posting;
  its six indexes; no statement triggers), with this commit's checks, hash and balances — so the
  difference is the storing alone.  (That commit as a whole: 121 s load + 19 s balances, at load
  8.4, by its docstring);
* ``orm`` — the obvious alternative: an ORM object per entry and per posting, flushed one entry
  at a time, then every posting loaded and summed in Python; run on --orm-entries rows and
  extrapolated linearly to --entries.

Every method checks what it stored (each entry nets to zero, two postings a row, the balances add
up to the hours recorded).  Each run prints the phases of the load (wall time of record_hours'
helpers: checks — members, hours on file and the rows' checks —, the rows' hash, accounts, each
COPY with its statement trigger, ANALYZE, commit, the rest), the CPU seconds of this process and
of the server's backends (the server runs here), the triggers' queries re-run alone on the stored
batch, and ``uptime`` (the machine is shared).  Run::

    export COMMONPLAN_TEST_POSTGRES_URL=$(scripts/pg)
    python benchmarks/hours.py            # 500,000 rows = 10^6 postings, 3 runs; orm on 5,000

Result (5 December 2026, 02:15–02:17 UTC; 2 cores shared with other jobs, load average 2.2–2.5
during the runs; PostgreSQL 15 on the same cores, default settings: shared_buffers 128 MB)::

    10^6 postings          load    balance  total    (median / worst of 3; s)
    copy, cold             5.54    3.97     9.50 / 9.64
    copy, warm             5.41    4.45     9.84 / 10.16
    previous (1 run)      23.94    4.64    28.57
    orm (extrapolated)   961.3     4.0     965.3     (5,000 rows: 9.7 s)

    copy, cold, run 3: checks 0.90  digest 0.48  accounts 0.16  COPY entries 1.52
                       COPY postings 1.78  ANALYZE 0.11  commit 0.00  rest 0.59   = load 5.54
                       balances (measured apart, 02:12–02:14 UTC): members 3.0–3.6,
                       workplaces 0.7  (500,000 + 2,500 rows)
                       CPU: client 5.65 s, server 3.75 s
    triggers' queries alone: entries' references 0.09, postings' accounts 0.08, postings'
                       entries and netting 0.58  (inside the two COPY times above)

The same code again at 02:22–02:23 UTC, load average 2.7–3.2 (the line per run now gives the
two balances apart)::

    copy, cold             6.31    4.47    10.78 / 11.64   (members 3.5–4.3, workplaces 0.5–0.6)
    copy, warm             6.45    4.83    11.41 / 11.43   (members 3.8–4.0, workplaces 1.0)
    previous (1 run)      26.21    5.85    32.06

So the issue's 10 s is met at load 2.2–2.5, cold and warm (worst 10.16 s), 3 times the speed of
the previous storing and 100 times the ORM's; at load ~3 it is missed by 8–15 %, and two earlier
runs of nearly this code at load 3.5–4.3 (02:06 and 02:11 UTC; the balances then read their rows
one by one, 0.5 s slower) gave 10.5–13.5 s.  What bounds it, from the
numbers above: about 9.4 s of CPU in all (client 5.6, server 3.8) on 2 cores shared with others.
Client: the rows' checks and hash 1.4 s (Python, per row), writing the COPY text ~0.5 s
(measured apart), and the balances' 500,000 result rows fetched, made into Balance objects and
sorted ~2 s (profiled: the size of the answer, not of the query).  Server: the COPYs' inserts
with their indexes (primary keys, entries by (round, member)) ~2 s; the triggers' checks 0.75 s,
of which the netting (a GROUP BY over the 10^6 new postings) 0.6 s — the price of checking every
entry in the database; the two balance queries ~1.6 s (EXPLAIN ANALYZE: hash joins of all the
round's postings and entries, 0.85 s for the workplaces).  The commit is immediate
(one WAL flush).  What was tried and why (module docstring): per-row foreign keys cost 2/3 of
the previous load; COPY instead of unnest; ids as one block under the batch lock; one index per
query path (an account index on postings cost 1 s and served no query); ANALYZE after a large
batch (without it a nested-loop plan made balances of 20,000 rows take 34 s).
"""

from __future__ import annotations

import argparse
import functools
import os
import statistics
import subprocess
import sys
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import bindparam, func, insert, select
from sqlalchemy.dialects.postgresql import ARRAY

import commonplan.work.hours as H
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
    return db, new_round(db, fed, 1)


def new_round(db: Database, federation: int, number: int) -> int:
    """A ratified round of 52 weekly periods."""
    with db.transaction() as s:
        r = Round(
            federation_id=federation,
            number=number,
            phase="ratified",
            settings={"reporting": {"start": "2027-W01", "every": "week", "periods": 52}},
            deadlines={},
            opened_at=datetime(2026, 11, 1, tzinfo=UTC),
            closed_at=datetime(2026, 12, 20, tzinfo=UTC),
        )
        s.add(r)
        s.flush()
        return r.id


def rows_for(entries: int, workplaces: int, members: int) -> list[HoursRow]:
    weeks = [f"2027-W{w:02d}" for w in range(1, 53)]
    out = []
    for k in range(entries):
        i, w = k % members, k // members
        out.append(HoursRow(f"m{i}", weeks[w], 30.0 + (k % 7), workplace=f"W{i % workplaces}"))
    return out


def check(db: Database, round_id: int, rows: list[HoursRow]) -> None:
    """What was stored: every entry of the round nets to zero, two postings a row."""
    with db.transaction() as s:
        legs = (
            select(HoursPosting.entry_id, HoursPosting.hours)
            .join(HoursEntry, HoursEntry.id == HoursPosting.entry_id)
            .where(HoursEntry.round_id == round_id)
            .subquery()
        )
        bad = s.execute(
            select(func.count()).select_from(
                select(legs.c.entry_id)
                .group_by(legs.c.entry_id)
                .having(func.abs(func.sum(legs.c.hours)) > 1e-9)
                .subquery()
            )
        ).scalar_one()
        postings = s.execute(select(func.count()).select_from(legs)).scalar_one()
    assert bad == 0, f"{bad} entries do not net to zero"
    assert postings == 2 * len(rows), (postings, len(rows))


def timed(fn: Callable[[], Any]) -> tuple[Any, float]:
    t = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - t


def uptime() -> str:
    try:
        return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    except OSError:
        return f"load average {os.getloadavg()}"


def server_cpu(database: str) -> float:
    """CPU seconds (user + system) of the PostgreSQL backends serving ``database`` — readable
    where the server runs on this machine (else 0)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as fh:
                cmd = fh.read().replace(b"\0", b" ").decode(errors="replace")
            if not cmd.startswith("postgres:") or f" {database} " not in cmd:
                continue
            with open(f"/proc/{pid}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
        except OSError:
            continue
    return total


class Phases:
    """Wall time of record_hours' phases, by wrapping its helpers (and the dialect's commit)."""

    WRAPPED = (
        "_members",
        "_on_file",
        "_check_batch",
        "_rows_digest",
        "_accounts",
        "_copy",
        "_analyze",
    )

    def __init__(self, db: Database) -> None:
        self.times: dict[str, float] = defaultdict(float)
        self.saved: list[tuple[Any, str, Any]] = []
        for name in self.WRAPPED:
            self._wrap(H, name, functools.partial(self._label, name))
        self._wrap(db.engine.dialect, "do_commit", lambda a: "commit")

    @staticmethod
    def _label(name: str, a: tuple[Any, ...]) -> str:
        return name + (f" {a[1]}" if name == "_copy" else "")

    def _wrap(self, owner: Any, name: str, label: Callable[[tuple[Any, ...]], str]) -> None:
        f = getattr(owner, name)

        @functools.wraps(f)
        def g(*a: Any, **k: Any) -> Any:
            t = time.perf_counter()
            try:
                return f(*a, **k)
            finally:
                self.times[label(a)] += time.perf_counter() - t

        self.saved.append((owner, name, f))
        setattr(owner, name, g)

    def restore(self) -> None:
        for owner, name, f in reversed(self.saved):
            setattr(owner, name, f)


# the statement triggers' queries (migration 0004), run again on a stored batch to time them
VALIDATION = {
    "entries' references": """
        SELECT count(*) FROM hours_entry n
          LEFT JOIN hours_batch b ON b.id = n.batch_id
          LEFT JOIN member m ON m.id = n.member_id
          LEFT JOIN council c ON c.id = n.council_id
         WHERE n.batch_id = :batch AND (b.id IS NULL OR b.round_id <> n.round_id
               OR m.id IS NULL OR (n.council_id IS NOT NULL AND c.id IS NULL))""",
    "postings' accounts": """
        SELECT count(*) FROM (SELECT DISTINCT account_id FROM hours_posting
                               WHERE entry_id BETWEEN :lo AND :hi) n
          LEFT JOIN hours_account a ON a.id = n.account_id WHERE a.id IS NULL""",
    "postings' entries and netting": """
        SELECT count(*) FROM (
          SELECT entry_id, count(*) AS legs, sum(hours) AS net, sum(abs(hours)) AS gross
            FROM hours_posting WHERE entry_id BETWEEN :lo AND :hi GROUP BY entry_id) g
          LEFT JOIN hours_entry e ON e.id = g.entry_id AND e.id BETWEEN :lo AND :hi
         WHERE e.id IS NULL OR g.legs < 2 OR abs(g.net) > 1e-9 * greatest(1.0, g.gross)""",
}


def validation(db: Database, batch: int, lo: int, hi: int) -> dict[str, float]:
    out = {}
    with db.engine.connect() as c:
        c.exec_driver_sql("SET work_mem = '64MB'")
        for name, q in VALIDATION.items():
            query = functools.partial(c.execute, sa.text(q), {"batch": batch, "lo": lo, "hi": hi})
            got, out[name] = timed(query)
            assert got.scalar() == 0
    return out


FOREIGN_KEYS = {
    "hours_entry": (
        ("round_id", "round"),
        ("batch_id", "hours_batch"),
        ("member_id", "member"),
        ("council_id", "council"),
        ("reverses_id", "hours_entry"),
    ),
    "hours_posting": (("entry_id", "hours_entry"), ("account_id", "hours_account")),
}
PREVIOUS_INDEXES = (
    "CREATE INDEX ix_hours_entry_batch_id ON hours_entry (batch_id)",
    "CREATE INDEX ix_hours_entry_period ON hours_entry (period)",
    "CREATE INDEX ix_hours_entry_member_id ON hours_entry (member_id)",
    "CREATE INDEX ix_hours_posting_account_id ON hours_posting (account_id)",
)


def previous_schema(db: Database) -> None:
    """The schema of the previous commit (6ae55b2): per-row foreign keys, its indexes, no
    statement triggers."""
    with db.engine.begin() as c:
        c.exec_driver_sql("DROP TRIGGER hours_entry_refs ON hours_entry")
        c.exec_driver_sql("DROP TRIGGER hours_posting_refs ON hours_posting")
        for table, fks in FOREIGN_KEYS.items():
            for column, target in fks:
                c.exec_driver_sql(
                    f"ALTER TABLE {table} ADD CONSTRAINT fk_{table}_{column}_{target} "
                    f"FOREIGN KEY ({column}) REFERENCES {target} (id)"
                )
        for statement in PREVIOUS_INDEXES:
            c.exec_driver_sql(statement)


def _unnest_insert(s: Any, table: Any, columns: dict[str, list[Any]]) -> None:
    """The previous commit's insert: one INSERT … SELECT unnest(typed array) per column."""
    names = list(columns)
    src = select(
        *[
            func.unnest(bindparam(c, columns[c], type_=ARRAY(table.c[c].type))).label(c)
            for c in names
        ]
    )
    s.execute(insert(table).from_select(names, src))


def previous_store(
    s: Any,
    round_id: int,
    batch: int,
    rows: Any,
    who: Any,
    where: Any,
    mine: Any,
    theirs: Any,
) -> list[int]:
    """The previous commit's storing of a batch (its _bulk_insert): entries by unnest, their ids
    read back, postings by unnest."""
    _unnest_insert(
        s,
        HoursEntry.__table__,
        {
            "round_id": [round_id] * len(rows),
            "batch_id": [batch] * len(rows),
            "period": [row.period for row in rows],
            "kind": ["work" if w is not None else "credit" for w in where],
            "member_id": [m.id for m in who],
            "council_id": [w.id if w is not None else None for w in where],
            "credit": [row.credit for row in rows],
            "hours": [float(row.hours) for row in rows],
            "age": [row.age for row in rows],
            "note": [row.note for row in rows],
        },
    )
    ids = list(
        s.execute(
            select(HoursEntry.id).where(HoursEntry.batch_id == batch).order_by(HoursEntry.id)
        ).scalars()
    )
    hours = [float(row.hours) for row in rows]
    _unnest_insert(
        s,
        HoursPosting.__table__,
        {
            "entry_id": ids + ids,
            "account_id": list(mine) + list(theirs),
            "hours": hours + [-h for h in hours],
        },
    )
    return ids


def load_and_balance(
    db: Database, database: str, round_id: int, rows: list[HoursRow]
) -> dict[str, Any]:
    """record_hours, then the balances of every member and every workplace; the phases' times,
    the client's and the server's CPU seconds."""
    phases = Phases(db)
    cpu, server = time.process_time(), server_cpu(database)
    try:
        rec, load = timed(lambda: record_hours(db, round_id, rows, actor="steward"))
    finally:
        phases.restore()
    people, by_member = timed(lambda: balances(db, round_id, of="member"))
    places, by_place = timed(lambda: balances(db, round_id, of="workplace"))
    cpu, server = time.process_time() - cpu, server_cpu(database) - server
    total = sum(r.hours for r in rows)
    assert abs(sum(b.total for b in people) - total) < 1e-6 * total
    assert abs(sum(b.total for b in places) + total) < 1e-6 * total
    check(db, round_id, rows)
    return {
        "load": load,
        "balance": by_member + by_place,
        "balances": (by_member, by_place),
        "total": load + by_member + by_place,
        "phases": dict(phases.times),
        "client_cpu": cpu,
        "server_cpu": server,
        "batch": rec.batch,
        "entries": (rec.entries[0], rec.entries[-1]),
    }


def copy_runs(url: str, args: argparse.Namespace) -> list[dict[str, Any]]:
    """The ledger as it is: a cold run (first batch into a fresh database) then a warm one
    (a second round's batch of the same size into the same database)."""
    database = sa.engine.make_url(url).database or ""
    db, round_id = setup(url, args.workplaces, args.members)
    rows = rows_for(args.entries, args.workplaces, args.members)
    out = []
    for label in ("cold", "warm"):
        if label == "warm":
            with db.transaction() as s:
                fed = s.get(Round, round_id).federation_id  # type: ignore[union-attr]
            round_id = new_round(db, fed, 2)
        load = uptime()
        result = load_and_balance(db, database, round_id, rows)
        lo, hi = result["entries"]
        result["validation"] = validation(db, result["batch"], lo, hi)
        result["uptime"] = load
        result["label"] = label
        out.append(result)
    db.dispose()
    return out


def previous(url: str, args: argparse.Namespace) -> dict[str, Any]:
    """The previous commit's way on its schema (this commit's checks)."""
    database = sa.engine.make_url(url).database or ""
    db, round_id = setup(url, args.workplaces, args.members)
    previous_schema(db)
    rows = rows_for(args.entries, args.workplaces, args.members)
    saved = H._store_postgresql
    H._store_postgresql = previous_store  # type: ignore[assignment]
    try:
        load = uptime()
        result = load_and_balance(db, database, round_id, rows)
    finally:
        H._store_postgresql = saved  # type: ignore[assignment]
    result["uptime"] = load
    db.dispose()
    return result


def orm(url: str, args: argparse.Namespace) -> dict[str, Any]:
    """The obvious alternative: an ORM object per entry and per posting, flushed one entry at a
    time (its two postings in one INSERT: the ledger's trigger checks an entry's netting per
    statement), then every posting loaded and summed in Python; extrapolated linearly."""
    db, round_id = setup(url, args.workplaces, args.members)
    db.engine.dialect.use_insertmanyvalues_wo_returning = True  # an entry's legs in one INSERT
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

    load_at = uptime()
    _, t_load = timed(load)
    sums, t_balance = timed(balance)
    assert abs(sum(sums.values())) < 1e-6
    check(db, round_id, rows)
    db.dispose()
    scale = args.entries / args.orm_entries
    return {
        "load": t_load * scale,
        "balance": t_balance * scale,
        "measured": t_load + t_balance,
        "uptime": load_at,
    }


def _phases(r: dict[str, Any]) -> str:
    p = r["phases"]
    named = {
        "checks": p.get("_members", 0) + p.get("_on_file", 0) + p.get("_check_batch", 0),
        "digest": p.get("_rows_digest", 0),
        "accounts": p.get("_accounts", 0),
        "COPY entries": p.get("_copy hours_entry", 0),
        "COPY postings": p.get("_copy hours_posting", 0),
        "ANALYZE": p.get("_analyze", 0),
        "commit": p.get("commit", 0),
    }
    named["rest"] = r["load"] - sum(named.values())
    return "  ".join(f"{k} {v:.2f}" for k, v in named.items())


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--db", default=os.environ.get("COMMONPLAN_TEST_POSTGRES_URL", ""))
    p.add_argument("--entries", type=int, default=500_000, help="rows: two postings each")
    p.add_argument("--members", type=int, default=10_000)
    p.add_argument("--workplaces", type=int, default=50)
    p.add_argument("--runs", type=int, default=3, help="fresh databases, each cold then warm")
    p.add_argument("--orm-entries", type=int, default=5_000)
    p.add_argument("--no-orm", action="store_true")
    p.add_argument("--no-previous", action="store_true")
    args = p.parse_args()
    if not args.db:
        sys.exit("give --db or set COMMONPLAN_TEST_POSTGRES_URL (scripts/pg starts one)")
    print(
        f"{args.entries:,} rows = {2 * args.entries:,} postings; {args.members:,} members, "
        f"{args.workplaces} workplaces; {os.cpu_count()} cores"
    )
    runs: dict[str, list[dict[str, Any]]] = {"cold": [], "warm": []}
    for k in range(args.runs):
        with fresh_database(args.db) as url:
            for r in copy_runs(url, args):
                runs[r["label"]].append(r)
                v = "  ".join(f"{n} {t:.2f}" for n, t in r["validation"].items())
                print(
                    f"run {k + 1} {r['label']}: load {r['load']:.2f} s + balance "
                    f"{r['balance']:.2f} s (members {r['balances'][0]:.2f}, workplaces "
                    f"{r['balances'][1]:.2f}) = {r['total']:.2f} s; cpu: client "
                    f"{r['client_cpu']:.2f} s, server {r['server_cpu']:.2f} s\n"
                    f"    phases: {_phases(r)}\n    validation queries alone: {v}\n"
                    f"    {r['uptime']}",
                    flush=True,
                )
    for label, rs in runs.items():
        totals = [r["total"] for r in rs]
        print(
            f"copy {label}: median {statistics.median(totals):.2f} s, worst {max(totals):.2f} s "
            f"(load median {statistics.median(r['load'] for r in rs):.2f} s, balance median "
            f"{statistics.median(r['balance'] for r in rs):.2f} s; {len(rs)} runs)"
        )
    if not args.no_previous:
        with fresh_database(args.db) as url:
            r = previous(url, args)
        print(
            f"previous (unnest, per-row foreign keys): load {r['load']:.2f} s + balance "
            f"{r['balance']:.2f} s = {r['total']:.2f} s; phases: {_phases(r)}\n    {r['uptime']}",
            flush=True,
        )
    if not args.no_orm:
        with fresh_database(args.db) as url:
            o = orm(url, args)
        print(
            f"orm   load {o['load']:6.1f} s   balance {o['balance']:.1f} s   total "
            f"{o['load'] + o['balance']:.1f} s (extrapolated from {args.orm_entries:,} rows, "
            f"{o['measured']:.1f} s)\n    {o['uptime']}"
        )


if __name__ == "__main__":
    main()
