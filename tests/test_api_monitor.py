"""The REST API of the running plan, on SQLite and PostgreSQL: a round's status (every series,
Beer's indices, the changes seen, the floors) and a facilitator's replan — the same numbers as
the library's, refused to another federation and to those who may not replan."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI

with warnings.catch_warnings():  # starlette's TestClient would prefer httpx2
    warnings.simplefilter("ignore", DeprecationWarning)
    from fastapi.testclient import TestClient

from commonplan.monitor.status import watch_round
from fixtures import after_the_vote, monitored_plan

__all__ = ["cheap_hashing"]  # autouse, from api_support
from api_support import API, cheap_hashing, make_app, ok, password, refused, sign_in, unseen


@pytest.fixture
def world(database_url: str) -> Iterator[tuple[TestClient, dict[str, Any]]]:
    """Federations A and B after the vote; A's round runs a solved plan, six months reported,
    the mill a third short from April."""
    app: FastAPI = make_app(database_url)
    db = app.state.db
    a = after_the_vote(db, "A", password)
    b = after_the_vote(db, "B", password)
    activity = monitored_plan(db, a["round"], "A")
    with TestClient(app) as c:
        yield c, {"db": db, "A": a, "B": b, "activity": activity}
    db.dispose()


def test_status_is_the_librarys_and_only_for_the_federation(
    world: tuple[TestClient, Any],
) -> None:
    c, w = world
    rid = w["A"]["round"]
    miller, outsider = sign_in(c, "millerA"), sign_in(c, "farmerB")
    got = ok(c.get(f"{API}/rounds/{rid}/status?through=2027-05", headers=miller))
    st = watch_round(w["db"], rid, through="2027-05")
    assert got["through"] == "2027-05" and got["periods"][-1] == "2027-05"
    assert [s["name"] for s in got["series"]] == [s.name for s in st.series]
    for mine, theirs in zip(got["series"], st.series, strict=True):
        assert mine["planned"] == pytest.approx(theirs.planned)
        assert mine["forecast"] == pytest.approx(theirs.view.forecast)
        assert mine["lower"] <= mine["forecast"] <= mine["upper"]
    assert {(s["series"], s["kind"]) for s in got["signals"]} >= {
        ("Mill A · C10T12", "level step down")
    }
    mill = next(i for i in got["indices"] if i["council"] == "Mill A")
    assert mill["productivity"] == pytest.approx(2 / 3, rel=1e-6)
    assert got["floors"] is None
    theirs = unseen(c.get(f"{API}/rounds/{rid}/status?through=2027-05", headers=outsider))
    nobodys = refused(c.get(f"{API}/rounds/999999/status", headers=miller), 404, "not_found")
    assert theirs.replace(str(rid), "999999") == nobodys
    refused(c.get(f"{API}/rounds/{rid}/status?through=2031-01", headers=miller), 422, "plan_input")
    assert c.get(f"{API}/rounds/{rid}/status").status_code == 401


def test_replan_by_a_facilitator_and_the_floors_it_leaves(
    world: tuple[TestClient, Any],
) -> None:
    c, w = world
    rid = w["A"]["round"]
    facilitator, farmer = sign_in(c, "facilitatorA"), sign_in(c, "farmerA")
    outsider = sign_in(c, "facilitatorB")
    url = f"{API}/rounds/{rid}/replan"
    got = ok(c.post(url, json={"through": "2027-03"}, headers=facilitator))
    assert got["floors_safe"] and not got["alerts"]
    assert [p["period"] for p in got["periods"]] == [f"2027-{m:02d}" for m in range(4, 13)]
    farm = w["activity"]["A01"] / 12
    body = {"through": "2027-03", "capacities": {"A01": 0.05 * farm}}
    risky = ok(c.post(url, json=body, headers=facilitator))
    assert not risky["floors_safe"] and risky["needs_vote"] and risky["alerts"]
    assert risky["floors_at_risk"][0]["period"] == "2027-04"
    status = ok(c.get(f"{API}/rounds/{rid}/status?through=2027-03", headers=farmer))
    assert status["floors"]["plan"] == risky["plan"] and not status["floors"]["safe"]
    refused(c.post(url, json=body, headers=farmer), 403, "forbidden", "facilitator")
    unseen(c.post(url, json=body, headers=outsider))
    refused(
        c.post(url, json={"through": "2027-03", "colour": 1}, headers=facilitator),
        422,
        "invalid_request",
    )
    refused(
        c.post(url, json={"through": "2027-03", "capacities": {"A01": -1}}, headers=facilitator),
        422,
        "invalid_request",
    )
