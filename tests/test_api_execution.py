"""The REST API after the vote, on SQLite and PostgreSQL: the reports ledger (JSON and CSV
batches, revisions, the ledger by period and council), alerts (acknowledge, explain, correct,
resolve, escalation), hours (record, reverse, confirm, dispute, balances, entries) and quotas
(a member's quota and free time, plans compared) — with the refusals, all-or-nothing batches, and
one federation's records invisible to another."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI

with warnings.catch_warnings():  # starlette's TestClient would prefer httpx2
    warnings.simplefilter("ignore", DeprecationWarning)
    from fastapi.testclient import TestClient

from commonplan.monitor.alerts import escalate_due, raise_alert
from commonplan.web.schemas import MAX_ROWS
from fixtures import FARM_HOURS_PER_WEEK, after_the_vote, leap_reports

__all__ = ["cheap_hashing"]  # autouse, from api_support
from api_support import API, cheap_hashing, make_app, ok, password, refused, sign_in, unseen


@pytest.fixture
def world(database_url: str) -> Iterator[tuple[TestClient, dict[str, Any]]]:
    """Federations A and B, each with a ratified round and two plans; a client."""
    app: FastAPI = make_app(database_url)
    db = app.state.db
    a = after_the_vote(db, "A", password)
    b = after_the_vote(db, "B", password)
    with TestClient(app) as c:
        yield c, {"db": db, "A": a, "B": b}
    db.dispose()


def as_(client: TestClient, handle: str) -> dict[str, str]:
    return sign_in(client, handle)


# ---------------------------------------------------------------------- reports


def test_reports_batches_revisions_and_the_ledger(world: tuple[TestClient, Any]) -> None:
    c, w = world
    rid, rid_b = w["A"]["round"], w["B"]["round"]
    farmer, miller, outsider = as_(c, "farmerA"), as_(c, "millerA"), as_(c, "farmerB")
    base = f"{API}/rounds/{rid}"

    assert ok(c.get(f"{base}/periods", headers=farmer))[:2] == ["2027-01", "2027-02"]
    rows = [
        {
            "council": "Farm A",
            "period": "2027-01",
            "kind": "output",
            "product": "A01",
            "amount": 120,
        },
        {"council": "Farm A", "period": "2027-01", "kind": "hours", "amount": 300},
        {
            "council": "Farm A",
            "period": "2027-01",
            "kind": "delivery",
            "product": "A01",
            "counterpart": "Mill A",
            "amount": 80,
        },
    ]
    filed = ok(c.post(f"{base}/reports", json={"rows": rows}, headers=farmer), 201)
    assert len(filed["reports"]) == 3 and filed["audit_seq"] > 0
    ledger = ok(c.get(f"{base}/reports", headers=farmer))
    assert [r["kind"] for r in ledger] == ["output", "hours", "delivery"]
    assert ledger[0]["unit"] == "million SEK" and ledger[1]["unit"] == "hours"

    # a bad row refuses the batch by name and stores nothing
    bad = [
        {"council": "Farm A", "period": "2027-02", "kind": "output", "product": "A01", "amount": 1},
        {"council": "Farm A", "period": "2027-02", "kind": "output", "product": "ZZ9", "amount": 1},
    ]
    refused(
        c.post(f"{base}/reports", json={"rows": bad}, headers=farmer),
        422,
        "plan_input",
        "report row 2",
        "ZZ9",
    )
    negative = [{"council": "Farm A", "period": "2027-02", "kind": "hours", "amount": -5}]
    refused(
        c.post(f"{base}/reports", json={"rows": negative}, headers=farmer),
        422,
        "plan_input",
        "report row 1",
        "negative",
    )
    outside = [{"council": "Farm A", "period": "2031-01", "kind": "hours", "amount": 5}]
    refused(
        c.post(f"{base}/reports", json={"rows": outside}, headers=farmer),
        422,
        "plan_input",
        "2031-01",
    )
    refused(
        c.post(f"{base}/reports", json={"rows": rows[:1]}, headers=farmer),
        422,
        "plan_input",
        "on file already",
    )
    refused(c.post(f"{base}/reports", json={"rows": []}, headers=farmer), 422, "invalid_request")
    extra = [{**rows[0], "colour": "red"}]
    refused(
        c.post(f"{base}/reports", json={"rows": extra}, headers=farmer),
        422,
        "invalid_request",
        "colour",
    )
    assert len(ok(c.get(f"{base}/reports", headers=farmer))) == 3

    # who may file: the council's own members; a workers' kind only from a workers' council
    refused(
        c.post(
            f"{base}/reports", json={"rows": [{**rows[1], "period": "2027-03"}]}, headers=miller
        ),
        403,
        "forbidden",
        "Farm A",
    )
    street = [
        {
            "council": "Street A",
            "period": "2027-01",
            "kind": "output",
            "product": "A01",
            "amount": 1,
        }
    ]
    refused(
        c.post(f"{base}/reports", json={"rows": street}, headers=as_(c, "neighbourA")),
        422,
        "plan_input",
        "workers' council",
    )
    refused(c.post(f"{base}/reports", json={"rows": rows}), 401, "unauthenticated")

    # a CSV upload: the same checks, the row named by its line
    text = "council,period,kind,product,amount\nMill A,2027-01,output,C10T12,55\n"
    up = c.post(f"{base}/reports/csv", files={"file": ("mill.csv", text.encode())}, headers=miller)
    assert len(ok(up, 201)["reports"]) == 1
    text = "council,period,kind,product,amount\nMill A,2027-02,output,C10T12,lots\n"
    up = c.post(f"{base}/reports/csv", files={"file": ("mill.csv", text.encode())}, headers=miller)
    refused(up, 422, "plan_input", "mill.csv, line 2", "amount")
    up = c.post(f"{base}/reports/csv", files={"file": ("x.csv", b"\xff\xfe")}, headers=miller)
    refused(up, 422, "plan_input", "UTF-8")

    # filters
    assert [r["council"] for r in ok(c.get(f"{base}/reports?council=Mill A", headers=farmer))] == [
        "Mill A"
    ]
    assert ok(c.get(f"{base}/reports?period=2027-02", headers=farmer)) == []

    # a revision keeps the old report, with the reason
    first = ledger[0]["id"]
    body = {"amount": 110, "reason": "counted a lorry twice"}
    new = ok(c.post(f"{API}/reports/{first}/revise", json=body, headers=farmer), 201)
    assert new["revises"] == first and new["reason"] == "counted a lorry twice"
    assert new["amount"] == 110 and new["current"]
    refused(
        c.post(f"{API}/reports/{first}/revise", json=body, headers=farmer),
        422,
        "plan_input",
        "revised already",
    )
    refused(
        c.post(
            f"{API}/reports/{new['id']}/revise", json={"amount": 1, "reason": " "}, headers=farmer
        ),
        422,
        "plan_input",
        "reason",
    )
    refused(
        c.post(f"{API}/reports/{new['id']}/revise", json=body, headers=miller), 403, "forbidden"
    )
    current = ok(c.get(f"{base}/reports", headers=farmer))
    whole = ok(c.get(f"{base}/reports?history=true", headers=farmer))
    assert first not in {r["id"] for r in current} and len(whole) == len(current) + 1
    assert next(r for r in whole if r["id"] == first)["current"] is False

    # another federation sees none of it, and cannot file or revise in it
    unseen(c.get(f"{base}/reports", headers=outsider))
    unseen(c.get(f"{base}/periods", headers=outsider))
    unseen(c.post(f"{base}/reports", json={"rows": rows}, headers=outsider))
    unseen(c.post(f"{API}/reports/{new['id']}/revise", json=body, headers=outsider))
    assert ok(c.get(f"{API}/rounds/{rid_b}/reports", headers=outsider)) == []
    mine = [{"council": "Farm A", "period": "2027-01", "kind": "hours", "amount": 1}]
    refused(
        c.post(f"{API}/rounds/{rid_b}/reports", json={"rows": mine}, headers=outsider),
        422,
        "plan_input",
        "Farm A",
    )
    refused(c.get(f"{API}/rounds/999999/reports", headers=farmer), 404, "not_found")
    assert MAX_ROWS >= 1000


# ---------------------------------------------------------------------- alerts


def test_alerts_answered_escalated_and_kept_in_their_federation(
    world: tuple[TestClient, Any],
) -> None:
    c, w = world
    db, rid = w["db"], w["A"]["round"]
    farmer, miller, fac = as_(c, "farmerA"), as_(c, "millerA"), as_(c, "facilitatorA")
    outsider = as_(c, "farmerB")
    one = raise_alert(
        db,
        rid,
        source="screen",
        kind="heaping",
        council="Farm A",
        period="2027-01",
        message="Farm A's output is a round number every month",
    )
    two = raise_alert(
        db,
        rid,
        source="monitor",
        kind="level step",
        council="Farm A",
        message="Farm A's output fell by a third",
    )

    mine = ok(c.get(f"{API}/me/alerts", headers=farmer))
    assert [a["id"] for a in mine] == [one, two] or [a["id"] for a in mine] == [two, one]
    view = next(a for a in mine if a["id"] == one)
    assert view["state"] == "raised" and view["level"] == 0 and view["sits_with"] == "Farm A"
    assert view["steps"] == ["acknowledge", "explain", "correct"]
    assert (
        view["history"][0]["action"] == "raise"
        and datetime.fromisoformat(view["deadline"]).tzinfo is not None
    )
    assert ok(c.get(f"{API}/me/alerts?round_id={rid}", headers=farmer))
    assert ok(c.get(f"{API}/me/alerts", headers=miller)) == []
    refused(c.get(f"{API}/alerts/{one}", headers=miller), 404, "not_found")
    unseen(c.get(f"{API}/alerts/{one}", headers=outsider))
    assert ok(c.get(f"{API}/me/alerts", headers=outsider)) == []
    unseen(c.get(f"{API}/me/alerts?round_id={rid}", headers=outsider))

    # the council answers
    assert ok(c.post(f"{API}/alerts/{one}/acknowledge", headers=farmer))["state"] == "acknowledged"
    refused(c.post(f"{API}/alerts/{one}/acknowledge", headers=farmer), 409, "phase")
    refused(
        c.post(f"{API}/alerts/{one}/explain", json={"note": " "}, headers=farmer),
        422,
        "plan_input",
        "note",
    )
    refused(
        c.post(f"{API}/alerts/{one}/explain", json={"note": "x"}, headers=miller), 403, "forbidden"
    )
    unseen(c.post(f"{API}/alerts/{one}/explain", json={"note": "x"}, headers=outsider))
    note = {"note": "we weigh in whole tonnes"}
    explained = ok(c.post(f"{API}/alerts/{one}/explain", json=note, headers=farmer))
    assert explained["state"] == "explained"
    assert explained["history"][-1]["note"] == "we weigh in whole tonnes"
    resolved = ok(c.post(f"{API}/alerts/{one}/resolve", json={}, headers=farmer))
    assert resolved["state"] == "resolved"
    assert [a["id"] for a in ok(c.get(f"{API}/me/alerts", headers=farmer))] == [two]
    assert one in [a["id"] for a in ok(c.get(f"{API}/me/alerts?resolved=true", headers=farmer))]

    # not answered in time: up to the commune, where its other members see it
    refused(c.post(f"{API}/alerts/{two}/resolve", json={}, headers=farmer), 403, "forbidden")
    escalate_due(db, now=datetime.now(UTC) + timedelta(days=8))
    up = ok(c.get(f"{API}/alerts/{two}", headers=miller))
    assert (
        up["level"] == 1
        and up["sits_with"] == "Commune A"
        and up["history"][-1]["action"] == "escalate"
    )
    corrected = ok(
        c.post(f"{API}/alerts/{two}/correct", json={"note": "report 4 revised"}, headers=farmer)
    )
    assert corrected["state"] == "corrected"
    assert (
        ok(c.post(f"{API}/alerts/{two}/resolve", json={"note": "fine"}, headers=fac))["state"]
        == "resolved"
    )
    refused(c.post(f"{API}/alerts/999999/acknowledge", headers=farmer), 404, "not_found")


# ---------------------------------------------------------------------- hours and quotas


def test_hours_recorded_confirmed_disputed_reversed_and_balanced(
    world: tuple[TestClient, Any],
) -> None:
    c, w = world
    rid, rid_b = w["A"]["round"], w["B"]["round"]
    farmer, fac, miller = as_(c, "farmerA"), as_(c, "facilitatorA"), as_(c, "millerA")
    outsider = as_(c, "farmerB")
    base = f"{API}/rounds/{rid}"
    rows = [
        {"member": "farmerA", "period": "2027-01", "hours": 120, "workplace": "Farm A"},
        {"member": "farmerA", "period": "2027-02", "hours": 100, "workplace": "Farm A"},
        {"member": "farmerA", "period": "2027-01", "hours": 8, "credit": "care"},
    ]
    batch = ok(c.post(f"{base}/hours", json={"rows": rows}, headers=fac), 201)
    first, second, care = batch["entries"]

    # refusals: one's own hours, a bad row (nothing stored), another federation's member
    own = [{"member": "farmerA", "period": "2027-03", "hours": 5, "workplace": "Farm A"}]
    refused(
        c.post(f"{base}/hours", json={"rows": own}, headers=farmer), 403, "forbidden", "own hours"
    )
    bad = [
        {"member": "millerA", "period": "2027-03", "hours": 5, "workplace": "Farm A"},
        {"member": "nobody", "period": "2027-03", "hours": 5, "workplace": "Farm A"},
    ]
    refused(
        c.post(f"{base}/hours", json={"rows": bad}, headers=fac),
        422,
        "plan_input",
        "hours row 2",
        "nobody",
    )
    zero = [{"member": "millerA", "period": "2027-03", "hours": 0, "workplace": "Mill A"}]
    refused(
        c.post(f"{base}/hours", json={"rows": zero}, headers=fac), 422, "plan_input", "hours row 1"
    )
    theirs = [{"member": "farmerB", "period": "2027-03", "hours": 5, "workplace": "Farm A"}]
    refused(
        c.post(f"{base}/hours", json={"rows": theirs}, headers=fac),
        403,
        "forbidden",
        "another federation",
    )
    assert len(ok(c.get(f"{base}/hours", headers=fac))) == 3

    # a CSV upload
    text = "member,period,hours,workplace\nmillerA,2027-01,150,Mill A\n"
    up = c.post(f"{base}/hours/csv", files={"file": ("mill.csv", text.encode())}, headers=fac)
    assert len(ok(up, 201)["entries"]) == 1
    text = "member,period,hours,workplace\nmillerA,2027-02,-3,Mill A\n"
    up = c.post(f"{base}/hours/csv", files={"file": ("mill.csv", text.encode())}, headers=fac)
    refused(up, 422, "plan_input", "hours row 1")
    up = c.post(f"{base}/hours/csv", files={"file": ("m.csv", b"who,when\nx,y\n")}, headers=fac)
    refused(up, 422, "plan_input", "m.csv", "member")

    # the member's verdicts
    seen = ok(c.get(f"{base}/hours", headers=farmer))
    assert {e["id"] for e in seen} == {first, second, care}
    assert all(e["status"] == "pending" for e in seen)
    refused(
        c.post(f"{API}/hours/confirm", json={"entries": [first]}, headers=miller), 403, "forbidden"
    )
    assert (
        len(
            ok(c.post(f"{API}/hours/confirm", json={"entries": [first, care]}, headers=farmer))[
                "verdicts"
            ]
        )
        == 2
    )
    refused(
        c.post(f"{API}/hours/confirm", json={"entries": [first]}, headers=farmer),
        422,
        "plan_input",
        "confirmed already",
    )
    disputed = ok(
        c.post(f"{API}/hours/{second}/dispute", json={"reason": "I was ill"}, headers=farmer)
    )
    assert disputed["status"] == "disputed" and disputed["dispute"] == "I was ill"
    refused(
        c.post(f"{API}/hours/{second}/dispute", json={"reason": ""}, headers=farmer),
        422,
        "invalid_request",
        "reason",
    )

    # balances
    mine = ok(c.get(f"{base}/balances?account=farmerA", headers=farmer))
    january = next(b for b in mine if b["period"] == "2027-01")
    assert january["confirmed"] == pytest.approx(128) and january["total"] == pytest.approx(128)
    farm = ok(c.get(f"{base}/balances?of=workplace", headers=farmer))
    assert {b["account"] for b in farm} == {"Farm A"}
    assert ok(c.get(f"{base}/balances?of=workplace&period=2027-02", headers=farmer))[0][
        "disputed"
    ] == pytest.approx(-100)
    refused(c.get(f"{base}/balances?of=credit", headers=farmer), 403, "forbidden")
    refused(c.get(f"{base}/balances?of=planet", headers=farmer), 422, "invalid_request")
    assert {b["account"] for b in ok(c.get(f"{base}/balances", headers=fac))} == {
        "farmerA",
        "millerA",
    }

    # the workplace settles the dispute by a reversal
    refused(
        c.post(f"{API}/hours/{second}/reverse", json={"reason": "x"}, headers=miller),
        403,
        "forbidden",
    )
    back = ok(
        c.post(f"{API}/hours/{second}/reverse", json={"reason": "she was ill"}, headers=fac), 201
    )
    assert back["reverses"] == second and back["hours"] == pytest.approx(-100)
    feb = ok(c.get(f"{base}/balances?period=2027-02&account=farmerA", headers=farmer))
    assert feb[0]["total"] == pytest.approx(0)

    # another federation sees nothing and can do nothing
    unseen(c.get(f"{base}/hours", headers=outsider))
    unseen(c.get(f"{base}/balances", headers=outsider))
    unseen(c.post(f"{API}/hours/confirm", json={"entries": [first]}, headers=outsider))
    unseen(c.post(f"{API}/hours/{first}/dispute", json={"reason": "no"}, headers=outsider))
    unseen(c.post(f"{API}/hours/{first}/reverse", json={"reason": "no"}, headers=outsider))
    assert ok(c.get(f"{API}/rounds/{rid_b}/hours", headers=outsider)) == []


def test_quota_free_time_and_plans_compared(world: tuple[TestClient, Any]) -> None:
    c, w = world
    a = w["A"]
    farmer, neighbour, outsider = as_(c, "farmerA"), as_(c, "neighbourA"), as_(c, "farmerB")
    q = ok(c.get(f"{API}/plans/{a['final']}/me/quota?period=2027-01", headers=farmer))
    weeks = 52 / 12
    assert q["workplace"] == "Farm A" and q["weeks"] == pytest.approx(weeks)
    assert q["quota"] / weeks == pytest.approx(FARM_HOURS_PER_WEEK[0])
    assert q["free"] == pytest.approx(q["awake"] - q["quota"] - q["credits"])
    refused(
        c.get(f"{API}/plans/{a['final']}/me/quota?period=2040-01", headers=farmer),
        422,
        "plan_input",
        "2040-01",
    )
    refused(
        c.get(f"{API}/plans/{a['final']}/me/quota?period=2027-01", headers=neighbour),
        404,
        "not_found",
        "neighbourA",
    )
    unseen(c.get(f"{API}/plans/{a['final']}/me/quota?period=2027-01", headers=outsider))

    plans = ok(c.get(f"{API}/rounds/{a['round']}/me/hours", headers=farmer))
    assert [p["plan"] for p in plans] == [a["final"], a["alternative"]]
    assert [round(p["hours_per_week"], 6) for p in plans] == list(FARM_HOURS_PER_WEEK)
    assert plans[0]["free_per_week"] == pytest.approx(112 - 31)
    by_period = ok(c.get(f"{API}/rounds/{a['round']}/me/hours?period=2027-01", headers=farmer))
    assert by_period[1]["hours_per_week"] == pytest.approx(29)
    assert [
        p["hours_per_week"]
        for p in ok(c.get(f"{API}/rounds/{a['round']}/me/hours", headers=neighbour))
    ] == [0.0, 0.0]
    unseen(c.get(f"{API}/rounds/{a['round']}/me/hours", headers=outsider))


def test_no_operation_after_the_vote_answers_a_server_error(
    world: tuple[TestClient, Any],
) -> None:
    """Schemathesis on the reports, alerts and hours operations, as the farm's facilitator of a
    ratified round (tests/test_api_schema.py fuzzes every operation on a round still voting)."""
    import schemathesis

    from test_api_schema import fuzz

    c, w = world
    headers = as_(c, "facilitatorA")
    raise_alert(w["db"], w["A"]["round"], source="screen", kind="k", council="Farm A", message="m")
    leap_reports(w["db"], w["A"]["round"], "A")  # something to reconcile
    schema = schemathesis.openapi.from_asgi("/openapi.json", c.app)
    words = ("report", "alert", "hours", "balances", "periods", "quota", "reconciliation")
    operations = [
        op
        for op in (result.ok() for result in schema.get_all_operations())
        if any(w in op.path for w in words)
    ]
    assert len(operations) >= 18
    for operation in operations:
        fuzz(operation, headers)
