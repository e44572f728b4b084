"""The API routes for following a round's phases and for the facilitators' tools, on SQLite and
PostgreSQL: the timeline (phases in order, dates from the log, the turnout equal to the
participation record), the next planning period after ratification, hiding a proposal (members
then read no title), the member list with account states and who voted, and invitations for
many (all or none, refusals naming the line)."""

from __future__ import annotations

import warnings
from datetime import UTC, datetime, timedelta

from fastapi import FastAPI
from sqlalchemy import func, select

with warnings.catch_warnings():  # starlette's TestClient would prefer httpx2
    warnings.simplefilter("ignore", DeprecationWarning)
    from fastapi.testclient import TestClient

import commonplan.rounds.timelines  # noqa: F401  (loaded first: the name must stay the function)
from api_support import (
    API,
    FACILITATOR,
    app,
    cheap_hashing,
    client,
    federation_with_members,
    first_facilitator,
    ok,
    password,
    refused,
    run_to_vote,
    sign_in,
)
from commonplan import rounds
from commonplan.federation import add_members
from commonplan.store.models import Invitation, Participation, Question

__all__ = ["app", "cheap_hashing", "client"]  # fixtures (cheap_hashing autouse), from api_support


def voters(app: FastAPI, round_id: int) -> int:
    """Members with a participation row in the round: counted from the table itself."""
    with app.state.db.transaction() as s:
        boxes = select(Question.id).where(Question.round_id == round_id)
        query = select(func.count(func.distinct(Participation.member_id))).where(
            Participation.question_id.in_(boxes)
        )
        return int(s.execute(query).scalar_one())


def test_timeline_turnout_and_the_next_period(app: FastAPI, client: TestClient) -> None:
    db = app.state.db
    first_facilitator(db)
    fed, fac = federation_with_members(client, FACILITATOR, "North", "n", n=4)
    ran = run_to_vote(client, fed, fac, "North", "n")
    rid = ran["round"]
    m2 = sign_in(client, "n2")
    seen = ok(client.get(f"{API}/rounds/{rid}/timeline", headers=m2))
    assert [s["phase"] for s in seen["steps"]] == ["proposals", "feedback", "vote", "closed"]
    assert [s["state"] for s in seen["steps"]] == ["done", "done", "current", "later"]
    proposals, feedback, vote, _ = seen["steps"]
    assert proposals["ended"] == feedback["began"] and feedback["ended"] == vote["began"]
    assert proposals["began"] <= feedback["began"] <= vote["began"]
    assert (seen["voted"], seen["eligible"]) == (0, 4)
    steps = rounds.timeline(db, rid)  # the domain's (after its module is loaded: no shadowing)
    assert [(p.phase, p.state) for p in steps] == [(s["phase"], s["state"]) for s in seen["steps"]]
    budget, ratify = ran["boxes"]["budget"], ran["boxes"]["ratify"]
    for k in range(3):  # three of four vote yes: the plan is ratified
        rounds.cast_round_ballots(
            db, rid, member=f"n{k}", choices={budget: {"approve": []}, ratify: {"vote": "yes"}}
        )
        seen = ok(client.get(f"{API}/rounds/{rid}/timeline", headers=m2))
        assert (seen["voted"], seen["eligible"]) == (voters(app, rid), 4) == (k + 1, 4)

    early = client.post(f"{API}/federations/{fed}/periods", json={}, headers=fac)
    assert "still running" in refused(early, 409, "phase")
    ok(client.post(f"{API}/rounds/{rid}/vote/close", headers=fac))
    closed = ok(client.get(f"{API}/rounds/{rid}/timeline", headers=m2))
    assert [s["phase"] for s in closed["steps"]][-1] == "ratified"
    assert [s["state"] for s in closed["steps"]] == ["done", "done", "done", "current"]
    assert closed["steps"][2]["ended"] == closed["steps"][3]["began"]
    refused(client.post(f"{API}/federations/{fed}/periods", json={}, headers=m2), 403, "forbidden")
    end = (datetime.now(UTC) + timedelta(days=5)).replace(microsecond=0, tzinfo=None)
    body = {"deadlines": {"proposals": end.isoformat()}}
    nxt = ok(client.post(f"{API}/federations/{fed}/periods", json=body, headers=fac), 201)
    assert nxt["number"] == 2 and nxt["phase"] == "proposals"
    assert nxt["deadlines"][0]["at"].startswith(end.isoformat())
    fresh = ok(client.get(f"{API}/rounds/{nxt['id']}/timeline", headers=m2))
    assert fresh["voted"] is None and fresh["steps"][0]["deadline"].startswith(end.isoformat())


