"""Benchmark: does heavy work stall other requests, and is a huge body refused cheaply?

Against a real ``commonplan serve`` (a subprocess, one worker) on a fresh database
(PostgreSQL from $COMMONPLAN_TEST_POSTGRES_URL when set, else a SQLite file; --db URL to choose):
a federation of --members members, each with a bearer session made directly in the database
(no argon2), and a round in its vote, set up through the API.  Then:

1. **ballots alone**: --ballots members cast their ratification ballot, --concurrency at a time;
   latency per ballot (send to answer).
2. **ballots during an import**: as many other members cast theirs while a facilitator imports a
   member file of --import-rows rows (about 5 MiB, the largest file the service takes) over and
   over; the import's own time is printed.  CSV parsing, checking and storing run off the event
   loop, so the ballots' p99 should stay near that of (1) — on SQLite, with one writer at a
   time, ballots queue behind the import's transaction, which is the database, not the loop.
3. **a 25 MB body**: sent to the sign-in route unauthenticated (with Content-Length, then
   chunked without one): the time to the 413 and the server's resident memory before and after.

Run::

    python benchmarks/web_load.py                       # PostgreSQL if the variable is set
    python benchmarks/web_load.py --db sqlite:////tmp/load.db --ballots 300
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from commonplan.federation import add_members, create_federation, read_description  # noqa: E402
from commonplan.store import Database  # noqa: E402
from commonplan.store.models import Member, WebSession  # noqa: E402
from hours import fresh_database  # noqa: E402  (benchmarks/hours.py)

API = "/api/v1"


EXAMPLE = ROOT / "examples" / "federation.yaml"
"""The federation: the user guide's example (councils North dairy, North neighbourhood …)."""
HOME = "North neighbourhood"


@contextmanager
def database(url: str | None) -> Iterator[str]:
    """A fresh database: on the PostgreSQL server of ``url`` (dropped after), or a SQLite file."""
    if url is None:
        with tempfile.TemporaryDirectory() as tmp:
            yield f"sqlite:///{tmp}/load.db"
        return
    if url.startswith("sqlite"):
        yield url
        return
    with fresh_database(url) as fresh:
        yield fresh


def set_up(url: str, members: int) -> tuple[list[str], str]:
    """The federation, its members and a facilitator, each with a session: their tokens."""
    db = Database(url)
    fed = create_federation(db, read_description(EXAMPLE))
    rows = [{"handle": "fac", "role": "facilitator"}] + [
        {
            "handle": f"m{k}",
            "workers_council": "North dairy",
            "consumers_council": "North neighbourhood",
        }
        for k in range(members)
    ]
    add_members(db, rows)
    now = datetime.now(UTC)
    tokens: dict[str, str] = {}
    with db.transaction() as s:
        ids = dict(s.execute(sa.select(Member.handle, Member.id)).all())
        for handle, member in ids.items():
            tokens[handle] = secrets.token_urlsafe(32)
            s.add(
                WebSession(
                    token_sha256=hashlib.sha256(tokens[handle].encode()).hexdigest(),
                    member_id=member,
                    created_at=now,
                    seen_at=now,
                    expires_at=now + timedelta(days=1),
                    client="bench",
                )
            )
    from commonplan import accounts

    accounts.add_staff(db, "fac", fed)
    db.dispose()
    return [tokens[f"m{k}"] for k in range(members)], tokens["fac"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def rss_mib(pid: int) -> float:
    """Resident memory of ``pid`` and its children (uvicorn's worker), MiB."""
    total = 0.0
    pids = [pid]
    for child in Path("/proc").glob("[0-9]*"):
        try:
            ppid = int((child / "stat").read_text().split()[3])
        except (OSError, ValueError, IndexError):
            continue
        if ppid == pid:
            pids.append(int(child.name))
    for p in pids:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) / 1024
        except OSError:
            pass
    return total


def percentile(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))] if xs else float("nan")


async def cast_all(
    client: httpx.AsyncClient, tokens: list[str], question: int, concurrency: int
) -> list[float]:
    latencies: list[float] = []
    queue = list(tokens)

    async def slot() -> None:
        while queue:
            token = queue.pop()
            t0 = time.perf_counter()
            r = await client.post(
                f"{API}/questions/{question}/ballots",
                json={"choice": {"vote": "yes"}},
                headers={"Authorization": f"Bearer {token}"},
            )
            latencies.append((time.perf_counter() - t0) * 1000)
            assert r.status_code == 201, r.text

    await asyncio.gather(*(slot() for _ in range(concurrency)))
    return latencies


