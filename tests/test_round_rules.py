"""The rules of a round in the domain, reached alike from the library, the CLI and the API, on
SQLite and PostgreSQL: facilitators act in their own federation only; an infeasible alternative
never reaches a ballot; amending a collective proposal and opening the vote without a new draft
does not leave the round stuck; amounts out of scale are refused when filed, and the API never
answers 5xx to anything a member may file; a facilitator withdraws a proposal with a reason that
members see.
"""

from __future__ import annotations

import html
import math
import re
import warnings
from pathlib import Path

import pytest
from fastapi import FastAPI
from sqlalchemy import select

with warnings.catch_warnings():  # starlette's TestClient would prefer httpx2
    warnings.simplefilter("ignore", DeprecationWarning)
    from fastapi.testclient import TestClient

import api_support as web
import commonplan as cp
from api_support import app, cheap_hashing, client
from cli_support import clean_error, run
from commonplan import accounts
from commonplan.errors import AuthorisationError, PlanInputError
from commonplan.federation import add_members, create_federation
from commonplan.rounds import (
    cast_ballot,
    close_vote,
    compute_alternative,
    compute_draft,
    file_proposal,
    open_round,
    open_vote,
    withdraw_proposal,
)
from commonplan.store import Database
from commonplan.store.models import AuditEntry, Draft, Member, Proposal, Question
from fixtures import drafted, small_federation, small_members

__all__ = ["app", "cheap_hashing", "client"]  # fixtures, from test_api
API = web.API

FOOD = {"floors": [{"product": "C10T12", "per_person": 0.01, "need": "food"}]}
"""A food floor: what every plan of the federation must produce, CO2 and all."""


def _question(db: Database, question: int) -> Question:
    with db.transaction() as s:
        q = s.get(Question, question)
        assert q is not None
        return q


# ---------------------------------------------------------------------- facilitators


def test_facilitators_act_in_their_own_federation_only(database_url: str, tmp_path: Path) -> None:
    db = Database(database_url)
    fed_a, r, ids = drafted(db, "A")
    drafted(db, "B")  # another federation, with its own facilitator
    steps = {
        "draft": lambda who: compute_draft(db, r, actor=who),
        "alternative": lambda who: compute_alternative(
            db, r, title="greener", caps={"co2": "90%"}, actor=who
        ),
        "withdraw": lambda who: withdraw_proposal(db, ids["bread"], actor=who, reason="no"),
        "open the vote": lambda who: open_vote(db, r, actor=who),
    }
    for act in steps.values():
        with pytest.raises(AuthorisationError, match=r"'facilitatorB'.*'Federation A'"):
            act("facilitatorB")
    with pytest.raises(AuthorisationError, match=r"'facilitatorB'.*'Federation A'"):
        open_round(db, fed_a, actor="facilitatorB")
    # A facilitator with no council serves a federation as staff: that is their own.
    add_members(db, [{"handle": "staffA", "role": "facilitator"}])
    with pytest.raises(AuthorisationError, match="staffA"):
        compute_draft(db, r, actor="staffA")
    accounts.add_staff(db, "staffA", fed_a)
    compute_draft(db, r, actor="staffA")
    open_vote(db, r, actor="facilitatorA")
    # From the terminal, as the issue found it: the other federation's facilitator closes.
    where = str(tmp_path / "commonplan.db") if db.is_sqlite else database_url
    denied = run("vote", "close", r, "--as", "facilitatorB", "--db", where)
    clean_error(denied, "facilitatorB", "Federation A")
    with db.transaction() as s:
        assert s.execute(select(Question.status).where(Question.round_id == r)).scalars().all()
        assert {q for q in s.execute(select(Question.status)).scalars()} == {"open"}
    assert not close_vote(db, r, actor="facilitatorA").ratified  # nobody voted: no quorum


def test_the_api_refuses_another_federations_facilitator(app: FastAPI, client: TestClient) -> None:
    db = app.state.db
    web.first_facilitator(db)
    web.first_facilitator(db, "bea")
    fed, fac = web.federation_with_members(client, web.FACILITATOR, "Commune", "c")
    web.federation_with_members(client, "bea", "Village", "v")
    r = web.run_to_vote(client, fed, fac, "Commune", "c")["round"]
    bea = web.sign_in(client, "bea")
    web.unseen(client.post(f"{API}/rounds/{r}/vote/close", headers=bea))  # as if none
    web.unseen(client.post(f"{API}/rounds/{r}/draft", headers=bea))
    web.ok(client.post(f"{API}/rounds/{r}/vote/close", headers=fac))


# ---------------------------------------------------------------------- alternatives


