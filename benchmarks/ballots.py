"""Benchmark: the ballot path on PostgreSQL — the library call, and the REST API under load.

Each configuration gets a fresh PostgreSQL database (made from $COMMONPLAN_TEST_POSTGRES_URL or
--db, a role that may CREATEDB; dropped afterwards unless --keep): a region of --communes
communes (2 workers' + 2 consumers' councils each), --members members (bulk-inserted, each with a
bearer session made directly in the database: no sign-in, no argon2), and one round opened
through the services up to its vote (the demo economy; a target and three collective
proposals).  Every member casts one ballot on the ratification box, then — when the members run
out — one on the budget box (approving 1–2 of the proposals), so one database takes up to
2 × --members ballots.  Side by side:

* ``library``   — :func:`commonplan.rounds.cast_ballot` in a loop: one process, one connection,
                  one ballot at a time
* ``API w=N``   — ``commonplan serve --workers N`` in a subprocess on a free port (its log,
                  a line per request, to a file), driven by --clients load-generator processes
                  (on uvloop, HTTP/1.1 keep-alive; --client httpx: httpx.AsyncClient, --client
                  raw: a minimal client on asyncio streams, to see the server when the generator
                  costs little), with
                  --concurrency requests in flight in all: closed loop (each slot sends its next
                  ballot as soon as the previous one is answered), or with --rate an open loop at
                  that many ballots/s (latency then counts from the scheduled send, so a
                  generator that falls behind shows up in it)
* ``API w=N before`` — with --before-src, the same with the server run from another source tree
                  (the src folder of an older checkout), for a before/after in the same run

for --warmup seconds (not in the statistics), then --seconds measured.  Latency is per request,
send to answer, in the load generator; ballots/s counts the ballots accepted (201) in the
measured window.  "CPU ms/ballot" splits the CPU time spent in the measured window by who spent
it — the load generator, the server's processes (for ``library``: the calling process), and the
PostgreSQL backends connected to the benchmark's database — per accepted ballot; they all share
the machine's cores with whatever else runs (the core count and load average are printed).
Afterwards the accounting check, on every ballot of the run (warm-up included): the ballot and
participation rows of each box equal the ballots accepted, exactly; then the vote is closed and
every receipt the server answered is on the board (the closed boxes' ballots), and nothing else
is.  Run::

    export COMMONPLAN_TEST_POSTGRES_URL=$(scripts/pg)
    python benchmarks/ballots.py                           # library, API w=1, API w=2; 20 s each
    python benchmarks/ballots.py --client raw --concurrency 16 64 --seconds 30
    python benchmarks/ballots.py --rate 800 --workers 2 --no-library --clients 2
    git worktree add /tmp/old HEAD~3 && python benchmarks/ballots.py --before-src /tmp/old/src
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import json
import multiprocessing as mp
import os
import random
import secrets
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import sqlalchemy as sa
from rich.console import Console
from rich.table import Table
from sqlalchemy.engine import make_url

from commonplan.errors import CommonplanError
from commonplan.federation import add_members, create_federation
from commonplan.rounds import (
    cast_ballot,
    close_vote,
    compute_draft,
    file_proposal,
    open_round,
    open_vote,
)
from commonplan.store import Database, database_url
from commonplan.store.models import Ballot, Council, Member, Participation, Question, WebSession

URL_VARIABLE = "COMMONPLAN_TEST_POSTGRES_URL"
FACILITATOR = "bench-facilitator"
TICKS = os.sysconf("SC_CLK_TCK")


# ---------------------------------------------------------------------- the database


def region(communes: int) -> dict[str, Any]:
    """A region of ``communes`` communes, each with 2 workers' and 2 consumers' councils."""
    return {
        "name": "Bench region",
        "level": "region",
        "economy": "demo",
        "people_per_member": 1,
        "default_hours": 1600,
        "floors": [{"product": "C10T12", "per_person": 0.01, "need": "food"}],
        "rounds": {"collective_share": 0.2},
        "children": [
            {
                "name": f"Commune {c}",
                "level": "commune",
                "councils": [
                    {"name": f"Bakery {c}", "kind": "workers", "processes": ["C10T12"]},
                    {"name": f"Clinic {c}", "kind": "workers", "processes": ["Q86"]},
                    {"name": f"East {c}", "kind": "consumers"},
                    {"name": f"West {c}", "kind": "consumers"},
                ],
            }
            for c in range(communes)
        ],
    }


@dataclass
class Setup:
    """A database with members, their sessions and an open vote."""

    url: str
    name: str
    handles: list[str]
    tokens: list[str]
    boxes: dict[str, int]
    projects: list[str]
    round_id: int
    seconds: float


@contextlib.contextmanager
def fresh_database(admin_url: str, label: str, keep: bool) -> Iterator[tuple[str, str]]:
    """A new empty database (``CREATE DATABASE``); yields (its URL, its name); dropped after."""
    admin = sa.create_engine(database_url(admin_url), isolation_level="AUTOCOMMIT")
    name = f"commonplan_bench_{os.getpid()}_{label}"
    with admin.connect() as c:
        c.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        c.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = make_url(database_url(admin_url)).set(database=name).render_as_string(False)
    try:
        yield url, name
    finally:
        if not keep:
            with admin.connect() as c:
                c.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def prepare(url: str, name: str, members: int, communes: int) -> Setup:
    """The federation, ``members`` members with a session each, and a round at its vote."""
    started = time.perf_counter()
    db = Database(url)
    root = create_federation(db, region(communes))
    add_members(db, [{"handle": FACILITATOR, "role": "facilitator"}])
    with db.transaction() as s:
        councils = {c.name: c.id for c in s.execute(sa.select(Council)).scalars()}
    handles = [f"v{i:06d}" for i in range(members)]
    rows = [
        {
            "handle": h,
            "name": f"Voter {i}",
            "role": "member",
            "workers_council_id": councils[f"{('Bakery', 'Clinic')[i % 2]} {i // 4 % communes}"],
            "consumers_council_id": councils[f"{('East', 'West')[i // 2 % 2]} {i // 4 % communes}"],
        }
        for i, h in enumerate(handles)
    ]
    tokens = [secrets.token_urlsafe(32) for _ in handles]
    now = datetime.now(UTC)
    with db.transaction() as s:
        for k in range(0, members, 5000):
            s.execute(sa.insert(Member), rows[k : k + 5000])
        ids = dict(s.execute(sa.select(Member.handle, Member.id)).all())
        sessions = [
            {
                "token_sha256": hashlib.sha256(t.encode()).hexdigest(),
                "member_id": ids[h],
                "created_at": now,
                "seen_at": now,
                "expires_at": now + timedelta(hours=12),
                "client": "bench",
            }
            for h, t in zip(handles, tokens, strict=True)
        ]
        for k in range(0, members, 5000):
            s.execute(sa.insert(WebSession), sessions[k : k + 5000])
    with db.engine.begin() as c:
        c.exec_driver_sql("ANALYZE")
    r = open_round(db, root, actor=FACILITATOR)
    filer = handles[0]  # East 0
    file_proposal(
        db, r, actor=filer, council="East 0", kind="target", title="bread", amounts={"C10T12": 2}
    )
    for title, product in (("canteen", "I"), ("clinic", "Q86"), ("gym", "R93")):
        file_proposal(
            db,
            r,
            actor=filer,
            council="East 0",
            kind="collective",
            title=title,
            amounts={product: 1.0},
        )
    compute_draft(db, r, actor=FACILITATOR)
    boxes = open_vote(db, r, actor=FACILITATOR)
    with db.transaction() as s:
        q = s.get(Question, boxes["budget"])
        assert q is not None
        projects = list(q.options["projects"])
    db.dispose()
    return Setup(url, name, handles, tokens, boxes, projects, r, time.perf_counter() - started)


def jobs(setup: Setup, seed: int) -> list[tuple[int, str, dict[str, Any]]]:
    """(member index, box, choice): every member on the ratification box, then on the budget."""
    rng = random.Random(seed)
    out = []
    for box in ("ratify", "budget"):
        for i in range(len(setup.handles)):
            if box == "ratify":
                choice: dict[str, Any] = {"vote": rng.choice(("yes", "yes", "no", "abstain"))}
            else:
                choice = {"approve": rng.sample(setup.projects, rng.randint(1, 2))}
            out.append((i, box, choice))
    return out


# ---------------------------------------------------------------------- measuring


@dataclass
class Outcome:
    """What one configuration did: per request (start, latency s, status, box, receipt)."""

    label: str
    workers: str
    concurrency: str
    starts: np.ndarray
    ends: np.ndarray
    status: np.ndarray
    accepted: dict[str, list[str]]  # box -> receipts answered
    window: tuple[float, float]
    cpu: dict[str, float]
    errors: list[str] = field(default_factory=list)
    check: str = ""
    load: str = ""


def _cpu_of(pids: list[int]) -> float:
    """CPU seconds (user + system) of these processes so far (those gone count 0)."""
    total = 0.0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / TICKS
    return total


def _descendants(pid: int) -> list[int]:
    parent: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    parent[int(entry)] = int(f.read().rsplit(")", 1)[1].split()[1])
            except OSError:
                continue
    out, todo = [pid], [pid]
    while todo:
        p = todo.pop()
        kids = [c for c, pp in parent.items() if pp == p]
        out += kids
        todo += kids
    return out


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


# ---------------------------------------------------------------------- the library baseline


def library(setup: Setup, work: list[tuple[int, str, dict[str, Any]]], args: Any) -> Outcome:
    """``cast_ballot`` in a loop, in this process, for warm-up + measured seconds."""
    db = Database(setup.url, upgrade=False)
    starts, ends, status = [], [], []
    accepted: dict[str, list[str]] = {"ratify": [], "budget": []}
    load = _load()
    t0 = time.perf_counter()
    warm, end = t0 + args.warmup, t0 + args.warmup + args.seconds
    sampler = Sampler([os.getpid()], [], setup.name)
    for i, box, choice in work:
        t = time.perf_counter()
        if t >= warm and not sampler.is_alive():
            sampler.begin()
        if t >= end:
            break
        try:
            receipt = cast_ballot(db, setup.boxes[box], member=setup.handles[i], choice=choice)
            code = 201
            accepted[box].append(receipt)
        except CommonplanError:
            code = 409
        starts.append(t)
        ends.append(time.perf_counter())
        status.append(code)
    cpu = sampler.finish()
    db.dispose()
    return Outcome(
        "library",
        "–",
        "1",
        np.array(starts),
        np.array(ends),
        np.array(status),
        accepted,
        (warm, end),
        cpu,
        load=load,
    )


# ---------------------------------------------------------------------- the API under load


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Raw:
    """A minimal HTTP/1.1 keep-alive client on asyncio streams (``--client raw``): a pool of
    connections, requests written whole, answers read by Content-Length — to see how far the
    server goes when the load generator costs little."""

    def __init__(self, host: str, port: int, size: int) -> None:
        self.host, self.port = host, port
        self.idle: asyncio.Queue[tuple[asyncio.StreamReader, asyncio.StreamWriter] | None] = (
            asyncio.Queue()
        )
        for _ in range(size):
            self.idle.put_nowait(None)

    async def post(self, path: str, body: bytes, token: str) -> tuple[int, bytes]:
        conn = await self.idle.get()
        try:
            if conn is None:
                conn = await asyncio.open_connection(self.host, self.port)
            reader, writer = conn
            writer.write(
                f"POST {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
                f"Authorization: Bearer {token}\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(body)}\r\n\r\n".encode()
                + body
            )
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head[9:12])
            at = head.lower().find(b"content-length:")
            length = int(head[at + 15 : head.index(b"\r\n", at)]) if at >= 0 else 0
            data = await reader.readexactly(length)
            if b"connection: close" in head.lower():
                writer.close()
                conn = None
            return status, data
        except BaseException:
            if conn is not None:
                conn[1].close()
            conn = None
            raise
        finally:
            self.idle.put_nowait(conn)

    async def close(self) -> None:
        while not self.idle.empty():
            conn = self.idle.get_nowait()
            if conn is not None:
                conn[1].close()


async def _drive(
    base: str,
    part: list[tuple[str, int, dict[str, Any], str]],
    concurrency: int,
    rate: float,
    client_kind: str,
    t0: float,
    end: float,
) -> list[tuple[float, float, int, str, str]]:
    """Send ``part``'s ballots (token, question, choice, box); one result row per request."""
    out: list[tuple[float, float, int, str, str]] = []
    work = iter(part)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    client = httpx.AsyncClient(base_url=base, limits=limits, timeout=60.0)
    host, port = base.removeprefix("http://").split(":")
    raw = Raw(host, int(port), concurrency)

    async def send(token: str, question: int, choice: Any, box: str, start: float) -> None:
        path = f"/api/v1/questions/{question}/ballots"
        try:
            if client_kind == "raw":
                code, data = await raw.post(path, json.dumps({"choice": choice}).encode(), token)
            else:
                r = await client.post(
                    path, json={"choice": choice}, headers={"Authorization": f"Bearer {token}"}
                )
                code, data = r.status_code, r.content
            receipt = json.loads(data)["receipt"] if code == 201 else ""
        except (httpx.HTTPError, OSError, asyncio.IncompleteReadError) as exc:
            code, receipt = 0, type(exc).__name__
        out.append((start, time.perf_counter(), code, box, receipt))

    async with client:
        while time.perf_counter() < t0:
            await asyncio.sleep(0.001)
        if rate <= 0:  # closed loop

            async def slot() -> None:
                for token, question, choice, box in work:
                    start = time.perf_counter()
                    if start >= end:
                        return
                    await send(token, question, choice, box, start)

            await asyncio.gather(*(slot() for _ in range(concurrency)))
        else:  # open loop: request k at t0 + k / rate, whatever happened to the others
            tasks = set()
            for k, (token, question, choice, box) in enumerate(work):
                due = t0 + k / rate
                if due >= end:
                    break
                delay = due - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
                task = asyncio.create_task(send(token, question, choice, box, due))
                tasks.add(task)
                task.add_done_callback(tasks.discard)
            if tasks:
                await asyncio.gather(*tasks)
    await raw.close()
    return out


