"""Accounts, sessions, CSRF, the sign-in rate limit and authorisation, on SQLite and PostgreSQL.

Two federations (North, facilitated by ada; South, by bob) share one database: nobody reads or
votes across them, members take no facilitator's step, auditors read and never vote.
"""

from __future__ import annotations

import warnings
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI, Form, Request, Response
from sqlalchemy import func, select, update

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    from fastapi.testclient import TestClient

from commonplan import accounts as auth
from commonplan.errors import CommonplanError
from commonplan.store.models import Invitation, SignInFailure, WebSession
from commonplan.web import deps

__all__ = ["cheap_hashing"]  # autouse, from api_support
from api_support import (
    API,
    FACILITATOR,
    cheap_hashing,
    federation_with_members,
    file,
    first_facilitator,
    make_app,
    ok,
    password,
    refused,
    run_to_vote,
    sign_in,
    unseen,
)


@pytest.fixture
def app(database_url: str) -> Iterator[FastAPI]:
    application = make_app(database_url, session_refresh=timedelta(0))
    yield application
    application.state.db.dispose()


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as c:
        yield c


def creds(handle: str, secret: str | None = None) -> dict[str, str]:
    return {"handle": handle, "password": secret if secret is not None else password(handle)}


# ---------------------------------------------------------------------- sessions


def test_sign_in_and_out_with_a_bearer_token_or_the_cookie(
    app: FastAPI, client: TestClient
) -> None:
    db = app.state.db
    first_facilitator(db)
    r = client.post(f"{API}/auth/sign-in", json=creds(FACILITATOR))
    session = ok(r)
    assert session["member"]["handle"] == FACILITATOR and session["csrf_token"]
    cookie = r.headers["set-cookie"]
    assert cookie.startswith(f"commonplan_session={session['token']};")
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" not in cookie
    with db.transaction() as s:  # the token itself is stored nowhere
        stored = s.execute(select(WebSession.token_sha256)).scalars().all()
    assert len(stored) == 1 and stored[0] != session["token"] and len(stored[0]) == 64

    me = ok(client.get(f"{API}/me"))  # the cookie
    assert me["handle"] == FACILITATOR and me["roles"] == ["member", "facilitator"]
    assert me["csrf_token"] == session["csrf_token"]
    client.cookies.clear()
    bearer = {"Authorization": f"Bearer {session['token']}"}
    assert ok(client.get(f"{API}/me", headers=bearer))["csrf_token"] is None
    refused(client.get(f"{API}/me"), 401, "unauthenticated", "not signed in")

    assert client.post(f"{API}/auth/sign-out", headers=bearer).status_code == 204
    refused(client.get(f"{API}/me", headers=bearer), 401, "unauthenticated", "sign in again")
    with db.transaction() as s:
        assert s.execute(select(WebSession.revoked_at)).scalar_one() is not None

    with TestClient(app, base_url="https://testserver") as https:
        signed = https.post(f"{API}/auth/sign-in", json=creds(FACILITATOR))
        assert "Secure" in signed.headers["set-cookie"]
    auth.set_password(db, FACILITATOR, "a new password")  # ends every session
    token = {"Authorization": f"Bearer {signed.json()['token']}"}
    refused(client.get(f"{API}/me", headers=token), 401, "unauthenticated")


def test_sessions_expire_and_slide_while_used(app: FastAPI, client: TestClient) -> None:
    db = app.state.db
    first_facilitator(db)
    headers = sign_in(client, FACILITATOR)
    now = datetime.now(UTC)
    with db.transaction() as s:
        s.execute(
            update(WebSession).values(
                seen_at=now - timedelta(hours=1), expires_at=now + timedelta(minutes=1)
            )
        )
    ok(client.get(f"{API}/me", headers=headers))  # used: the expiry moves 12 h ahead
    with db.transaction() as s:
        expires = s.execute(select(WebSession.expires_at)).scalar_one()
    expires = expires if expires.tzinfo else expires.replace(tzinfo=UTC)
    assert expires > now + timedelta(hours=11)
    with db.transaction() as s:
        s.execute(update(WebSession).values(expires_at=now - timedelta(seconds=1)))
    refused(client.get(f"{API}/me", headers=headers), 401, "unauthenticated", "expired")
    assert client.get(f"{API}/me", headers=headers).headers["www-authenticate"] == "Bearer"