def test_an_infeasible_alternative_never_reaches_a_ballot(database_url: str) -> None:
    """No CO2 at all cannot feed anyone: that alternative is recorded (members may read why) but
    not ranked; a greener one is, recomputed with the amendment filed after it."""
    db = Database(database_url)
    _, r, ids = drafted(db, "G", **FOOD)
    impossible = compute_alternative(db, r, title="no CO2", caps={"co2": 0}, actor="facilitatorG")
    greener = compute_alternative(db, r, title="greener", caps={"co2": "90%"}, actor="facilitatorG")
    with db.transaction() as s:
        statuses = {d.id: d.result["status"] for d in s.execute(select(Draft)).scalars()}
    assert statuses[impossible] == "infeasible" and statuses[greener] == "optimal"
    more = {"C10T12": 150.0}
    file_proposal(
        db, r, actor="neighbourG", council="Street G", kind="target", title="more bread",
        amounts=more, amends=ids["bread"],
    )  # fmt: skip
    boxes = open_vote(db, r, actor="facilitatorG")
    ranked = _question(db, boxes["ranked"]).options
    assert ranked["titles"] == ["the draft", "greener"]
    fresh = int(ranked["candidates"][1])
    assert fresh not in (impossible, greener)  # recomputed: the targets changed since
    with db.transaction() as s:
        d = s.get(Draft, fresh)
        assert d is not None
        assert d.inputs["targets"] == more and d.inputs["alternative_caps"] == {"co2": "90%"}
        assert d.result["status"] == "optimal"


def test_the_close_never_says_ratified_next_to_not_ratified() -> None:
    """The terminal's words when the vote approved a plan the engine could not produce."""
    from commonplan.cli.vote import _ratification

    count = {"ratified": True, "reason": "ratified: 6 yes of 6 (threshold 1/2); quorum met"}
    said = _ratification(count, {"ratified": False}, {"status": "infeasible"})
    assert not said.startswith("ratified") and "not ratified" in said and "6 yes" in said
    assert _ratification(count, {"ratified": True}, {"status": "optimal"}) == count["reason"]


# ---------------------------------------------------------------------- amend, then vote


def test_a_collective_proposal_amended_after_the_draft_is_costed_and_counted(
    database_url: str,
) -> None:
    """The issue's stuck round: the canteen is amended in feedback and the vote opened without
    a new draft; every close failed ("costs nan").  The vote's opening costs it; the close
    counts it."""
    db = Database(database_url)
    _, r, ids = drafted(db, "C", voters=4)
    bigger = {"I": 2.0}
    canteen = file_proposal(
        db, r, actor="neighbourC", council="Street C", kind="collective", title="a bigger canteen",
        amounts=bigger, amends=ids["canteen"],
    )  # fmt: skip
    boxes = open_vote(db, r, actor="facilitatorC")
    budget = _question(db, boxes["budget"]).options
    lam = cp.embodied(cp.demo_economy())
    hours = float(lam[cp.demo_economy().product_index("I")]) * 2.0
    assert budget["projects"] == [str(canteen)]
    assert budget["costs"] == [pytest.approx(hours, rel=1e-12)]
    for i in range(4):
        cast_ballot(db, boxes["budget"], member=f"voterC{i}", choice={"approve": [str(canteen)]})
        cast_ballot(db, boxes["ratify"], member=f"voterC{i}", choice={"vote": "yes"})
    out = close_vote(db, r, actor="facilitatorC")
    assert out.results["budget"]["selected"] == (
        [str(canteen)] if hours <= budget["budget"] else []
    )
    assert all(math.isfinite(c) for c in budget["costs"])


# ---------------------------------------------------------------------- amounts and withdrawal


@pytest.mark.parametrize(
    ("kind", "amount"),
    [
        ("capacity", 1e-100),
        ("capacity", 1e30),
        ("target", 1e30),
        ("target", 1e-100),
        ("target", math.inf),
        ("target", math.nan),
        ("target", -1.0),
    ],
)
def test_amounts_out_of_scale_are_refused_when_filed(kind: str, amount: float) -> None:
    db = Database("sqlite://")
    fed = create_federation(db, small_federation("X"))
    add_members(db, small_members("X"))
    r = open_round(db, fed, actor="facilitatorX")
    council, code, who = {
        "capacity": ("Farm X", "A01", "farmerX"),
        "target": ("Street X", "C10T12", "neighbourX"),
    }[kind]

    def filing(value: float) -> int:
        return file_proposal(
            db, r, actor=who, council=council, kind=kind, title="t", amounts={code: value}
        )

    with pytest.raises(PlanInputError, match=rf"'{code}'") as refusal:
        filing(amount)
    if amount > 0 and math.isfinite(amount):
        assert "out of scale" in str(refusal.value)
        assert "give 0 or an amount between" in str(refusal.value)
    gross = float(cp.demo_economy().gross_output.sum())  # type: ignore[union-attr]
    for fine in (0.0, 1e-11 * gross, 10 * gross, 999 * gross):
        filing(fine)
    with db.transaction() as s:
        assert len(s.execute(select(Proposal.id)).all()) == 4  # the refused one left nothing


