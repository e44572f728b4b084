"""The REST API end to end, on SQLite and PostgreSQL (the ``database_url`` fixture), through
FastAPI's TestClient: a whole planning round from federation to board, members from CSV, deadlines,
the error shape, and the ``serve``, ``db upgrade`` and ``account`` commands.

The shared helpers (``make_app``, ``first_facilitator``, ``sign_in``, ``commune`` …) are in
``api_support.py``.
"""

from __future__ import annotations

import warnings
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import typer
from fastapi import FastAPI
from typer.testing import CliRunner

with warnings.catch_warnings():  # starlette's TestClient would prefer httpx2
    warnings.simplefilter("ignore", DeprecationWarning)
    from fastapi.testclient import TestClient


from api_support import (
    API,
    FACILITATOR,
    app,
    cheap_hashing,
    client,
    commune,
    federation_with_members,
    file,
    first_facilitator,
    ok,
    password,
    refused,
    sign_in,
)
from commonplan import accounts as auth
from commonplan import rounds
from commonplan.cli import web as cli_web
from commonplan.federation import add_members
from commonplan.store import Database

__all__ = ["app", "cheap_hashing", "client"]  # fixtures (cheap_hashing autouse), from api_support

# ---------------------------------------------------------------------- the whole round


def test_a_round_through_the_api(app: FastAPI, client: TestClient) -> None:
    db = app.state.db
    first_facilitator(db)
    fed, fac = federation_with_members(client, FACILITATOR, "North", "n", n=6)

    tree = ok(client.get(f"{API}/federations/{fed}", headers=fac))
    assert tree["name"] == "North" and tree["settings"]["economy"] == "demo"
    assert sorted(c["members"] for c in tree["councils"]) == [2, 3, 3, 4]
    assert [f["id"] for f in ok(client.get(f"{API}/federations", headers=fac))] == [fed]
    assert len(ok(client.get(f"{API}/federations/{fed}/members", headers=fac))) == 6

    deadline = (datetime.now(UTC) + timedelta(days=2)).isoformat()
    opened = client.post(
        f"{API}/federations/{fed}/rounds", json={"deadlines": {"vote": deadline}}, headers=fac
    )
    r = ok(opened, 201)
    assert r["phase"] == "proposals" and r["number"] == 1 and r["time_left"] is None
    assert r["deadlines"][0]["phase"] == "vote" and r["deadlines"][0]["seconds_left"] > 86_400
    rid = r["id"]

    n0, n1, n2 = (sign_in(client, f"n{i}") for i in range(3))
    bread = file(
        client,
        rid,
        n0,
        council="North east",
        kind="target",
        title="bread",
        amounts={"C10T12": 2, "L68B": 3},
    )
    assert bread["filed_by"] == "n0" and bread["council"] == "North east"
    canteen = file(
        client, rid, n0, council="North east", kind="collective", title="canteen", amounts={"I": 1}
    )
    clinic = file(
        client,
        rid,
        n2,
        council="North west",
        kind="collective",
        title="clinic",
        amounts={"Q86": 1.5},
    )
    gym = file(
        client, rid, n2, council="North west", kind="collective", title="gym", amounts={"R93": 0.5}
    )
    hours = file(client, rid, n0, council="North bakery", kind="hours", title="ours", hours=1500)
    amended = ok(
        client.post(
            f"{API}/proposals/{hours['id']}/amendments",
            json={"title": "ours, amended", "hours": 1550},
            headers=n0,
        ),
        201,
    )
    assert amended["amends"] == hours["id"] and amended["hours"] == 1550
    withdrawn = ok(client.post(f"{API}/proposals/{gym['id']}/withdraw", headers=n2))
    assert withdrawn["withdrawn"] is True
    live = ok(client.get(f"{API}/rounds/{rid}/proposals", headers=n1))
    assert [p["title"] for p in live] == ["bread", "canteen", "clinic", "ours, amended"]
    every = ok(client.get(f"{API}/rounds/{rid}/proposals?withdrawn=true", headers=n1))
    assert len(every) == 6
    refused(  # n1 is in the bakery and the east: not the west's to withdraw
        client.post(f"{API}/proposals/{clinic['id']}/withdraw", headers=n1),
        403,
        "forbidden",
        "n1",
    )
    refused(client.post(f"{API}/rounds/{rid}/draft", headers=n0), 403, "forbidden", "facilitator")

    draft = ok(client.post(f"{API}/rounds/{rid}/draft", headers=fac), 201)
    assert draft["stage"] == "draft" and draft["status"] == "optimal"
    assert {c["title"] for c in draft["collective"]} == {"canteen", "clinic"}
    assert all(c["hours"] > 0 and c["chosen"] is None for c in draft["collective"])
    assert ok(client.get(f"{API}/plans/{draft['plan']}", headers=n1)) == draft
    result = ok(client.get(f"{API}/plans/{draft['plan']}/result", headers=n1))
    assert result["status"] == "optimal" and "activity" in result
    inputs = ok(client.get(f"{API}/plans/{draft['plan']}/inputs", headers=n1))
    assert inputs["economy"] == "demo"
    mine = ok(client.get(f"{API}/rounds/{rid}/me/consequences", headers=n0))
    assert mine["member"] == "n0" and mine["hours_proposed"] == 1550
    assert {p["title"] for p in mine["proposals"]} == {"bread", "canteen", "ours, amended"}
    shares = mine["per_person"]  # the library's answer, as the API carries it
    expected = asdict(rounds.what_we_get(db, rid, member="n0"))
    assert shares == {**expected, "rows": list(expected["rows"])}
    assert shares["unit"] == "SEK" and shares["rows"]
    assert ok(client.get(f"{API}/rounds/{rid}", headers=n1))["phase"] == "feedback"

    boxes = ok(client.post(f"{API}/rounds/{rid}/vote", headers=fac), 201)["questions"]
    assert set(boxes) == {"budget", "ratify"}
    listed = ok(client.get(f"{API}/rounds/{rid}/questions", headers=n0))
    assert [q["kind"] for q in listed] == ["budget", "ratify"]
    assert not any(q["voted"] for q in listed)
    refused(
        client.get(f"{API}/questions/{boxes['ratify']}/result", headers=n0), 409, "phase", "open"
    )
    refused(client.get(f"{API}/rounds/{rid}/board", headers=n0), 409, "phase", "still open")

    receipts = {}
    for i in range(6):
        who = sign_in(client, f"n{i}") if i > 2 else (n0, n1, n2)[i]
        approve = [str(canteen["id"])] if i % 2 else [str(canteen["id"]), str(clinic["id"])]
        ballot = {"choice": {"approve": approve}}
        if i < 5:  # n5 leaves the budget to the others
            budget = client.post(
                f"{API}/questions/{boxes['budget']}/ballots", json=ballot, headers=who
            )
            ok(budget, 201)
        vote = {"choice": {"vote": "no" if i == 5 else "yes"}}
        cast = client.post(f"{API}/questions/{boxes['ratify']}/ballots", json=vote, headers=who)
        receipts[i] = ok(cast, 201)["receipt"]
    retry = {"choice": {"vote": "yes"}, "receipt": receipts[0]}  # the answer was lost: again
    again = client.post(f"{API}/questions/{boxes['ratify']}/ballots", json=retry, headers=n0)
    refused(again, 409, "ballot_refused", "n0", "already")  # as any second ballot: no oracle
    second = {"choice": {"vote": "no"}}
    refused(
        client.post(f"{API}/questions/{boxes['ratify']}/ballots", json=second, headers=n0),
        409,
        "ballot_refused",
        "n0",
        "already",
    )
    invalid = {"choice": {"vote": "maybe"}}
    refused(
        client.post(f"{API}/questions/{boxes['ratify']}/ballots", json=invalid, headers=n1),
        409,
        "ballot_refused",
        "yes",
    )
    assert ok(client.get(f"{API}/questions/{boxes['ratify']}", headers=n0))["voted"] is True

    closed = ok(client.post(f"{API}/rounds/{rid}/vote/close", headers=fac))
    assert closed["phase"] == "ratified" and closed["outcome"]["ratified"] is True
    assert closed["closed_at"] is not None and closed["plans"][-1] == closed["outcome"]["plan"]
    counted = ok(client.get(f"{API}/questions/{boxes['ratify']}/result", headers=n1))
    assert counted["result"]["ratified"] is True and counted["box_sha256"]
    final = ok(client.get(f"{API}/plans/{closed['outcome']['plan']}", headers=n1))
    assert final["stage"] == "final"
    assert [c["chosen"] for c in final["collective"]] == [
        str(c["id"]) in map(str, closed["outcome"]["chosen"]) for c in final["collective"]
    ]
    n5 = sign_in(client, "n5")
    refused(
        client.post(f"{API}/questions/{boxes['budget']}/ballots", json=ballot, headers=n5),
        409,
        "ballot_refused",
        "closed",
    )

    board = ok(client.get(f"{API}/rounds/{rid}/board", headers=n1))
    assert [q["question"] for q in board["questions"]] == [boxes["budget"], boxes["ratify"]]
    ratify = board["questions"][1]
    assert len(ratify["ballots"]) == 6 and ratify["eligible"] == 6
    assert sorted(r for r, _ in ratify["ballots"]) == sorted(receipts.values())
    find = f"{API}/board/ballots/find"  # the receipt in the body: never in a URL
    found = ok(client.post(find, json={"receipt": receipts[5]}, headers=n1))
    assert found == [
        {
            "question": boxes["ratify"],
            "round": rid,
            "kind": "ratify",
            "receipt": receipts[5],
            "choice": {"vote": "no"},
        }
    ]
    refused(client.post(find, json={"receipt": "NO-SUCH-CODE"}, headers=n1), 404, "not_found")

    verified = ok(client.get(f"{API}/audit/verify", headers=fac))
    assert verified["ok"] and verified["head"] == ratify["audit_head"]["sha256"]
    assert board["log"][-1]["sha256"] == verified["head"]  # the board's log ends at the head
    assert board["log"][-1]["action"] == "round ratified"
    head = ok(client.get(f"{API}/audit/verify?head={verified['head']}", headers=fac))
    assert head["ok"]
    log = ok(client.get(f"{API}/audit/entries?limit=500", headers=fac))["entries"]
    actions = [e["action"] for e in log]
    assert "federation created" in actions and actions[-1] == "round ratified"
    assert {e["actor"] for e in log if e["action"] == "proposal filed"} == {"n0", "n2"}
    assert {e["actor"] for e in log if e["action"].startswith("round")} == {FACILITATOR}
    page = ok(client.get(f"{API}/audit/entries?limit=3", headers=fac))
    assert [e["seq"] for e in page["entries"]] == [e["seq"] for e in log[:3]]
    rest = ok(client.get(f"{API}/audit/entries?after={page['next_after']}", headers=fac))
    assert rest["entries"][0]["seq"] == log[3]["seq"] and rest["next_after"] is None

    same = ok(client.post(f"{API}/plans/{final['plan']}/recompute", headers=fac))
    assert same["same"] is True
    history = ok(client.get(f"{API}/federations/{fed}/rounds", headers=n1))
    assert [h["phase"] for h in history] == ["ratified"]
    refused(client.post(f"{API}/federations/{fed}/rounds", json={}, headers=fac), 409, "phase")