def _generator(
    base: str,
    part: list[tuple[str, int, dict[str, Any], str]],
    concurrency: int,
    rate: float,
    client_kind: str,
    times: tuple[float, float],
    q: Any,
) -> None:
    drive = _drive(base, part, concurrency, rate, client_kind, *times)
    try:
        import uvloop
    except ImportError:
        rows = asyncio.run(drive)
    else:
        rows = uvloop.run(drive)
    q.put(rows)


class Sampler(threading.Thread):
    """CPU seconds spent by the load generators, the server and the PostgreSQL backends of one
    database between :meth:`begin` and :meth:`finish` (processes that start in between count
    from zero; /proc is read every half second, so the last moments of one that ends are lost)."""

    def __init__(self, server: list[int], generators: list[int], database: str) -> None:
        super().__init__(daemon=True)
        self.groups = {"server": set(server), "generator": set(generators)}
        self.needle = f" {database} ".encode()
        self.base: dict[int, float] = {}
        self.last: dict[int, float] = {}
        self.stop = threading.Event()

    def _pids(self) -> dict[int, str]:
        out = {pid: g for g, pids in self.groups.items() for pid in pids}
        for entry in os.listdir("/proc"):
            if entry.isdigit() and int(entry) not in out:
                try:
                    with open(f"/proc/{entry}/cmdline", "rb") as f:
                        if self.needle in f.read():
                            out[int(entry)] = "postgres"
                except OSError:
                    continue
        return out

    def _sample(self) -> None:
        self.who = getattr(self, "who", {}) | self._pids()
        for pid in self.who:
            cpu = _cpu_of([pid])
            if cpu:
                self.last[pid] = cpu

    def begin(self) -> None:
        self._sample()
        self.base = dict(self.last)
        self.start()

    def run(self) -> None:
        while not self.stop.wait(0.5):
            self._sample()

    def finish(self) -> dict[str, float]:
        self.stop.set()
        self.join()
        self._sample()
        out = {"generator": 0.0, "server": 0.0, "postgres": 0.0}
        for pid, cpu in self.last.items():
            out[self.who[pid]] += cpu - self.base.get(pid, 0.0)
        return out