def test_nothing_a_member_files_gets_a_server_error(app: FastAPI, client: TestClient) -> None:
    db = app.state.db
    web.first_facilitator(db)
    fed, fac = web.federation_with_members(client, web.FACILITATOR, "Commune", "c")
    r = web.ok(client.post(f"{API}/federations/{fed}/rounds", json={}, headers=fac), 201)["id"]
    c0, c1 = web.sign_in(client, "c0"), web.sign_in(client, "c1")
    bread = {"C10T12": 2}
    web.file(client, r, c0, council="Commune east", kind="target", title="bread", amounts=bread)
    answers = []
    for kind, council, who, code in (
        ("capacity", "Commune clinic", c1, "Q86"),
        ("target", "Commune east", c0, "C10T12"),
        ("collective", "Commune east", c0, "I"),
    ):
        for amount in (1e-100, 1e-30, 1e20, 1e30, 1e300, -1.0, 0.0):
            body = {"council": council, "kind": kind, "title": "x", "amounts": {code: amount}}
            answers.append(client.post(f"{API}/rounds/{r}/proposals", json=body, headers=who))
        raw = f'{{"council": "{council}", "kind": "{kind}", "title": "x", "amounts": {{"{code}": '
        for value in ("NaN", "Infinity", "1e999"):
            answers.append(
                client.post(
                    f"{API}/rounds/{r}/proposals",
                    content=raw + value + "}}",
                    headers={**who, "Content-Type": "application/json"},
                )
            )
    answers.append(client.post(f"{API}/rounds/{r}/draft", headers=fac))
    assert all(a.status_code < 500 for a in answers), [
        (a.status_code, a.text) for a in answers if a.status_code >= 500
    ]
    assert answers[-1].status_code == 201, answers[-1].text


def test_a_facilitator_withdraws_a_proposal_with_a_reason_members_see(
    app: FastAPI, client: TestClient
) -> None:
    db = app.state.db
    web.first_facilitator(db)
    fed, fac = web.federation_with_members(client, web.FACILITATOR, "Commune", "c")
    voting = web.run_to_vote(client, fed, fac, "Commune", "c")  # round 1 fails: its proposals carry
    web.ok(client.post(f"{API}/rounds/{voting['round']}/vote/close", headers=fac))
    r = web.ok(client.get(f"{API}/federations/{fed}/rounds", headers=fac))[-1]["id"]
    c0, c2 = web.sign_in(client, "c0"), web.sign_in(client, "c2")
    live = web.ok(client.get(f"{API}/rounds/{r}/proposals", headers=c0))
    canteen = next(p for p in live if p["title"] == "canteen")
    url = f"{API}/proposals/{canteen['id']}/withdraw"
    web.refused(client.post(url, headers=fac), 422, "plan_input", "reason")  # facilitators say why
    web.refused(client.post(url, json={"reason": "no"}, headers=c2), 403, "forbidden", "c2")
    why = "a canteen of 1e-100 meals: a typing error; file it again"
    gone = web.ok(client.post(url, json={"reason": why}, headers=fac))
    assert gone["withdrawn"] and gone["withdrawn_reason"] == why
    assert gone["withdrawn_by"] == web.FACILITATOR
    listed = web.ok(client.get(f"{API}/rounds/{r}/proposals?withdrawn=true", headers=c0))
    assert next(p for p in listed if p["id"] == canteen["id"])["withdrawn_reason"] == why
    assert canteen["id"] not in {
        p["id"] for p in web.ok(client.get(f"{API}/rounds/{r}/proposals", headers=c0))
    }
    with db.transaction() as s:
        entry = s.execute(
            select(AuditEntry).where(AuditEntry.action == "proposal withdrawn")
        ).scalar_one()
        row = s.get(Proposal, canteen["id"])
        assert row is not None
        by_id = s.execute(select(Member.id).where(Member.handle == web.FACILITATOR)).scalar_one()
        assert row.withdrawn_by == by_id and row.withdrawn_reason == why  # the columns
    assert entry.actor == web.FACILITATOR and entry.payload == {
        "round": r,
        "proposal": canteen["id"],
        "council": "Commune east",
        "by": web.FACILITATOR,
        "as": "facilitator",
        "reason": why,
        "withdrawn_by": by_id,  # the columns, as verify replays them
        "withdrawn_reason": why,
    }
    web.refused(client.post(url, json={"reason": why}, headers=fac), 422, "plan_input", "withdrawn")
    signed = {"handle": "c2", "password": web.password("c2")}
    web.ok(client.post(f"{API}/auth/sign-in", json=signed))  # a browser's cookie session
    page = client.get(f"/rounds/{r}/proposals")
    assert page.status_code == 200
    seen = re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page.text)))
    assert f"canteen (Commune east): withdrawn by {web.FACILITATOR}: “{why}”" in seen


def test_the_cli_withdraws_with_a_reason(tmp_path: Path) -> None:
    where = tmp_path / "commonplan.db"
    db = Database(f"sqlite:///{where}")
    _, r, ids = drafted(db, "W")
    denied = run("proposal", "withdraw", ids["bread"], "--as", "facilitatorW", "--db", where)
    clean_error(denied, "reason")
    done = run(
        "proposal", "withdraw", ids["bread"], "--as", "facilitatorW", "--reason", "typo",
        "--db", where,
    )  # fmt: skip
    assert done.exit_code == 0 and "typo" in done.stdout
    with db.transaction() as s:
        p = s.get(Proposal, ids["bread"])
        assert p is not None and p.withdrawn and p.withdrawn_reason == "typo"
    assert r