def test_hiding_a_proposal_and_the_member_list(app: FastAPI, client: TestClient) -> None:
    db = app.state.db
    first_facilitator(db)
    fed, fac = federation_with_members(client, FACILITATOR, "North", "n", n=4)
    rid = ok(client.post(f"{API}/federations/{fed}/rounds", json={}, headers=fac), 201)["id"]
    n0, n2 = sign_in(client, "n0"), sign_in(client, "n2")
    body = {"council": "North east", "kind": "target", "title": "Slur", "amounts": {"C10T12": 1}}
    p = ok(client.post(f"{API}/rounds/{rid}/proposals", json=body, headers=n0), 201)
    refused(
        client.post(f"{API}/proposals/{p['id']}/hide", json={"reason": "x"}, headers=n2),
        403,
        "forbidden",
    )
    refused(
        client.post(f"{API}/proposals/{p['id']}/hide", json={}, headers=fac), 422, "invalid_request"
    )
    why = "It insults the west council"
    hidden = ok(client.post(f"{API}/proposals/{p['id']}/hide", json={"reason": why}, headers=fac))
    assert hidden["hidden"] and hidden["withdrawn"] and hidden["withdrawn_reason"] == why
    for who in (n2, n0, fac):
        seen = ok(client.get(f"{API}/proposals/{p['id']}", headers=who))
        assert (seen["title"], seen["amounts"], seen["withdrawn_by"]) == ("", {}, FACILITATOR)
        listed = ok(client.get(f"{API}/rounds/{rid}/proposals?withdrawn=true", headers=who))
        assert "Slur" not in str(listed)
    again = client.post(f"{API}/proposals/{p['id']}/hide", json={"reason": why}, headers=fac)
    assert "hidden already" in refused(again, 422, "plan_input")

    add_members(db, [{"handle": "late", "name": "Late", "consumers_council": "North west"}])
    listed = ok(client.get(f"{API}/federations/{fed}/member-statuses", headers=fac))
    states = {m["handle"]: (m["account"], m["voted"]) for m in listed}
    assert states == {
        **{f"n{k}": ("active", None) for k in range(4)},
        "late": ("not invited", None),
    }
    refused(client.get(f"{API}/federations/{fed}/member-statuses", headers=n2), 403, "forbidden")

    # invitations for many: all or none, the refusal names the line
    add_members(db, [{"handle": "later", "consumers_council": "North west"}])
    with db.transaction() as s:
        before = s.execute(select(func.count()).select_from(Invitation)).scalar_one()
    wrong = client.post(f"{API}/invitations", json={"handles": ["late", "n1"]}, headers=fac)
    assert "line 2" in refused(wrong, 409, "planning") and "n1" in wrong.json()["detail"]
    nobody = client.post(f"{API}/invitations", json={"handles": ["late", "ghost"]}, headers=fac)
    assert "line 2" in refused(nobody, 404, "not_found")
    with db.transaction() as s:
        assert s.execute(select(func.count()).select_from(Invitation)).scalar_one() == before
    made = ok(
        client.post(f"{API}/invitations", json={"handles": ["late", "later"]}, headers=fac), 201
    )
    assert [i["handle"] for i in made] == ["late", "later"] and len({i["token"] for i in made}) == 2
    accept = {"token": made[1]["token"], "password": password("later")}
    ok(client.post(f"{API}/auth/invitations/accept", json=accept))
    listed = ok(client.get(f"{API}/federations/{fed}/member-statuses", headers=fac))
    states = {m["handle"]: m["account"] for m in listed}
    assert (states["late"], states["later"]) == ("invited", "active")
    refused(
        client.post(f"{API}/invitations", json={"handles": ["late"]}, headers=n2), 403, "forbidden"
    )