def test_the_sixth_failed_sign_in_waits_and_each_further_failure_doubles_the_wait(
    app: FastAPI, client: TestClient
) -> None:
    db = app.state.db
    first_facilitator(db)
    first_facilitator(db, "bob")
    for _ in range(5):
        wrong = client.post(f"{API}/auth/sign-in", json=creds(FACILITATOR, "wrong password"))
        refused(wrong, 401, "unauthenticated", "wrong handle or password")
    sixth = client.post(f"{API}/auth/sign-in", json=creds(FACILITATOR))  # even the right one
    refused(sixth, 429, "rate_limited", repr(FACILITATOR), "seconds", "device")
    assert 1 <= int(sixth.headers["retry-after"]) <= 30  # 30 s, not a quarter of an hour
    ok(client.post(f"{API}/auth/sign-in", json=creds("bob")))  # another handle is not held up
    unknown = client.post(f"{API}/auth/sign-in", json=creds("nobody"))
    refused(unknown, 401, "unauthenticated", "wrong handle or password")  # the same message

    def later(seconds: float) -> None:  # (in Python: SQLite does no date arithmetic)
        with db.transaction() as s:
            for row in s.execute(select(SignInFailure)).scalars():
                row.at = row.at - timedelta(seconds=seconds)

    waits = []
    for _ in range(4):  # one more guess after each wait, and each wait doubles
        later(waits[-1] if waits else 30)
        guess = client.post(f"{API}/auth/sign-in", json=creds(FACILITATOR, "wrong password"))
        refused(guess, 401, "unauthenticated")
        held = client.post(f"{API}/auth/sign-in", json=creds(FACILITATOR))
        waits.append(int(refused_after(held)))
    assert [round(w / 30) * 30 for w in waits] == [60, 120, 240, 480], waits
    # (at most 15 minutes; failures older than that are forgotten: some 10 guesses a quarter)

    later(16 * 60)  # a quarter of an hour after the last failure, every failure has aged out
    ok(client.post(f"{API}/auth/sign-in", json=creds(FACILITATOR)))
    with db.transaction() as s:  # a success forgets the failures of the handle from here
        assert not s.execute(
            select(SignInFailure).where(SignInFailure.handle == FACILITATOR)
        ).first()


def refused_after(r: Any) -> str:
    refused(r, 429, "rate_limited")
    wait: str = r.headers["retry-after"]
    return wait


def test_a_stranger_cannot_lock_a_member_out(database_url: str) -> None:
    """Failures from other addresses do not hold the member back; failures for the handle from
    anywhere (a botnet) hold back unknown devices, never a device the member signed in from."""
    app = make_app(database_url, failures_per_account=12)
    db, settings = app.state.db, app.state.settings
    first_facilitator(db)

    def attempt(secret: str, client: str, device: str | None = None) -> str:
        try:
            auth.sign_in(db, FACILITATOR, secret, client=client, device=device, settings=settings)
        except CommonplanError as e:
            return type(e).__name__
        return "signed in"

    ada = password(FACILITATOR)
    known = auth.sign_in(db, FACILITATOR, ada, client="10.0.0.9", settings=settings).device
    for _ in range(5):
        assert attempt("wrong password", "10.6.6.6") == "AuthenticationError"
    assert attempt(ada, "10.6.6.6") == "RateLimitedError"  # the stranger's address is held
    assert attempt(ada, "10.0.0.9") == "signed in"  # the member elsewhere is not, device or none

    for k in range(7):  # seven more addresses guessing: 12 failures, the handle's bound
        assert attempt("wrong password", f"10.7.0.{k}") == "AuthenticationError"
    assert attempt(ada, "10.0.0.10") == "RateLimitedError"  # an unknown device waits
    assert attempt(ada, "10.0.0.10", device=known) == "signed in"  # a known one does not
    forged = known[:-4] + ("0000" if not known.endswith("0000") else "1111")
    assert attempt(ada, "10.0.0.10", device=forged) == "RateLimitedError"
    with ThreadPoolExecutor(max_workers=12) as pool:  # guesses from a stolen device cookie
        outcomes = Counter(pool.map(lambda _: attempt("wrong", "10.8.0.1", known), range(12)))
    assert outcomes == {"AuthenticationError": 5, "RateLimitedError": 7}
    with db.transaction() as s:
        assert (
            s.execute(select(func.count()).where(SignInFailure.device.is_not(None))).scalar() == 5
        )

    auth.set_password(db, FACILITATOR, "a new password for ada")  # every device token dies
    assert attempt("a new password for ada", "10.0.0.11", device=known) == "RateLimitedError"
    app.state.db.dispose()


