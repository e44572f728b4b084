"""Helpers for the tests of the REST API: an app on a fresh database, a federation with its
members, signing in, reading answers and refusals, a round run to its vote.  Test modules import
them from here (never from one another)."""

from __future__ import annotations

import re
import sqlite3
import warnings
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from hypothesis import HealthCheck, settings

with warnings.catch_warnings():  # starlette's TestClient would prefer httpx2
    warnings.simplefilter("ignore", DeprecationWarning)
    from fastapi.testclient import TestClient

from argon2 import PasswordHasher

from commonplan import accounts as auth
from commonplan.accounts import _hashing
from commonplan.federation import add_members
from commonplan.store import Database
from commonplan.web import Settings, create_app

API = "/api/v1"
FACILITATOR = "ada"


def password(handle: str) -> str:
    return f"password of {handle}"


def commune(name: str = "Commune") -> dict[str, Any]:
    """Two workers' and two consumers' councils on the shipped Swedish table."""
    return {
        "name": name,
        "level": "commune",
        "economy": "demo",
        "people_per_member": 1,
        "default_hours": 1600,
        "floors": [{"product": "C10T12", "per_person": 0.01, "need": "food"}],
        "rounds": {"collective_share": 0.2},
        "councils": [
            {"name": f"{name} bakery", "kind": "workers", "processes": ["C10T12"]},
            {"name": f"{name} clinic", "kind": "workers", "processes": ["Q86"]},
            {"name": f"{name} east", "kind": "consumers"},
            {"name": f"{name} west", "kind": "consumers"},
        ],
    }


def people(name: str, prefix: str, n: int) -> list[dict[str, str]]:
    return [
        {
            "handle": f"{prefix}{i}",
            "name": f"Member {i}",
            "workers_council": f"{name} {('bakery', 'clinic')[i % 2]}",
            "consumers_council": f"{name} {('east', 'west')[i // 2 % 2]}",
        }
        for i in range(n)
    ]


def make_app(url: str, **settings: Any) -> FastAPI:
    return create_app(url, settings=Settings(**settings))


@pytest.fixture(autouse=True)
def cheap_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Argon2 at its cheapest: the tests sign in often, and the cost is argon2's to test."""
    monkeypatch.setattr(
        _hashing, "HASHER", PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)
    )


@pytest.fixture
def app(database_url: str) -> Iterator[FastAPI]:
    application = make_app(database_url)
    yield application
    application.state.db.dispose()


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as c:
        yield c


def first_facilitator(db: Database, handle: str = FACILITATOR, role: str = "facilitator") -> None:
    """A facilitator (or auditor) with no council and a password, as ``commonplan members add``
    and ``commonplan account set-password`` make them."""
    add_members(db, [{"handle": handle, "role": role}])
    auth.set_password(db, handle, password(handle))


def sign_in(client: TestClient, handle: str) -> dict[str, str]:
    """Bearer headers of a new session of ``handle`` (the cookie the answer sets is dropped)."""
    r = client.post(f"{API}/auth/sign-in", json={"handle": handle, "password": password(handle)})
    assert r.status_code == 200, r.text
    client.cookies.clear()
    return {"Authorization": f"Bearer {r.json()['token']}"}


def ok(r: Any, status: int = 200) -> Any:
    assert r.status_code == status, (r.request.method, r.request.url, r.status_code, r.text)
    return r.json() if r.content else None


def unseen(r: Any) -> str:
    """Another federation's row, answered exactly as an id nobody has: 404, ``no <what> with id
    <id>`` (nothing says that it exists)."""
    detail = refused(r, 404, "not_found")
    assert re.fullmatch(r"no [a-z ]+ with id \d+", detail), detail
    return detail


def refused(r: Any, status: int, kind: str, *names: str) -> str:
    """An error answer: the status, ``{"error": kind, "detail": …}`` naming each of ``names``."""
    assert r.status_code == status, (r.request.url, r.status_code, r.text)
    body = r.json()
    assert set(body) == {"error", "detail"} and body["error"] == kind, body
    assert "Traceback" not in body["detail"]
    for name in names:
        assert name in body["detail"], body
    return str(body["detail"])


def federation_with_members(
    client: TestClient, facilitator: str, name: str, prefix: str, n: int = 6
) -> tuple[int, dict[str, str]]:
    """Federation ``name`` created over the API by ``facilitator`` (who must exist), ``n``
    members imported with passwords set through invitations; returns (id, facilitator headers)."""
    fac = sign_in(client, facilitator)
    fed = ok(client.post(f"{API}/federations", json=commune(name), headers=fac), 201)
    rows = people(name, prefix, n)
    assert ok(client.post(f"{API}/federations/{fed['id']}/members", json=rows, headers=fac), 201)
    for row in rows:
        invited = client.post(f"{API}/members/{row['handle']}/invitations", headers=fac)
        token = ok(invited, 201)["token"]
        accept = {"token": token, "password": password(row["handle"])}
        ok(client.post(f"{API}/auth/invitations/accept", json=accept))
    return fed["id"], fac


def file(client: TestClient, round_id: int, headers: dict[str, str], **body: Any) -> Any:
    return ok(client.post(f"{API}/rounds/{round_id}/proposals", json=body, headers=headers), 201)


def run_to_vote(
    client: TestClient, fed: int, fac: dict[str, str], name: str, prefix: str
) -> dict[str, Any]:
    """Open a round, file proposals, compute the draft, open the vote; returns ids and headers."""
    r = ok(client.post(f"{API}/federations/{fed}/rounds", json={}, headers=fac), 201)
    m0, m1 = sign_in(client, f"{prefix}0"), sign_in(client, f"{prefix}1")
    file(
        client,
        r["id"],
        m0,
        council=f"{name} east",
        kind="target",
        title="bread",
        amounts={"C10T12": 2, "L68B": 3},
    )
    canteen = file(
        client,
        r["id"],
        m0,
        council=f"{name} east",
        kind="collective",
        title="canteen",
        amounts={"I": 1},
    )
    clinic = file(
        client,
        r["id"],
        m1,
        council=f"{name} east",
        kind="collective",
        title="clinic",
        amounts={"Q86": 1.5},
    )
    ok(client.post(f"{API}/rounds/{r['id']}/draft", headers=fac), 201)
    boxes = ok(client.post(f"{API}/rounds/{r['id']}/vote", headers=fac), 201)["questions"]
    return {"round": r["id"], "boxes": boxes, "collective": [canteen["id"], clinic["id"]]}


def fixed(**given: Any) -> settings:
    """Hypothesis' settings for runs through the API: a fixed seed (the same calls every run), no
    deadline (a draft takes what it takes), no example database, no health check."""
    return settings(
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=True,
        database=None,
        **given,
    )


def copy(source: Path, target: Path) -> None:
    """A SQLite database copied whole (its write-ahead log included), by SQLite's backup."""
    with closing(sqlite3.connect(source)) as a, closing(sqlite3.connect(target)) as b:
        a.backup(b)