# ---------------------------------------------------------------------- members, errors


def test_members_from_csv_and_refused_rows(app: FastAPI, client: TestClient) -> None:
    first_facilitator(app.state.db)
    fac = sign_in(client, FACILITATOR)
    fed = ok(client.post(f"{API}/federations", json=commune("South"), headers=fac), 201)["id"]
    members = f"{API}/federations/{fed}/members"
    text = (
        "handle,name,workers_council,consumers_council,role\n"
        "s1,Sam,South bakery,South east,\n"
        "s2,Sol,,South west,\n"
        "eve,Eve,,,auditor\n"
    )
    upload = {"file": ("members.csv", text.encode(), "text/csv")}
    assert ok(client.post(f"{members}/csv", files=upload, headers=fac), 201) == {"added": 3}
    listed = ok(client.get(members, headers=fac))
    assert [m["handle"] for m in listed] == ["s1", "s2"]
    assert listed[1] == {
        "handle": "s2",
        "name": "Sol",
        "role": "member",
        "workers_council": None,
        "consumers_council": "South west",
    }
    # eve has no council: an auditor who serves this federation
    auth.set_password(app.state.db, "eve", password("eve"))
    eve = sign_in(client, "eve")
    assert ok(client.get(f"{API}/me", headers=eve))["federations"] == [fed]
    assert ok(client.get(members, headers=eve))[0]["handle"] == "s1"

    refused(
        client.post(members, json=[{"handle": "s3", "workers_council": "Nowhere"}], headers=fac),
        422,
        "plan_input",
        "Nowhere",
        "s3",
    )
    refused(
        client.post(members, json=[{"handle": "s3"}], headers=fac),
        422,
        "plan_input",
        "s3",
        "council",
    )
    refused(
        client.post(
            members, json=[{"handle": "s1", "consumers_council": "South east"}], headers=fac
        ),
        422,
        "plan_input",
        "'s1'",
        "cannot be used",
    )
    no_handle = {"file": ("m.csv", b"name,role\nX,member\n", "text/csv")}
    refused(
        client.post(f"{members}/csv", files=no_handle, headers=fac), 422, "plan_input", "handle"
    )
    latin = {"file": ("m.csv", "handle\nj\xf6rn\n".encode("latin-1"), "text/csv")}
    refused(client.post(f"{members}/csv", files=latin, headers=fac), 422, "plan_input", "UTF-8")
    long_name = {"file": ("m.csv", f"handle,name\nj,{'x' * 201}\n".encode(), "text/csv")}
    refused(
        client.post(f"{members}/csv", files=long_name, headers=fac),
        422,
        "plan_input",
        "m.csv, line 2: name",
    )
    nul = [{"handle": "s\x00", "consumers_council": "South east"}]
    refused(client.post(members, json=nul, headers=fac), 422, "invalid_request", "NUL", "handle")
    s1 = {"handle": "s1", "password": password("s1")}
    refused(client.post(f"{API}/auth/sign-in", json=s1), 401, "unauthenticated")  # no password


