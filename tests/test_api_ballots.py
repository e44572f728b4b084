"""The ballot path of a busy service (:mod:`commonplan.web.ballot_path`), on SQLite and PostgreSQL.

Ballots sent with a bearer token go to the worker's desk, which casts what arrives together;
everything it does not cast goes to the route, which answers as it answers every request.
"""

from __future__ import annotations

import asyncio
import warnings
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select, update

with warnings.catch_warnings():  # starlette's TestClient would prefer httpx2
    warnings.simplefilter("ignore", DeprecationWarning)
    from fastapi.testclient import TestClient

from commonplan import accounts as auth
from commonplan.federation import add_members
from commonplan.store.models import Ballot, Participation, WebSession
from commonplan.web import ballot_path as ballots
from commonplan.web.api import votes

__all__ = ["app", "cheap_hashing", "client"]  # fixtures, from test_api
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
    people,
    refused,
    run_to_vote,
    sign_in,
)


@pytest.fixture
def voting(app: FastAPI, client: TestClient) -> dict[str, Any]:
    """A commune of 6 members (c0…c5) in its vote, an auditor, and 40 more members (v0…v39)
    with sessions made through the library (no invitations: they only vote)."""
    db = app.state.db
    first_facilitator(db)
    first_facilitator(db, "audrey", role="auditor")
    fed, fac = federation_with_members(client, FACILITATOR, "Commune", "c")
    auth.add_staff(db, "audrey", fed)
    rows = people("Commune", "v", 40)
    add_members(db, rows)
    tokens = {}
    for row in rows:
        auth.set_password(db, row["handle"], password(row["handle"]))
        tokens[row["handle"]] = auth.sign_in(db, row["handle"], password(row["handle"])).token
    return {"round": run_to_vote(client, fed, fac, "Commune", "c"), "tokens": tokens}