def test_the_device_cookie_lets_a_browser_through(app: FastAPI, client: TestClient) -> None:
    db, settings = app.state.db, app.state.settings
    first_facilitator(db)
    r = client.post(f"{API}/auth/sign-in", json=creds(FACILITATOR))
    device = ok(r)["device_token"]
    assert client.cookies.get(deps.DEVICE_COOKIE) == device
    assert "SameSite=strict" in r.headers["set-cookie"]
    client.cookies.delete(settings.cookie_name)
    for k in range(settings.failures_per_account):  # failures from everywhere but this browser
        with pytest.raises(CommonplanError):
            auth.sign_in(db, FACILITATOR, "wrong", client=f"10.9.{k // 250}.{k % 250}")
    ok(client.post(f"{API}/auth/sign-in", json=creds(FACILITATOR)))  # the cookie is sent
    client.cookies.clear()
    refused(client.post(f"{API}/auth/sign-in", json=creds(FACILITATOR)), 429, "rate_limited")
    again = {**creds(FACILITATOR), "device": device}  # an API client keeps its token itself
    ok(client.post(f"{API}/auth/sign-in", json=again))


def test_wrong_passwords_at_the_same_time_do_not_pass_the_limit(app: FastAPI) -> None:
    """Twelve wrong passwords at once: five are checked (401), the rest refused (429)."""
    db = app.state.db
    first_facilitator(db)

    def attempt(_: int) -> str:
        try:
            auth.sign_in(db, FACILITATOR, "wrong password", client="10.0.0.1")
        except CommonplanError as e:
            return type(e).__name__
        return "signed in"

    with ThreadPoolExecutor(max_workers=12) as pool:
        outcomes = Counter(pool.map(attempt, range(12)))
    assert outcomes == {"AuthenticationError": 5, "RateLimitedError": 7}
    with db.transaction() as s:
        assert len(s.execute(select(SignInFailure.id)).all()) == 5


def test_failures_from_one_address_are_limited_across_handles(database_url: str) -> None:
    app = make_app(database_url, failures_per_client=3)
    first_facilitator(app.state.db)
    with TestClient(app) as client:
        for handle in ("x", "y", "z"):
            refused(client.post(f"{API}/auth/sign-in", json=creds(handle)), 401, "unauthenticated")
        held = client.post(f"{API}/auth/sign-in", json=creds(FACILITATOR))
        refused(held, 429, "rate_limited", "this address")
    app.state.db.dispose()


# ---------------------------------------------------------------------- CSRF