def test_errors_have_one_shape(app: FastAPI, client: TestClient) -> None:
    first_facilitator(app.state.db)
    fac = sign_in(client, FACILITATOR)
    refused(client.get(f"{API}/rounds/999", headers=fac), 404, "not_found", "round", "999")
    refused(client.get(f"{API}/nothing/here"), 404, "not_found", "/api/v1/nothing/here")
    refused(client.delete(f"{API}/me", headers=fac), 405, "method_not_allowed")
    refused(
        client.post(f"{API}/auth/sign-in", json={"handle": "ada"}),
        422,
        "invalid_request",
        "password",
    )
    bad = {**commune("Bad"), "economy": "/etc/passwd"}
    refused(client.post(f"{API}/federations", json=bad, headers=fac), 422, "plan_input", "demo")
    unknown = {**commune("Bad"), "floors": [{"product": "NOPE", "per_person": 1}]}
    refused(client.post(f"{API}/federations", json=unknown, headers=fac), 422, "plan_input", "NOPE")
    fed = ok(client.post(f"{API}/federations", json=commune("Good"), headers=fac), 201)
    again = client.post(f"{API}/federations", json=commune("Good"), headers=fac)
    refused(again, 422, "plan_input", "'Good'", "cannot be used")
    refused(
        client.post(
            f"{API}/federations/{fed['id']}/rounds",
            json={"deadlines": {"vote": "soon"}},
            headers=fac,
        ),
        422,
        "invalid_request",
        "vote",
    )