def api(
    setup: Setup,
    work: list[tuple[int, str, dict[str, Any]]],
    workers: int,
    concurrency: int,
    args: Any,
    logs: Path,
    src: str = "",
) -> Outcome:
    """``commonplan serve --workers N`` in a subprocess, driven by ``args.clients`` generators
    (``src``: run the server from that source tree instead, e.g. a checkout of an older commit)."""
    port = _free_port()
    log = open(logs / f"serve-w{workers}-c{concurrency}{'-before' if src else ''}.log", "w")
    command = [sys.executable, "-m", "commonplan", "serve", "--db", setup.url]
    command += ["--port", str(port), "--workers", str(workers)]
    env = dict(os.environ)
    if src:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [src, env.get("PYTHONPATH")]))
    if args.pool_size:
        env["COMMONPLAN_DB_POOL_SIZE"] = str(args.pool_size)
    if args.max_overflow is not None:
        env["COMMONPLAN_DB_MAX_OVERFLOW"] = str(args.max_overflow)
    server = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/openapi.json", timeout=1.0).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the server did not start; see {log.name}")
            time.sleep(0.2)
        if workers > 1:
            time.sleep(1.0)  # the other workers come up a moment later
        rows = [(setup.tokens[i], setup.boxes[box], choice, box) for i, box, choice in work]
        parts = [rows[p :: args.clients] for p in range(args.clients)]
        n = args.clients
        per = [concurrency // n + (p < concurrency % n) for p in range(n)]
        ctx = mp.get_context("fork")
        q = ctx.Queue()
        t0 = time.perf_counter() + 0.5
        warm, end = t0 + args.warmup, t0 + args.warmup + args.seconds
        rate = args.rate / args.clients if args.rate else 0.0
        procs = [
            ctx.Process(
                target=_generator,
                args=(base, parts[p], per[p], rate, args.client, (t0, end), q),
            )
            for p in range(args.clients)
        ]
        load = _load()
        for p in procs:
            p.start()
        sampler = Sampler(
            _descendants(server.pid), [p.pid for p in procs if p.pid is not None], setup.name
        )
        while time.perf_counter() < warm:
            time.sleep(0.005)
        sampler.begin()
        while time.perf_counter() < end:
            time.sleep(0.05)
        cpu = sampler.finish()
        results = []
        for _ in procs:
            results += q.get(timeout=args.seconds + args.warmup + 120)
        for p in procs:
            p.join()
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()
    results.sort()
    accepted: dict[str, list[str]] = {"ratify": [], "budget": []}
    errors = []
    for _start, _end, code, box, receipt in results:
        if code == 201:
            accepted[box].append(receipt)
        elif code == 0 or code >= 500:
            errors.append(receipt or str(code))
    return Outcome(
        f"API w={workers}" + (" before" if src else ""),
        str(workers),
        str(concurrency) + (f" @{args.rate:g}/s" if args.rate else ""),
        np.array([r[0] for r in results]),
        np.array([r[1] for r in results]),
        np.array([r[2] for r in results]),
        accepted,
        (warm, end),
        cpu,
        errors=errors,
        load=load,
    )


# ---------------------------------------------------------------------- accounting


def account(setup: Setup, out: Outcome) -> str:
    """Ballot and participation rows per box equal the ballots accepted; after close, the board
    holds exactly the receipts answered."""
    db = Database(setup.url, upgrade=False)
    problems = []
    with db.transaction() as s:
        for box, receipts in out.accepted.items():
            qid = setup.boxes[box]
            n_ballots = s.execute(
                sa.select(sa.func.count()).where(Ballot.question_id == qid)
            ).scalar_one()
            n_part = s.execute(
                sa.select(sa.func.count()).where(Participation.question_id == qid)
            ).scalar_one()
            if not n_ballots == n_part == len(receipts):
                problems.append(
                    f"{box}: {n_ballots} ballots, {n_part} participations, {len(receipts)} accepted"
                )
    close_vote(db, setup.round_id, actor=FACILITATOR)
    with db.transaction() as s:
        for box, receipts in out.accepted.items():
            box_ = s.get(Question, setup.boxes[box])
            assert box_ is not None
            board = set(
                s.execute(sa.select(Ballot.receipt).where(Ballot.question_id == box_.id)).scalars()
            )
            if box_.status != "closed" or board != set(receipts) or len(receipts) != len(board):
                problems.append(f"{box}: the board differs from the receipts answered")
    db.dispose()
    total = sum(len(r) for r in out.accepted.values())
    short = len(out.starts) and out.starts.max() < out.window[1] - 1.0
    note = " (the members ran out early: give more --members)" if short else ""
    return ("; ".join(problems) if problems else f"ok: {total:,} = rows = board") + note


# ---------------------------------------------------------------------- the table


def _ms(x: np.ndarray, p: float) -> str:
    return f"{np.percentile(x, p) * 1e3:.1f}" if len(x) else "–"


def table(outcomes: list[Outcome], args: Any) -> Table:
    t = Table(
        title=f"Ballots on PostgreSQL: {args.members:,} members, {args.seconds:g} s measured "
        f"after {args.warmup:g} s warm-up ({os.cpu_count()} cores, shared)"
    )
    for col in (
        "config",
        "workers",
        "concurrency",
        "sent",
        "accepted",
        "refused",
        "errors",
        "ballots/s",
        "p50 ms",
        "p95 ms",
        "p99 ms",
        "max ms",
        "CPU ms/ballot gen/server/pg",
        "load avg",
        "accounting (whole run)",
    ):
        left = col in ("config", "accounting (whole run)")
        t.add_column(col, justify="left" if left else "right")
    for o in outcomes:
        warm, end = o.window
        inside = (o.starts >= warm) & (o.starts < end)
        lat = (o.ends - o.starts)[inside]
        done = (o.status == 201) & (o.ends >= warm) & (o.ends < end)
        rate = done.sum() / (end - warm)
        sent = int(inside.sum())
        ok = int((o.status[inside] == 201).sum())
        bad = int(((o.status[inside] == 0) | (o.status[inside] >= 500)).sum())
        per = max(int(done.sum()), 1)
        cpu = "/".join(f"{o.cpu[k] * 1e3 / per:.2f}" for k in ("generator", "server", "postgres"))
        t.add_row(
            o.label,
            o.workers,
            o.concurrency,
            f"{sent:,}",
            f"{ok:,}",
            f"{sent - ok - bad:,}",
            f"{bad:,}",
            f"{rate:,.0f}",
            _ms(lat, 50),
            _ms(lat, 95),
            _ms(lat, 99),
            _ms(lat, 100),
            cpu,
            o.load,
            o.check,
        )
    return t


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--db", default=os.environ.get(URL_VARIABLE), help=f"default ${URL_VARIABLE}")
    p.add_argument("--members", type=int, default=20_000)
    p.add_argument("--communes", type=int, default=4)
    p.add_argument("--seconds", type=float, default=20.0, help="measured, per configuration")
    p.add_argument("--warmup", type=float, default=3.0)
    p.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    p.add_argument("--concurrency", type=int, nargs="+", default=[32])
    p.add_argument("--clients", type=int, default=1, help="load-generator processes")
    p.add_argument(
        "--client",
        choices=("httpx", "raw"),
        default="httpx",
        help="httpx.AsyncClient, or a minimal HTTP/1.1 client on asyncio streams",
    )
    p.add_argument("--rate", type=float, default=0.0, help="open loop at this many ballots/s")
    p.add_argument("--no-library", action="store_true", help="skip the library baseline")
    p.add_argument(
        "--before-src",
        default="",
        help="also run each API configuration with the server from this source tree (the src "
        "folder of an older checkout: git worktree add /tmp/old REV; --before-src /tmp/old/src)",
    )
    p.add_argument("--pool-size", type=int, default=0, help="the server's $COMMONPLAN_DB_POOL_SIZE")
    p.add_argument(
        "--max-overflow", type=int, default=None, help="the server's $COMMONPLAN_DB_MAX_OVERFLOW"
    )
    p.add_argument("--keep", action="store_true", help="keep the databases")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args()
    if not args.db:
        p.error(f"give --db or set {URL_VARIABLE} (export {URL_VARIABLE}=$(scripts/pg))")
    console = Console(width=max(Console().width, 200))
    configs: list[tuple[str, int, int]] = [] if args.no_library else [("library", 0, 1)]
    for w in args.workers:
        for c in args.concurrency:
            configs += [("before", w, c)] if args.before_src else []
            configs += [("api", w, c)]
    outcomes = []
    logs = Path(tempfile.mkdtemp(prefix="commonplan-ballots-"))
    for k, (kind, w, c) in enumerate(configs):
        label = f"{k}_{kind}_{w}_{c}"
        with fresh_database(args.db, label, args.keep) as (url, name):
            setup = prepare(url, name, args.members, args.communes)
            work = jobs(setup, args.seed + k)
            console.print(
                f"[dim]{kind} w={w} c={c}: database {name} ready in {setup.seconds:.1f} s "
                f"(load {_load()})[/]"
            )
            if kind == "library":
                out = library(setup, work, args)
            else:
                src = args.before_src if kind == "before" else ""
                out = api(setup, work, w, c, args, logs, src)
            out.check = account(setup, out)
            outcomes.append(out)
            kinds = ", ".join(f"{n} × {e}" for e, n in Counter(out.errors).most_common())
            console.print(f"[dim]  {out.label}: {out.check}; errors: {kinds or 'none'}[/]")
    console.print(table(outcomes, args))
    console.print(f"[dim]server logs: {logs}[/]")


if __name__ == "__main__":
    main()