def test_cookie_requests_that_change_something_need_the_csrf_token(
    app: FastAPI, client: TestClient
) -> None:
    first_facilitator(app.state.db)
    fed, _ = federation_with_members(client, FACILITATOR, "North", "n", n=2)
    fac = sign_in(client, FACILITATOR)
    rid = ok(client.post(f"{API}/federations/{fed}/rounds", json={}, headers=fac), 201)["id"]
    session = ok(client.post(f"{API}/auth/sign-in", json=creds("n0")))  # the cookie stays
    proposal = {
        "council": "North east",
        "kind": "target",
        "title": "bread",
        "amounts": {"C10T12": 1},
    }

    refused(
        client.post(f"{API}/rounds/{rid}/proposals", json=proposal), 403, "csrf", "X-CSRF-Token"
    )
    wrong = {deps.CSRF_HEADER: "0" * 64}
    refused(client.post(f"{API}/rounds/{rid}/proposals", json=proposal, headers=wrong), 403, "csrf")
    ok(client.get(f"{API}/rounds/{rid}/proposals"))  # reading needs none
    right = {deps.CSRF_HEADER: session["csrf_token"]}
    ok(client.post(f"{API}/rounds/{rid}/proposals", json=proposal, headers=right), 201)
    bearer = {"Authorization": f"Bearer {session['token']}"}
    again = {**proposal, "title": "more bread"}  # a bearer token needs no CSRF token
    ok(client.post(f"{API}/rounds/{rid}/proposals", json=again, headers=bearer), 201)

    # a server-rendered form: the token in the form field
    refused(client.post(f"{API}/auth/sign-out", data={"other": "x"}), 403, "csrf", "csrf_token")
    signed_out = client.post(f"{API}/auth/sign-out", data={deps.CSRF_FIELD: session["csrf_token"]})
    assert signed_out.status_code == 204
    refused(client.get(f"{API}/rounds/{rid}/proposals"), 401, "unauthenticated")


def test_pre_sign_in_forms_carry_a_double_submit_token(app: FastAPI, client: TestClient) -> None:
    """The helpers the sign-in page uses: a random cookie the form repeats.  (Test routes under
    ``/api/``, where errors answer JSON; elsewhere the pages render them as HTML.)"""

    @app.get(f"{API}/form-token")
    def show(request: Request, response: Response) -> dict[str, str]:
        return {"token": deps.form_token(request, response, app.state.settings)}

    @app.post(f"{API}/form-check")
    def check(request: Request, csrf_token: str = Form("")) -> dict[str, bool]:
        deps.check_form_token(request, csrf_token)
        return {"ok": True}

    token = ok(client.get(f"{API}/form-token"))["token"]
    assert ok(client.get(f"{API}/form-token"))["token"] == token  # the cookie is reused
    assert ok(client.post(f"{API}/form-check", data={"csrf_token": token})) == {"ok": True}
    refused(client.post(f"{API}/form-check", data={"csrf_token": "forged"}), 403, "csrf", "reload")
    client.cookies.clear()
    refused(client.post(f"{API}/form-check", data={"csrf_token": token}), 403, "csrf")


# ---------------------------------------------------------------------- invitations


def test_invitations_are_single_use_and_only_for_members_without_a_password(
    app: FastAPI, client: TestClient
) -> None:
    db = app.state.db
    first_facilitator(db)
    first_facilitator(db, "bob")
    north, _ = federation_with_members(client, FACILITATOR, "North", "n", n=2)
    federation_with_members(client, "bob", "South", "s", n=1)
    fac, bob, n0 = (sign_in(client, h) for h in (FACILITATOR, "bob", "n0"))
    rows = [{"handle": "n9", "consumers_council": "North east"}]
    ok(client.post(f"{API}/federations/{north}/members", json=rows, headers=fac), 201)

    token = ok(client.post(f"{API}/members/n9/invitations", headers=fac), 201)["token"]
    short = client.post(
        f"{API}/auth/invitations/accept", json={"token": token, "password": "short"}
    )
    refused(short, 422, "plan_input", "at least 10")
    accepted = {"token": token, "password": "n9's new password"}
    assert ok(client.post(f"{API}/auth/invitations/accept", json=accepted))["handle"] == "n9"
    ok(client.post(f"{API}/auth/sign-in", json=creds("n9", "n9's new password")))
    client.cookies.clear()
    refused(
        client.post(f"{API}/auth/invitations/accept", json=accepted), 401, "unauthenticated", "used"
    )
    # n9 has a password now: an invitation is no way to replace it
    refused(client.post(f"{API}/members/n9/invitations", headers=fac), 409, "planning", "reset")

    refused(
        client.post(f"{API}/members/n1/invitations", headers=n0), 403, "forbidden", "facilitator"
    )
    # another federation's member, or nobody at all: the same answer, nothing learnt
    other = client.post(f"{API}/members/n1/invitations", headers=bob)
    nobody = client.post(f"{API}/members/nobody/invitations", headers=bob)
    assert refused(other, 404, "not_found") == refused(nobody, 404, "not_found").replace(
        "nobody", "n1"
    )

    rows = [{"handle": "late", "consumers_council": "North east"}]
    ok(client.post(f"{API}/federations/{north}/members", json=rows, headers=fac), 201)
    old = auth.invite(db, "late")
    with db.transaction() as s:
        s.execute(update(Invitation).values(expires_at=datetime.now(UTC) - timedelta(seconds=1)))
    late = {"token": old, "password": "too late a password"}
    refused(
        client.post(f"{API}/auth/invitations/accept", json=late), 401, "unauthenticated", "expired"
    )