async def imports(
    client: httpx.AsyncClient, fac: str, fed: int, rows: int, stop: asyncio.Event
) -> list[float]:
    took = []
    k = 0
    while not stop.is_set():
        body = "handle,name,consumers_council\n" + "".join(
            f"i{k}x{j},Imported person {j} with a long enough name,North neighbourhood\n"
            for j in range(rows)
        )
        t0 = time.perf_counter()
        r = await client.post(
            f"{API}/federations/{fed}/members/csv",
            files={"file": ("m.csv", body.encode(), "text/csv")},
            headers={"Authorization": f"Bearer {fac}"},
            timeout=300,
        )
        took.append(time.perf_counter() - t0)
        assert r.status_code == 201, r.text[:300]
        k += 1
    return took


async def big_bodies(base: str, pid: int) -> None:
    body = b"x" * (25 * 1024 * 1024)
    async with httpx.AsyncClient(base_url=base, timeout=60) as c:
        for label, content in (("Content-Length", body), ("chunked", _chunks(body))):
            before = rss_mib(pid)
            t0 = time.perf_counter()
            try:
                r = await c.post(f"{API}/auth/sign-in", content=content)
                status = str(r.status_code)
            except httpx.HTTPError as exc:  # the server may close before all is sent
                status = f"closed ({type(exc).__name__})"
            ms = (time.perf_counter() - t0) * 1000
            after = rss_mib(pid)
            print(
                f"25 MB body ({label}): {status} in {ms:.0f} ms; server RSS {before:.0f} → "
                f"{after:.0f} MiB"
            )


async def _chunks(body: bytes) -> AsyncIterator[bytes]:
    for k in range(0, len(body), 65536):
        yield body[k : k + 65536]


async def main(args: argparse.Namespace) -> None:
    with database(args.db or os.environ.get("COMMONPLAN_TEST_POSTGRES_URL")) as url:
        voters, fac = set_up(url, 2 * args.ballots + 2)
        port = free_port()
        env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
        server = subprocess.Popen(
            [sys.executable, "-m", "commonplan", "serve", "--db", url, "--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(300):
                try:
                    httpx.get(base + "/sign-in", timeout=1)
                    break
                except httpx.HTTPError:
                    time.sleep(0.1)
            print(f"commonplan serve on {url.split('@')[-1]}, pid {server.pid}")
            limits = httpx.Limits(max_connections=args.concurrency + 4)
            async with httpx.AsyncClient(base_url=base, limits=limits, timeout=120) as c:
                h = {"Authorization": f"Bearer {fac}"}
                fed = (await c.get(f"{API}/federations", headers=h)).json()[0]["id"]
                rid = (await c.post(f"{API}/federations/{fed}/rounds", json={}, headers=h)).json()
                m = {"Authorization": f"Bearer {voters[-1]}"}
                proposal = {
                    "council": "North neighbourhood",
                    "kind": "target",
                    "title": "bread",
                    "amounts": {"C10T12": 2},
                }
                await c.post(f"{API}/rounds/{rid['id']}/proposals", json=proposal, headers=m)
                await c.post(f"{API}/rounds/{rid['id']}/draft", headers=h)
                vote = (await c.post(f"{API}/rounds/{rid['id']}/vote", headers=h)).json()
                question = vote["questions"]["ratify"]

                alone = await cast_all(c, voters[: args.ballots], question, args.concurrency)
                stop = asyncio.Event()
                importer = asyncio.create_task(imports(c, fac, fed, args.import_rows, stop))
                await asyncio.sleep(0.5)  # the import under way
                during = await cast_all(
                    c, voters[args.ballots : 2 * args.ballots], question, args.concurrency
                )
                stop.set()
                took = await importer
            for label, xs in (("ballots alone", alone), ("ballots during imports", during)):
                print(
                    f"{label:24} n={len(xs):4}  p50 {percentile(xs, 0.5):7.1f} ms  "
                    f"p95 {percentile(xs, 0.95):7.1f} ms  p99 {percentile(xs, 0.99):7.1f} ms  "
                    f"max {max(xs):7.1f} ms"
                )
            print(
                f"imports of {args.import_rows} rows: {len(took)}, "
                + ", ".join(f"{t:.1f} s" for t in took)
            )
            await big_bodies(base, server.pid)
        finally:
            server.terminate()
            server.wait(10)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", help="a PostgreSQL server URL (a fresh database is made on it)")
    parser.add_argument("--ballots", type=int, default=400)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--import-rows", type=int, default=70_000)
    asyncio.run(main(parser.parse_args()))