def test_round_deadlines_stop_filing(app: FastAPI, client: TestClient) -> None:
    first_facilitator(app.state.db)
    fed, fac = federation_with_members(client, FACILITATOR, "West", "w", n=2)
    past = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
    soon = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    body = {"deadlines": {"proposals": past, "vote": soon}}
    r = ok(client.post(f"{API}/federations/{fed}/rounds", json=body, headers=fac), 201)
    assert r["time_left"] == 0  # the proposals phase is over
    assert {d["phase"]: d["seconds_left"] > 3000 for d in r["deadlines"]} == {
        "proposals": False,
        "vote": True,
    }
    w0 = sign_in(client, "w0")
    late = {"council": "West east", "kind": "target", "title": "late", "amounts": {"C10T12": 1}}
    refused(
        client.post(f"{API}/rounds/{r['id']}/proposals", json=late, headers=w0),
        409,
        "phase",
        "ended",
    )


# ---------------------------------------------------------------------- the commands


@pytest.fixture
def cli() -> typer.Typer:
    app = typer.Typer()
    cli_web.register(app)
    return app


def test_db_upgrade_and_account_commands(cli: typer.Typer, tmp_path: Path) -> None:
    path = str(tmp_path / "plan.db")
    runner = CliRunner()
    upgraded = runner.invoke(cli, ["db", "upgrade", "--db", path])
    assert upgraded.exit_code == 0, upgraded.output
    assert f"schema revision {Database.head()}" in upgraded.output
    db = Database(path)
    add_members(db, [{"handle": "ada", "role": "facilitator"}])
    invited = runner.invoke(cli, ["account", "invite", "ada", "--db", path, "--json"])
    assert invited.exit_code == 0, invited.output
    token = __import__("json").loads(invited.stdout)["token"]
    assert auth.accept_invitation(db, token, password("ada")) == "ada"
    typed = runner.invoke(
        cli,
        ["account", "set-password", "ada", "--db", path, "--password-stdin"],
        input="another password\n",
    )
    assert typed.exit_code == 0, typed.output
    assert auth.sign_in(db, "ada", "another password").principal.handle == "ada"
    short = runner.invoke(
        cli, ["account", "set-password", "ada", "--db", path, "--password-stdin"], input="short\n"
    )
    assert short.exit_code != 0
    db.dispose()


def test_serve_runs_migrations_and_prints_the_first_steps(
    cli: typer.Typer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[dict[str, Any]] = []
    monkeypatch.setattr("uvicorn.run", lambda target, **kw: calls.append({"target": target, **kw}))
    monkeypatch.setenv("COMMONPLAN_DB", "unused.db")
    monkeypatch.setenv("COMMONPLAN_BASE_URL", "")  # (serve sets it for its workers)
    path = str(tmp_path / "served.db")
    served = CliRunner().invoke(cli, ["serve", "--db", path, "--port", "8123"])
    assert served.exit_code == 0, served.output
    assert "No facilitator can sign in yet" in served.output
    assert "commonplan account invite ada --db" in served.output
    assert calls and calls[0]["target"] == "commonplan.web.app:from_env"
    assert calls[0]["factory"] is True and calls[0]["port"] == 8123
    assert Database(path, upgrade=False).revision() == Database.head()