def test_no_facilitator_takes_over_a_member_of_another_federation(
    app: FastAPI, client: TestClient
) -> None:
    """The reported takeover: ada (North) invited kim, who is also staff of South, set her
    password and became South's facilitator.  Now only staff of every federation of a member
    reset their password; the reset is logged and told to the member at the next sign-in."""
    db = app.state.db
    first_facilitator(db)
    first_facilitator(db, "bob")
    north, ada = federation_with_members(client, FACILITATOR, "North", "n", n=1)
    south, bob = federation_with_members(client, "bob", "South", "s", n=1)
    rows = [{"handle": "kim", "role": "facilitator", "consumers_council": "North east"}]
    ok(client.post(f"{API}/federations/{north}/members", json=rows, headers=ada), 201)
    auth.set_password(db, "kim", password("kim"))
    auth.add_staff(db, "kim", south)

    for route in ("invitations", "password-resets"):
        taken = client.post(f"{API}/members/kim/{route}", headers=ada)
        refused(taken, 403, "forbidden", "every federation")
    refused(client.post(f"{API}/members/kim/password-resets", headers=bob), 403, "forbidden")
    ok(client.post(f"{API}/auth/sign-in", json=creds("kim")))  # her password stands
    client.cookies.clear()

    auth.add_staff(db, "bob", north)  # staff of both federations may reset her password
    bob = sign_in(client, "bob")
    reset = ok(client.post(f"{API}/members/kim/password-resets", headers=bob), 201)
    assert reset["kind"] == "reset" and reset["url"] is None  # no base URL: no link guessed
    ok(client.post(f"{API}/auth/sign-in", json=creds("kim")))  # the old one works until used
    client.cookies.clear()
    new = {"token": reset["token"], "password": "kim's new password"}
    ok(client.post(f"{API}/auth/invitations/accept", json=new))
    told = ok(client.post(f"{API}/auth/sign-in", json=creds("kim", "kim's new password")))
    assert told["reset_by"] == ["bob"]  # told once, at the next sign-in
    again = ok(client.post(f"{API}/auth/sign-in", json=creds("kim", "kim's new password")))
    assert again["reset_by"] == []
    client.cookies.clear()
    entries = ok(client.get(f"{API}/audit/entries", headers=bob))
    actions = (
        [(e["actor"], e["action"]) for e in entries["entries"]]
        if isinstance(entries, dict)
        else [(e["actor"], e["action"]) for e in entries]
    )
    assert ("bob", "password reset issued") in actions and ("kim", "password set") in actions