@pytest.fixture
def routed(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The handles of the ballots the route (not the desk) answered."""
    seen: list[str] = []
    original = votes.cast

    def cast(question_id: int, body: Any, who: Any, db: Any) -> Any:
        seen.append(who.handle)
        return original(question_id, body, who, db)

    monkeypatch.setattr(votes, "cast", cast)
    yield seen


def test_the_desk_casts_and_the_route_answers_the_rest(
    app: FastAPI, client: TestClient, voting: dict[str, Any], routed: list[str]
) -> None:
    ratify = voting["round"]["boxes"]["ratify"]
    url = f"{API}/questions/{ratify}/ballots"
    c0 = sign_in(client, "c0")
    first = client.post(url, json={"choice": {"vote": "yes"}}, headers=c0)
    assert first.status_code == 201 and first.headers["content-type"] == "application/json"
    body = first.json()
    assert set(body) == {"question", "receipt"} and body["question"] == ratify
    assert routed == []  # the desk cast it
    # A second ballot: the desk does not cast it; the route refuses it, as ever.
    refused(
        client.post(url, json={"choice": {"vote": "no"}}, headers=c0), 409, "ballot_refused", "c0"
    )
    # A retry with the receipt: the route's, refused as any second ballot (nothing new).
    again = {"choice": {"vote": "yes"}, "receipt": body["receipt"]}
    refused(client.post(url, json=again, headers=c0), 409, "ballot_refused", "c0", "already")
    assert routed == ["c0", "c0"]
    # Not the desk's either: a malformed choice, an auditor, an unknown session, no JSON.
    c1 = sign_in(client, "c1")
    refused(client.post(url, json={"choice": {"vote": "maybe"}}, headers=c1), 409, "ballot_refused")
    refused(client.post(url, json={"choise": {}}, headers=c1), 422, "invalid_request")
    audrey = sign_in(client, "audrey")
    refused(client.post(url, json={"choice": {"vote": "yes"}}, headers=audrey), 403, "forbidden")
    nobody = {"Authorization": "Bearer not-a-session"}
    refused(
        client.post(url, json={"choice": {"vote": "yes"}}, headers=nobody), 401, "unauthenticated"
    )
    text = {**c1, "Content-Type": "text/plain"}  # FastAPI reads JSON bodies only as JSON
    plain = client.post(url, content=b'{"choice": {"vote": "yes"}}', headers=text)
    refused(plain, 422, "invalid_request")
    assert routed == ["c0", "c0", "c1", "audrey"]
    # An expired session, even one the desk saw before.
    c2 = sign_in(client, "c2")
    assert ok(client.post(url, json={"choice": {"vote": "no"}}, headers=c2), 201)
    with app.state.db.transaction() as s:
        s.execute(update(WebSession).values(expires_at=WebSession.created_at))
    budget = f"{API}/questions/{voting['round']['boxes']['budget']}/ballots"
    refused(
        client.post(budget, json={"choice": {"approve": []}}, headers=c2), 401, "unauthenticated"
    )
    with app.state.db.transaction() as s:
        n = s.execute(select(func.count()).select_from(Ballot)).scalar_one()
    assert n == 2 and routed == ["c0", "c0", "c1", "audrey"]  # c0's and c2's ballots


def test_ballots_arriving_together_are_cast_together(
    app: FastAPI, voting: dict[str, Any], routed: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    boxes = voting["round"]["boxes"]
    sizes: list[int] = []
    original = ballots.cast_ballots

    def cast_ballots(db: Any, papers: Any) -> Any:
        sizes.append(len(papers))
        return original(db, papers)

    monkeypatch.setattr(ballots, "cast_ballots", cast_ballots)
    tokens: dict[str, str] = voting["tokens"]

    async def vote() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
            return await asyncio.gather(
                *(
                    c.post(
                        f"{API}/questions/{boxes['ratify']}/ballots",
                        json={"choice": {"vote": "yes" if i % 3 else "no"}},
                        headers={"Authorization": f"Bearer {token}"},
                    )
                    for i, token in enumerate(tokens.values())
                )
            )

    answers = asyncio.run(vote())
    assert [a.status_code for a in answers] == [201] * len(tokens)
    receipts = {a.json()["receipt"] for a in answers}
    assert len(receipts) == len(tokens) and routed == []
    assert sum(sizes) == len(tokens) and max(sizes) > 1  # together, not one by one
    with app.state.db.transaction() as s:
        stored = set(s.scalars(select(Ballot.receipt).where(Ballot.question_id == boxes["ratify"])))
        voters = s.execute(select(func.count()).select_from(Participation)).scalar_one()
    assert stored == receipts and voters == len(tokens)


def test_when_the_desk_fails_the_route_answers(
    app: FastAPI,
    client: TestClient,
    voting: dict[str, Any],
    routed: list[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A batch that fails (the database, say) hands each ballot to the route, which casts it."""

    def broken(db: Any, papers: Any) -> Any:
        raise ConnectionError("the database went away")

    monkeypatch.setattr(ballots, "cast_ballots", broken)
    ratify = voting["round"]["boxes"]["ratify"]
    c3 = sign_in(client, "c3")
    answer = ok(
        client.post(
            f"{API}/questions/{ratify}/ballots", json={"choice": {"vote": "yes"}}, headers=c3
        ),
        201,
    )
    assert routed == ["c3"] and answer["question"] == ratify
    with app.state.db.transaction() as s:
        assert s.scalars(select(Ballot.receipt)).all() == [answer["receipt"]]


def test_the_api_answers_a_member_who_has_voted_alike(app: FastAPI, client: TestClient) -> None:
    """Through the route and the group-commit desk: one status and one body whatever receipt
    and choice a member who has voted sends."""
    db = app.state.db
    first_facilitator(db)
    fed, fac = federation_with_members(client, FACILITATOR, "Commune", "c")
    ratify = run_to_vote(client, fed, fac, "Commune", "c")["boxes"]["ratify"]
    url = f"{API}/questions/{ratify}/ballots"
    c0, c1 = sign_in(client, "c0"), sign_in(client, "c1")
    first = client.post(url, json={"choice": {"vote": "yes"}, "receipt": "C0-RECEIPT"}, headers=c0)
    assert first.status_code == 201
    other = client.post(url, json={"choice": {"vote": "no"}}, headers=c1)
    assert other.status_code == 201
    theirs = other.json()["receipt"]
    answers = set()
    for body in (
        {"choice": {"vote": "no"}, "receipt": theirs},
        {"choice": {"vote": "yes"}, "receipt": theirs},
        {"choice": {"vote": "yes"}, "receipt": "C0-RECEIPT"},  # a retry of one's own
        {"choice": {"vote": "no"}, "receipt": "C0-RECEIPT"},
        {"choice": {"vote": "abstain"}},
    ):
        answer = client.post(url, json=body, headers=c0)
        answers.add((answer.status_code, answer.text))
    assert len(answers) == 1, answers
    status, body = answers.pop()
    assert status == 409 and "c0" in body and "already" in body