def test_a_member_changes_their_own_password(app: FastAPI, client: TestClient) -> None:
    db = app.state.db
    first_facilitator(db)
    federation_with_members(client, FACILITATOR, "North", "n", n=1)
    n0 = sign_in(client, "n0")
    change = {"current_password": "not it", "new_password": "n0's better password"}
    refused(client.post(f"{API}/me/password", json=change, headers=n0), 401, "unauthenticated")
    ok(client.post(f"{API}/auth/sign-in", json=creds("n0")))  # unchanged
    client.cookies.clear()
    change["current_password"] = password("n0")
    assert client.post(f"{API}/me/password", json=change, headers=n0).status_code == 204
    refused(client.get(f"{API}/me", headers=n0), 401, "unauthenticated")  # sessions ended
    ok(client.post(f"{API}/auth/sign-in", json=creds("n0", "n0's better password")))


def test_a_session_cannot_guess_the_current_password(app: FastAPI, client: TestClient) -> None:
    """Wrong current passwords count as failed sign-ins: a stolen session gets the same few
    guesses as anyone, then waits (and so does a sign-in for the handle from there)."""
    db = app.state.db
    first_facilitator(db)
    federation_with_members(client, FACILITATOR, "North", "n", n=1)
    n0 = sign_in(client, "n0")
    url, new = f"{API}/me/password", "n0's better password"
    for k in range(5):
        guess = {"current_password": f"guess {k}", "new_password": new}
        refused(client.post(url, json=guess, headers=n0), 401, "unauthenticated", "wrong")
    right = {"current_password": password("n0"), "new_password": new}
    held = client.post(url, json=right, headers=n0)  # even the right one, for now
    assert 1 <= int(refused_after(held)) <= 30
    refused(client.post(f"{API}/auth/sign-in", json=creds("n0")), 429, "rate_limited")
    with db.transaction() as s:  # the wait passes
        for row in s.execute(select(SignInFailure)).scalars():
            row.at = row.at - timedelta(minutes=16)
    assert client.post(url, json=right, headers=n0).status_code == 204
    with db.transaction() as s:  # the right one is not counted
        assert len(s.execute(select(SignInFailure)).all()) == 5


# ---------------------------------------------------------------------- authorisation


@pytest.fixture
def two_federations(app: FastAPI, client: TestClient) -> dict[str, Any]:
    """North (ada) with a closed, failed round 1 and round 2 open for proposals; South (bob)
    voting; eve audits North."""
    db = app.state.db
    first_facilitator(db)
    first_facilitator(db, "bob")
    north, ada = federation_with_members(client, FACILITATOR, "North", "n", n=4)
    south, bob = federation_with_members(client, "bob", "South", "s", n=2)
    first_facilitator(db, "eve", role="auditor")
    auth.add_staff(db, "eve", north)
    n_round = run_to_vote(client, north, ada, "North", "n")
    s_round = run_to_vote(client, south, bob, "South", "s")
    s0 = sign_in(client, "s0")
    receipt = ok(
        client.post(
            f"{API}/questions/{s_round['boxes']['ratify']}/ballots",
            json={"choice": {"vote": "yes"}},
            headers=s0,
        ),
        201,
    )["receipt"]
    closed = ok(client.post(f"{API}/rounds/{n_round['round']}/vote/close", headers=ada))
    assert closed["phase"] == "failed"  # nobody voted: no quorum
    return {
        "north": north,
        "south": south,
        "ada": ada,
        "bob": bob,
        "eve": sign_in(client, "eve"),
        "n0": sign_in(client, "n0"),
        "s0": s0,
        "n_round": n_round,
        "s_round": s_round,
        "next_round": closed["outcome"]["next_round"],
        "s_receipt": receipt,
    }


def test_nobody_reads_or_votes_in_another_federation(
    client: TestClient, two_federations: dict[str, Any]
) -> None:
    t = two_federations
    n0, south, s_round = t["n0"], t["south"], t["s_round"]
    rid = s_round["round"]
    for path in (
        f"/federations/{south}",
        f"/federations/{south}/councils",
        f"/federations/{south}/rounds",
        f"/rounds/{rid}",
        f"/rounds/{rid}/proposals",
        f"/proposals/{s_round['collective'][0]}",
        f"/rounds/{rid}/plans",
        f"/rounds/{rid}/questions",
        f"/questions/{s_round['boxes']['ratify']}",
        f"/rounds/{rid}/board",
        f"/rounds/{rid}/me/consequences",
    ):
        unseen(client.get(f"{API}{path}", headers=n0))
    unseen(
        client.post(
            f"{API}/questions/{s_round['boxes']['ratify']}/ballots",
            json={"choice": {"vote": "no"}},
            headers=n0,
        )
    )
    unseen(client.post(f"{API}/proposals/{s_round['collective'][0]}/withdraw", headers=n0))
    ada = t["ada"]  # a facilitator of North is nobody in South
    unseen(client.post(f"{API}/federations/{south}/rounds", json={}, headers=ada))
    unseen(client.post(f"{API}/rounds/{rid}/vote/close", headers=ada))
    unseen(client.post(f"{API}/federations/{south}/members", json=[{"handle": "x"}], headers=ada))
    unseen(client.get(f"{API}/federations/{south}/members", headers=ada))
    # A receipt in another federation's open box: nothing said of it (not even that it exists).
    find, receipt = f"{API}/board/ballots/find", {"receipt": t["s_receipt"]}
    refused(client.post(find, json=receipt, headers=n0), 404, "not_found")
    refused(client.post(find, json=receipt, headers=t["s0"]), 409, "phase", "still open")

    closed = ok(client.post(f"{API}/rounds/{rid}/vote/close", headers=t["bob"]))
    assert closed["phase"] in ("ratified", "failed")
    unseen(client.get(f"{API}/rounds/{rid}/board", headers=n0))
    refused(client.post(find, json=receipt, headers=n0), 404, "not_found")
    found = ok(client.post(find, json=receipt, headers=t["s0"]))
    assert found[0]["choice"] == {"vote": "yes"}
    plan = closed["outcome"]["plan"]
    unseen(client.get(f"{API}/plans/{plan}/result", headers=n0))


def test_members_take_no_facilitators_steps_nor_vote_after_close(
    client: TestClient, two_federations: dict[str, Any]
) -> None:
    t = two_federations
    n0, north, n_round = t["n0"], t["north"], t["n_round"]
    nxt = t["next_round"]
    plan = ok(client.get(f"{API}/rounds/{n_round['round']}", headers=n0))["plans"][0]
    for method, path in (
        ("post", f"/federations/{north}/rounds"),
        ("post", f"/rounds/{nxt}/draft"),
        ("post", f"/rounds/{nxt}/vote"),
        ("post", f"/rounds/{nxt}/vote/close"),
        ("post", f"/federations/{north}/members"),
        ("post", "/federations"),
        ("post", "/members/n1/invitations"),
        ("get", f"/federations/{north}/members"),
        ("get", "/audit/entries"),
        ("get", "/audit/verify"),
        ("post", f"/plans/{plan}/recompute"),
    ):
        body = {"json": [] if path.endswith("members") else {}} if method == "post" else {}
        answer = getattr(client, method)(f"{API}{path}", headers=n0, **body)
        refused(answer, 403, "forbidden", "'n0'")
    late = {"choice": {"vote": "yes"}}
    closed_box = n_round["boxes"]["ratify"]
    refused(
        client.post(f"{API}/questions/{closed_box}/ballots", json=late, headers=n0),
        409,
        "ballot_refused",
        "closed",
    )
    refused(client.post(f"{API}/rounds/{n_round['round']}/draft", headers=t["ada"]), 409, "phase")


def test_a_delegate_is_a_member_with_a_running_term(
    client: TestClient, two_federations: dict[str, Any]
) -> None:
    """A facilitator records the council's election and recall; the term makes the role."""
    t = two_federations
    n0, ada = t["n0"], t["ada"]
    me = ok(client.get(f"{API}/me", headers=n0))
    assert me["roles"] == ["member"] and me["delegate_of"] == []
    bakery = next(c["id"] for c in me["councils"] if c["kind"] == "workers")
    url = f"{API}/councils/{bakery}/delegates"
    elected = {"handle": "n0", "term_days": 30}
    refused(client.post(url, json=elected, headers=n0), 403, "forbidden", "facilitator")
    unseen(client.post(url, json=elected, headers=t["bob"]))  # South's facilitator
    # another federation's member is answered as unknown: nothing said of other federations
    refused(client.post(url, json={"handle": "s0"}, headers=ada), 404, "not_found", "s0")
    term = ok(client.post(url, json=elected, headers=ada), 201)
    assert term["handle"] == "n0" and term["council"] == bakery and term["serving"]
    me = ok(client.get(f"{API}/me", headers=n0))
    assert me["roles"] == ["member", "delegate"] and me["delegate_of"] == [bakery]
    other = {"handle": "n2", "term_days": 30}  # n2 is in the bakery too (even numbers)
    refused(client.post(url, json=other, headers=ada), 409, "planning", "recall first")
    assert [d["id"] for d in ok(client.get(url, headers=n0))] == [term["id"]]
    unseen(client.get(url, headers=t["s0"]))
    recall = f"{API}/delegates/{term['id']}/recall"
    refused(client.post(recall, headers=n0), 403, "forbidden")
    ended = ok(client.post(recall, headers=ada))
    assert not ended["serving"] and ended["recalled_at"] is not None
    refused(client.post(recall, headers=ada), 409, "planning", "recalled already")
    assert ok(client.get(f"{API}/me", headers=n0))["roles"] == ["member"]
    after = ok(client.post(url, json=other, headers=ada), 201)
    assert [d["handle"] for d in ok(client.get(url, headers=n0))] == ["n2", "n0"]
    assert after["serving"]
    log = ok(client.get(f"{API}/audit/entries?limit=500", headers=ada))["entries"]
    actions = [e["action"] for e in log]
    assert actions.count("delegate elected") == 2 and actions.count("delegate recalled") == 1


def test_auditors_read_the_log_of_their_federation_and_never_vote(
    client: TestClient, two_federations: dict[str, Any]
) -> None:
    t = two_federations
    eve, nxt = t["eve"], t["next_round"]
    assert ok(client.get(f"{API}/me", headers=eve))["roles"] == ["member", "auditor"]
    assert ok(client.get(f"{API}/audit/verify", headers=eve))["ok"] is True
    entries = ok(client.get(f"{API}/audit/entries?limit=500", headers=eve))["entries"]
    subjects = {e["subject"] for e in entries}
    assert f"federation {t['north']}" in subjects and f"round {t['n_round']['round']}" in subjects
    assert f"federation {t['south']}" not in subjects
    assert f"round {t['s_round']['round']}" not in subjects
    assert not {e["actor"] for e in entries} & {"bob", "s0", "s1"}
    ok(client.get(f"{API}/rounds/{t['n_round']['round']}/board", headers=eve))
    refused(
        client.post(
            f"{API}/questions/{t['s_round']['boxes']['ratify']}/ballots",
            json={"choice": {"vote": "yes"}},
            headers=eve,
        ),
        403,
        "forbidden",
        "auditor",
    )
    proposal = {"council": "North east", "kind": "target", "title": "x", "amounts": {"C10T12": 1}}
    refused(
        client.post(f"{API}/rounds/{nxt}/proposals", json=proposal, headers=eve),
        403,
        "forbidden",
        "auditor",
    )
    refused(client.post(f"{API}/rounds/{nxt}/draft", headers=eve), 403, "forbidden", "facilitator")
    n0 = t["n0"]  # and a member of North files in round 2, which carried round 1's proposals
    carried = ok(client.get(f"{API}/rounds/{nxt}/proposals", headers=n0))
    assert {p["title"] for p in carried} == {"bread", "canteen", "clinic"}
    file(client, nxt, n0, council="North east", kind="target", title="more", amounts={"I": 1})
