"""The server-rendered pages through FastAPI's TestClient, on SQLite and PostgreSQL: sign-in
(errors, rate limit, invitation), a whole round as a member and a facilitator see it (the member's
hours, the proposals' titles, the fulfilment percentage, the receipt code), CSRF, the facilitators'
pages refused to members, a ballot after close, and that every word comes from ``web/text.py``."""

from __future__ import annotations

import gzip
import html
import json
import re
import warnings
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi import FastAPI
from sqlalchemy import select

with warnings.catch_warnings():  # starlette's TestClient would prefer httpx2
    warnings.simplefilter("ignore", DeprecationWarning)

from commonplan import accounts as auth
from commonplan import audit, rounds
from commonplan.economy.io import demo_economy
from commonplan.federation import add_members, create_federation
from commonplan.plan.balance import embodied
from commonplan.rounds import board
from commonplan.rounds.plans import labour_cost
from commonplan.store.models import AuditEntry, Draft, Proposal
from commonplan.web import Settings, charts, create_app, pages, text
from commonplan.web.pages import _base, results
from commonplan.web.pages._running import per_week
from commonplan.web.pages.plans import total_hours
from commonplan.web.text import EN, t
from commonplan.work.quotas import compare_plans

__all__ = ["cheap_hashing"]  # autouse, from api_support
from api_support import cheap_hashing, commune, password
from page_support import FEDERATION, alert, browser, get, make_site, post, sign_in, token, words

number = text.Translator("en").number  # numbers as the English pages write them
TEMPLATES = Path(pages.__file__).parent.parent / "templates"


SCIENTIFIC = re.compile(r"\d\.\d+e[+-]\d+")
"""A number in scientific notation, which no page shows."""


@pytest.fixture
def site(database_url: str) -> Iterator[FastAPI]:
    app = make_site(database_url)
    yield app
    app.state.db.dispose()


# ---------------------------------------------------------------------- signing in


def test_sign_in_shows_errors_in_the_form_and_signs_out(site: FastAPI) -> None:
    c = browser(site)
    r = c.get("/")
    assert r.status_code == 303 and r.headers["location"] == "/sign-in?next=%2F"
    page = get(c, "/sign-in?next=/history")
    assert t("signin.title") in words(page) and 'value="/history"' in page
    assert 'href="#main"' in page and t("nav.skip") in words(page)

    wrong = c.post(
        "/sign-in",
        data={"handle": "m0", "password": "nope", "csrf_token": token(page), "next": "/history"},
    )
    assert wrong.status_code == 401
    assert alert(wrong.text) == f"{t('error.unauthenticated')} wrong handle or password"
    assert 'value="m0"' in wrong.text  # the handle stays filled in

    ok = c.post(
        "/sign-in",
        data={
            "handle": "m0",
            "password": password("m0"),
            "csrf_token": token(wrong.text),
            "next": "//evil.example/",
        },
    )
    assert ok.status_code == 303 and ok.headers["location"] == "/"  # no open redirect
    for target in ("/\t/evil.example", "https://evil.example", "/\\evil.example"):
        assert _base.local_path(target) == "/", target
    assert _base.local_path("/rounds/1/vote?x=1") == "/rounds/1/vote?x=1"
    home = words(get(c, "/"))
    assert t("home.title", name="Member 0") in home
    assert t("home.council", name=f"{FEDERATION} bakery", kind=t("council.workers")) in home
    assert t("home.no_round") in home and t("home.ask.wait") in home

    out = post(c, "/sign-out", {})
    assert out.headers["location"] == "/sign-in?done=signed_out"
    assert c.get("/").status_code == 303
    assert t("done.signed_out") in words(get(c, "/sign-in?done=signed_out"))


def test_sign_in_without_the_form_token_is_refused(site: FastAPI) -> None:
    c = browser(site)
    r = c.post("/sign-in", data={"handle": "m0", "password": password("m0")})
    assert r.status_code == 403
    assert alert(r.text).startswith(t("error.csrf"))
    assert "Set-Cookie" not in r.headers or "commonplan_session" not in r.headers["Set-Cookie"]


def test_rate_limit_shows_the_wait(database_url: str) -> None:
    app = make_site(database_url, failures_per_handle=2)
    try:
        c = browser(app)
        page = get(c, "/sign-in")
        for _ in range(2):
            r = c.post(
                "/sign-in", data={"handle": "m1", "password": "bad", "csrf_token": token(page)}
            )
            assert r.status_code == 401
        limited = c.post(
            "/sign-in",
            data={"handle": "m1", "password": password("m1"), "csrf_token": token(page)},
        )
        assert limited.status_code == 429
        seconds = int(limited.headers["Retry-After"])
        tr = text.translator()
        assert alert(limited.text) == (
            f"{t('error.rate_limited')} {t('signin.rate_limited', wait=_base.wait(tr, seconds))}"
        )
    finally:
        app.state.db.dispose()


def test_invitation_sets_the_password(site: FastAPI) -> None:
    db = site.state.db
    add_members(db, [{"handle": "new", "name": "Newcomer", "consumers_council": "Riverside west"}])
    ada = sign_in(site, "ada")
    made = post(ada, "/facilitate/invitations", {"handle": "new"}, status=200)
    link = re.search(r'id="invitation-link">([^<]+)<', made.text)
    assert link is not None and t("facilitate.invited", handle="new") in words(made.text)
    assert link[1].startswith("/invitation#")  # the token in the fragment: never sent, never logged
    secret = link[1].split("#", 1)[1]
    path = "/invitation"

    c = browser(site)
    old = c.get(f"/invitation/{secret}", follow_redirects=False)  # an older link: to the fragment
    assert old.status_code == 303 and old.headers["location"] == f"/invitation#{secret}"
    form = get(c, path)
    assert t("invitation.title") in words(form)
    differ = c.post(
        path,
        data={
            "token": secret,
            "password": "long enough 1",
            "again": "long enough 2",
            "csrf_token": token(form),
        },
    )
    assert differ.status_code == 422 and t("invitation.mismatch") in alert(differ.text)
    pw = password("new")
    done = c.post(
        path, data={"token": secret, "password": pw, "again": pw, "csrf_token": token(form)}
    )
    assert done.status_code == 303
    assert done.headers["location"] == "/sign-in?done=password_set&handle=new"
    assert t("done.password_set") in words(get(c, done.headers["location"]))
    assert t("home.title", name="Newcomer") in words(get(sign_in(site, "new"), "/"))
    again = c.post(
        path, data={"token": secret, "password": pw, "again": pw, "csrf_token": token(form)}
    )
    assert again.status_code == 401 and "not valid" in alert(again.text)


def test_a_member_changes_their_own_password(site: FastAPI) -> None:
    m0, elsewhere = sign_in(site, "m0"), sign_in(site, "m0")  # two sessions of hers
    form = get(m0, "/account/password")
    assert t("password.title") in words(form) and 'href="/account/password"' in get(m0, "/")
    old, new = password("m0"), "a new and longer one"

    def change(current: str, password: str, again: str, status: int) -> Any:
        sent = {"current": current, "password": password, "again": again}
        return post(m0, "/account/password", sent, status=status)

    wrong = change("not hers at all", new, new, 401)
    assert "current password is wrong" in alert(wrong.text)
    assert t("invitation.mismatch") in alert(change(old, new, new + "!", 422).text)
    assert "at least" in alert(change(old, "short", "short", 422).text)
    no_token = m0.post("/account/password", data={"current": old, "password": new, "again": new})
    assert no_token.status_code == 403 and alert(no_token.text).startswith(t("error.csrf"))
    assert get(elsewhere, "/")  # nothing changed yet

    done = change(old, new, new, 303)
    assert done.headers["location"] == "/sign-in?done=password_changed&handle=m0"
    assert t("done.password_changed") in words(get(m0, done.headers["location"]))
    for c in (m0, elsewhere):  # every session has ended, this one too
        assert c.get("/").headers["location"].startswith("/sign-in")
    c = browser(site)
    for pw, status, where in ((old, 401, None), (new, 303, "/")):
        sign = c.post(
            "/sign-in",
            data={"handle": "m0", "password": pw, "csrf_token": token(get(c, "/sign-in"))},
        )
        assert sign.status_code == status and sign.headers.get("location") == where
    with site.state.db.transaction() as s:
        last = s.execute(select(AuditEntry).order_by(AuditEntry.seq.desc())).scalars().first()
        assert last is not None
        assert (last.action, last.actor, last.payload) == ("password set", "m0", {"via": "member"})


def test_a_facilitator_withdraws_a_councils_proposal_saying_why(site: FastAPI) -> None:
    db, fed = site.state.db, site.state.federation
    rid = rounds.open_round(db, fed, actor="ada")
    east = {"council": "Riverside east", "kind": "target"}
    bread = rounds.file_proposal(db, rid, actor="m0", title="Bread", amounts={"C10T12": 2}, **east)
    ada, m0, m2 = (sign_in(site, h) for h in ("ada", "m0", "m2"))
    url = f"/rounds/{rid}/proposals"
    assert f'id="withdraw-{bread}"' in get(ada, url)  # a facilitator's form, with its reason
    assert f'id="withdraw-{bread}"' not in get(m0, url)  # her council's: the plain button
    assert f'id="withdraw-{bread}"' not in get(m2, url)  # another council's: nothing
    unsaid = post(ada, f"/proposals/{bread}/withdraw", {"reason": "  "}, status=422)
    assert "must say why" in alert(unsaid.text) and "Bread" in words(get(m2, url))
    too_long = post(ada, f"/proposals/{bread}/withdraw", {"reason": "x" * 501}, status=422)
    assert "at most 500 characters" in alert(too_long.text)
    why = "It asks for a product the table cannot make; file it again with C10T12 only"
    done = post(ada, f"/proposals/{bread}/withdraw", {"reason": f" {why} "})
    assert done.headers["location"] == f"{url}?done=withdrawn"
    seen = words(get(m2, url))  # every member reads who withdrew it and why
    said = t(
        "proposal.withdrawn_why", title="Bread", council="Riverside east", handle="ada", reason=why
    )
    assert t("proposals.withdrawn") in seen and said in seen
    assert t("proposals.all", count=0) in seen
    again = post(ada, f"/proposals/{bread}/withdraw", {"reason": why}, status=422)
    assert "withdrawn already" in alert(again.text)


# ---------------------------------------------------------------------- a whole round


def fields(page: str) -> dict[str, list[str]]:
    """The ballot form's hidden fields."""
    out: dict[str, list[str]] = {}
    for name, value in re.findall(r'type="hidden" name="(\w+)" value="([^"]*)"', page):
        out.setdefault(name, []).append(value)
    return out


def test_a_round_through_the_pages(site: FastAPI) -> None:
    db, fed = site.state.db, site.state.federation
    ada, m0, m1, m2 = (sign_in(site, h) for h in ("ada", "m0", "m1", "m2"))

    # the facilitator opens the round with a deadline
    deadline = (datetime.now(UTC) + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M")
    post(ada, f"/facilitate/federations/{fed}/rounds", {"proposals": deadline})
    (rid,) = re.findall(r'/rounds/(\d+)/proposals"', get(ada, "/facilitate"))
    home = words(get(m0, "/"))
    assert t("home.round", number=1, phase=t("phase.proposals")) in home
    assert re.search(r"2 d 2\d h left", home), home
    at = datetime.fromisoformat(deadline).replace(tzinfo=UTC)
    assert t("home.deadline", at=text.translator().date(at)) in home  # "Dec 8, 2026 06:48 UTC"
    assert t("home.ask.file") in home

    # members file proposals: only the kinds their councils may file, each its own form
    page = get(m0, f"/rounds/{rid}/proposals")
    kinds = {
        f"{council}:{kind}": html.unescape(label)
        for council, kind, label in re.findall(r'\?what=(\d+)%3A(\w+)[^"]*">([^<]+)</a>', page)
    }
    assert sorted(v.split(":")[1] for v in kinds) == ["capacity", "collective", "hours", "target"]
    east = next(v.split(":")[0] for v, label in kinds.items() if "Riverside east" in label)
    bakery = next(v.split(":")[0] for v, label in kinds.items() if "Riverside bakery" in label)
    economy = demo_economy()
    food, hotels = (economy.label(economy.product_index(c)) for c in ("C10T12", "I"))
    target_form = get(m0, f"/rounds/{rid}/proposals?what={east}:target")
    assert f'<option value="{html.escape(food)}">' in target_form  # the picker, by name
    unit = economy.units["output"]
    assert t("proposal.row_amount.target", row=1, unit=unit) in words(target_form)
    assert 'name="hours"' not in target_form  # a target's form asks no hours
    hours_form = get(m0, f"/rounds/{rid}/proposals?what={bakery}:hours")
    assert 'name="hours"' in hours_form and 'name="product_1"' not in hours_form
    post(
        m0,
        f"/rounds/{rid}/proposals",
        {
            "what": f"{east}:target",
            "title": "Bread for all",
            "product_1": food,
            "amount_1": "2",
            "product_2": "real estate services, excluding imputed rents",  # the name alone
            "amount_2": "3",
        },
    )
    canteen = {"what": f"{east}:collective", "title": "A canteen", "product_1": hotels}
    checked = post(
        m0, f"/rounds/{rid}/proposals", {**canteen, "amount_1": "1", "step": "check"}, status=200
    ).text
    costed = labour_cost(economy, {"I": 1.0})  # λ·amounts: the hours it embodies
    said = t("proposal.cost_check", hours=number(float(round(costed))))
    assert said in words(checked) and f'value="{html.escape(hotels)}"' in checked
    assert t("proposals.all", count=1) in words(checked)  # checked, not filed
    post(m0, f"/rounds/{rid}/proposals", {**canteen, "amount_1": "1"})
    post(
        m0,
        f"/rounds/{rid}/proposals",
        {"what": f"{bakery}:hours", "title": "Our hours", "hours": "1500"},
    )
    m1_east = f"{east}:collective"
    assert "?what=" + m1_east.replace(":", "%3A") in get(m1, f"/rounds/{rid}/proposals")
    post(
        m1,
        f"/rounds/{rid}/proposals",
        {"what": m1_east, "title": "Night clinic", "amounts": "Q86 = 1.5"},
    )

    wrong = post(
        m1,
        f"/rounds/{rid}/proposals",
        {"what": f"{east}:hours", "title": "x", "hours": "1"},
        status=422,
    )
    assert alert(wrong.text) == f"{t('error.plan_input')} {t('proposal.choose_kind')}"
    bad = post(
        m1,
        f"/rounds/{rid}/proposals",
        {"what": m1_east, "title": "Oops", "amounts": "Q86"},
        status=422,
    )
    assert t("proposal.bad_line", line=1, text="Q86") in alert(bad.text)
    assert 'value="Oops"' in bad.text  # the form keeps what was typed
    unknown = post(
        m1,
        f"/rounds/{rid}/proposals",
        {"what": m1_east, "title": "Oops", "amounts": "XYZ = 1"},
        status=422,
    )
    assert "the economy has no product 'XYZ'" in alert(unknown.text)
    nameless = post(
        m1,
        f"/rounds/{rid}/proposals",
        {"what": m1_east, "title": "Oops", "product_1": "Unobtainium", "amount_1": "1"},
        status=422,
    )
    assert t("proposal.unknown", row=1, text="Unobtainium") in alert(nameless.text)

    everyone = words(get(m2, f"/rounds/{rid}/proposals"))
    for title in ("Bread for all", "A canteen", "Our hours", "Night clinic"):
        assert title in everyone
    assert t("proposals.all", count=4) in everyone
    assert t("proposal.amount", name=food, amount="2", unit=unit) in everyone  # names, units
    assert t("proposal.hours_value", hours="1,500") in everyone
    assert "C10T12: 2" not in everyone

    # amend and withdraw (m0 and m1 are in the east council, m2 in the west)
    listed = get(m0, f"/rounds/{rid}/proposals")
    ids = dict(
        (html.unescape(title), int(pid))
        for pid, title in re.findall(r'<h3 id="proposal-(\d+)">([^<]+)</h3>', listed)
    )
    form = get(m0, f"/proposals/{ids['A canteen']}/amend")
    assert 'value="A canteen"' in form and f'value="{html.escape(hotels)}"' in form
    # the amend link only where the member may amend: m2 (west, bakery) not the east's bread
    others = get(m2, f"/rounds/{rid}/proposals")
    assert f"/proposals/{ids['Bread for all']}/amend" not in others
    assert f"/proposals/{ids['Our hours']}/amend" in others  # the bakery's: hers
    not_hers = get(m2, f"/proposals/{ids['Bread for all']}/amend", status=403)
    assert "only its members amend it" in alert(not_hers)
    assert rounds.amendable(db, int(rid), member="m2") == {ids["Our hours"]}
    post(
        m0,
        f"/proposals/{ids['A canteen']}/amend",
        {"title": "A bigger canteen", "amounts": "I = 2"},
    )
    post(m1, f"/proposals/{ids['Night clinic']}/withdraw", {})
    now = words(get(m0, f"/rounds/{rid}/proposals"))
    assert "A bigger canteen" in now and "Night clinic" not in now
    assert t("proposals.all", count=3) in now
    refused = post(m2, f"/proposals/{ids['Bread for all']}/withdraw", {}, status=403)
    assert "not a member of the council" in alert(refused.text)

    # the draft: what it means for m0 and for everyone
    assert t("plan.no_draft") in words(get(m0, f"/rounds/{rid}/plan"))
    post(ada, f"/facilitate/rounds/{rid}/draft", {})
    with db.transaction() as s:  # the cost checked before filing is the one the draft records
        canteen_now = s.execute(select(Proposal).filter_by(title="A bigger canteen")).scalar_one()
        assert canteen_now.labour_cost == pytest.approx(2 * costed)  # as checked, for 2
        (draft_id,) = s.execute(select(Draft.id).where(Draft.round_id == int(rid))).scalars()
    plan_page = get(m0, f"/rounds/{rid}/plan")
    seen = words(plan_page)
    view = rounds.member_view(db, int(rid), member="m0")
    assert view.hours_per_year is not None and view.hours_proposed == 1500
    (draft,) = compare_plans(db, "m0", [draft_id])
    tr = text.Translator("en")
    week = t(
        "plan.your_week",
        plan=t("plan.name.draft"),
        work=per_week(tr, draft.hours_per_week),
        free=per_week(tr, draft.free_per_week),
    )
    assert week in seen  # her hours and free time
    year = number(float(round(draft.hours_per_week * 52)))
    assert t("plan.your_year", hours=year, offered="1,500") in seen
    lam = embodied(economy)  # only labour binds: each price is the hours a unit embodies
    assert view.prices_in_hours and len(view.prices) == 5
    for code, price in view.prices.items():  # the dearest, by name, in hours per unit
        name = economy.label(economy.product_index(code))
        assert price == pytest.approx(lam[economy.product_index(code)], rel=1e-6)
        assert t("plan.dear", name=name, price=number(price), unit=unit) in seen
    assert f"per {unit}" in seen and t("plan.scarce") in seen
    assert view.fulfilment is not None
    got = number(2 * view.fulfilment)
    assert t("plan.gets", name=food, planned=got, asked="2", unit=unit) in seen
    shares = rounds.what_we_get(db, int(rid), member="m0")  # per person, against today
    assert shares.council is not None and shares.unit == "SEK"
    assert t("plan.person.title", council=shares.council) in seen
    bread = next(row for row in shares.rows if row.product == "C10T12")
    assert bread.today is not None and bread.planned < bread.asked
    sek = {
        v: t("num.qty", value=number(round(v)), unit="SEK") for v in (bread.today, bread.planned)
    }
    change = text.Translator("en").number(bread.planned / bread.today - 1, "+.0%")
    draft_name = t("plan.name.draft")
    said = t("plan.person.against", today=sek[bread.today], plan=draft_name,
             amount=sek[bread.planned], change=change)  # fmt: skip
    assert f"{economy.names[economy.product_index('C10T12')]} {said}" in seen
    assert not re.search(r"plan \d", seen)  # plans by what they are, not by id
    listed_now = words(get(m0, f"/rounds/{rid}/proposals"))
    assert not SCIENTIFIC.search(seen) and not SCIENTIFIC.search(listed_now)
    summary = board.plan_summary(db, draft_id)
    assert t("num.percent", value=summary.fulfilment) in seen
    assert t("plan.fulfilment") in seen and "Bread for all" in seen
    assert t("plan.binding.cap", name=t("resource.labour")) in seen
    for key in ("fulfilment", "caps", "flows"):
        figure = re.search(rf'id="figure-{key}">(.*?)</script>', plan_page, re.S)
        assert figure is not None, key
        assert json.loads(figure[1])["data"], key
    assert f'data-plotly="{pages.PLOTLY_JS}"' in plan_page

    # the vote: m0 casts, m1 cannot without the CSRF token
    asked = words(post(ada, f"/facilitate/rounds/{rid}/vote", {}, status=200).text)
    assert t("confirm.vote", number=1, federation=FEDERATION) in asked  # asked, not done
    assert t("vote.not_open") in words(get(m0, f"/rounds/{rid}/vote"))
    post(ada, f"/facilitate/rounds/{rid}/vote", {"confirm": "yes"})
    assert t("home.ask.vote") in words(get(m0, "/"))
    ballot = get(m0, f"/rounds/{rid}/vote")
    hidden = fields(ballot)
    budget, ratify = hidden["question"]
    canteen = re.search(rf'name="q{budget}" value="(\d+)"', ballot)
    assert canteen is not None and "A bigger canteen" in words(ballot)
    assert t("vote.ratify.abstain") in words(ballot)
    cast = m0.post(
        f"/rounds/{rid}/vote",
        data={**hidden, f"q{budget}": [canteen[1]], f"q{ratify}": "yes"},
    )
    assert cast.status_code == 201, words(cast.text)
    receipt = re.search(r'id="receipt-code"[^>]*>([^<]+)<', cast.text)
    assert receipt is not None and receipt[1] == hidden["receipt"][0]
    assert t("receipt.your_code") in words(cast.text) and t("receipt.keep") in words(cast.text)
    assert cast.headers["Cache-Control"] == "no-store"
    again = m0.post(  # the same form again (a double click): a second ballot, refused as any
        f"/rounds/{rid}/vote",
        data={**hidden, f"q{budget}": [canteen[1]], f"q{ratify}": "yes"},
    )
    assert again.status_code == 409 and "m0" in alert(again.text) and "already" in alert(again.text)
    assert t("home.ask.voted") in words(get(m0, "/"))

    m1_ballot = get(m1, f"/rounds/{rid}/vote")
    m1_fields = {**fields(m1_ballot), f"q{ratify}": "no"}
    del m1_fields["csrf_token"]
    no_token = m1.post(f"/rounds/{rid}/vote", data=m1_fields)
    assert no_token.status_code == 403 and alert(no_token.text).startswith(t("error.csrf"))
    missing = m1.post(f"/rounds/{rid}/vote", data={**fields(m1_ballot), f"q{budget}": [canteen[1]]})
    assert missing.status_code == 422 and t("vote.ratify.missing") in alert(missing.text)
    assert "checked" in missing.text  # the ticks are kept
    wrong = {**fields(m1_ballot), f"q{budget}": [canteen[1]], f"q{ratify}": "maybe"}
    refused = m1.post(f"/rounds/{rid}/vote", data=wrong)
    assert refused.status_code == 409 and t("error.ballot_refused") in alert(refused.text)
    assert f'name="q{budget}"' in get(m1, f"/rounds/{rid}/vote")  # all boxes or none: not cast

    # the facilitator closes; a ballot after close is refused, on the page
    post(ada, f"/facilitate/rounds/{rid}/close", {"confirm": "yes"})
    late = m1.post(f"/rounds/{rid}/vote", data={**fields(m1_ballot), f"q{ratify}": "no"})
    assert late.status_code == 409
    assert (
        alert(late.text)
        == f"{t('error.ballot_refused')} question {budget} is closed; no more ballots"
    )
    assert t("vote.closed") in words(get(m1, f"/rounds/{rid}/vote"))

    # the result, the history, and m0's ballot found by its receipt
    result = words(get(m0, f"/rounds/{rid}/result"))
    assert not SCIENTIFIC.search(result)
    outcome = rounds_outcome(db, int(rid))
    assert (t("result.ratified") if outcome["ratified"] else t("result.failed")) in result
    assert results.count_said(outcome["results"]["ratify"]["reason"]) in result
    assert "Why: ratified" not in result
    why = outcome["results"]["budget"]["why"]  # each collective proposal, funded or why not
    with db.transaction() as s:
        titles = {str(p.id): p.title for p in s.query(Proposal).filter_by(kind="collective")}
    assert t("result.why") in result and why
    for p, w in why.items():
        said = "funded" if w["funded"] else "not funded"
        assert f"{titles[p]}: {said}" in result, (p, w)
    assert t("result.final_plan") in result
    final = board.plan_summary(db, outcome["plan"])
    (under_final,) = compare_plans(db, "m0", [outcome["plan"]])
    week = t(
        "plan.your_week",
        plan=t("plan.name.final"),
        work=per_week(tr, under_final.hours_per_week),
        free=per_week(tr, under_final.free_per_week),
    )
    assert week in result  # what the final plan means for her
    assert t("num.percent", value=final.fulfilment) in result
    with db.transaction() as s:  # the log head at close, for members to keep
        head = audit.round_head(s, int(rid))
    assert head is not None and t("result.head", sha=head.sha256, seq=head.seq) in result
    history = words(get(m2, "/history"))
    assert t("history.round", number=1) in history
    found = words(post(m0, "/board/find", {"receipt": receipt[1]}, status=200).text)
    assert t("find.found", receipt=receipt[1]) in found
    assert t("find.ratify", vote=t("vote.ratify.yes")) in found
    assert t("find.approve", titles="A bigger canteen") in found
    nothing = post(m0, "/board/find", {"receipt": "NOPE-NOPE"}, status=404).text
    assert "no ballot with receipt 'NOPE-NOPE'" in alert(nothing)


def test_the_draft_and_its_alternatives_as_a_member_reads_them(site: FastAPI) -> None:
    """The plan page names the plans by what they are and gives a member's hours and free time
    under each; capacities read "at most" with their unit; a member with no workplace is told
    the plan asks no hours of them; no number in scientific notation."""
    db, fed = site.state.db, site.state.federation
    rid = rounds.open_round(db, fed, actor="ada")
    east = {"council": "Riverside east", "actor": "m0"}
    rounds.file_proposal(db, rid, kind="target", title="Bread", amounts={"C10T12": 2}, **east)
    rounds.file_proposal(db, rid, kind="collective", title="Sauna", amounts={"R93": 0.5}, **east)
    clinic = {"council": "Riverside clinic", "actor": "m1"}
    rounds.file_proposal(db, rid, kind="hours", title="Clinic hours", hours=1200, **clinic)
    rounds.file_proposal(db, rid, kind="capacity", title="Beds", amounts={"Q86": 40}, **clinic)
    economy = demo_economy()
    unit, health = economy.units["output"], economy.label(economy.product_index("Q86"))
    listed = words(get(sign_in(site, "m2"), f"/rounds/{rid}/proposals"))
    assert t("proposal.capacity_amount", name=health, amount="40", unit=unit) in listed
    assert t("proposal.hours_value", hours="1,200") in listed
    draft = rounds.compute_draft(db, rid, actor="ada")
    more_free = rounds.compute_alternative(
        db, rid, title="more free time", caps={"co2": "50%"}, actor="ada"
    )
    m1 = sign_in(site, "m1")
    page = words(get(m1, f"/rounds/{rid}/plan"))
    tr = text.Translator("en")
    assert t("plan.for_you", plan=t("plan.name.draft")) in page  # the draft, not the alternative
    named = t("plan.name.alternative", number=1, title="more free time")
    under = dict(zip((draft, more_free), compare_plans(db, "m1", [draft, more_free]), strict=True))
    for plan, name in ((draft, t("plan.name.draft")), (more_free, named)):
        hours = under[plan]
        work, free = per_week(tr, hours.hours_per_week), per_week(tr, hours.free_per_week)
        assert t("plan.compare.row", plan=name, work=work, free=free) in page
        assert 0 < hours.hours_per_week < hours.hours_per_week + hours.free_per_week == 112
    year = number(float(round(under[draft].hours_per_week * 52)))
    assert t("plan.your_year", hours=year, offered="1,200") in page  # of what her council offered
    assert not SCIENTIFIC.search(page) and not re.search(r"plan \d", page)
    summary = board.plan_summary(db, draft)
    assert total_hours(tr, summary.hours_offered) in page  # as the draft's, not the alternative's
    ada = words(get(sign_in(site, "ada"), f"/rounds/{rid}/plan"))
    assert t("plan.no_work_council") in ada and t("plan.compare") not in ada


def test_totals_of_hours_in_millions() -> None:
    tr = text.Translator("en")
    assert total_hours(tr, 6200.4) == t("num.hours_total", value="6,200")
    assert total_hours(tr, 12_345_678_901.0) == t("num.million_hours", value="12,345.7")
    assert [number(v) for v in (0.000012, 4450.0, 0.5996, 1234.5, 0.0)] == [
        "0.000012",
        "4,450",
        "0.6",
        "1,234.5",
        "0",
    ]


def rounds_outcome(db: Any, round_id: int) -> dict[str, Any]:
    from commonplan.store.models import Round

    with db.transaction() as s:
        r = s.get(Round, round_id)
        assert r is not None and r.outcome is not None
        return dict(r.outcome)


def test_consent_and_ranked_ballots(database_url: str) -> None:
    """A round that ratifies by consent, with an alternative draft to rank against the draft."""
    app = create_app(database_url, settings=Settings())
    try:
        db = app.state.db
        fed = create_federation(db, {**commune("Hillside"), "rounds": {"ratification": "consent"}})
        add_members(
            db,
            [
                {"handle": "ada", "role": "facilitator"},
                {
                    "handle": "h0",
                    "workers_council": "Hillside bakery",
                    "consumers_council": "Hillside east",
                },
            ],
        )
        auth.add_staff(db, "ada", fed)
        for handle in ("ada", "h0"):
            auth.set_password(db, handle, password(handle))
        rid = rounds.open_round(db, fed, actor="ada")
        rounds.file_proposal(
            db,
            rid,
            actor="h0",
            council="Hillside east",
            kind="target",
            title="Bread",
            amounts={"C10T12": 1},
        )
        rounds.compute_draft(db, rid, actor="ada")
        rounds.compute_alternative(db, rid, title="Less CO2", caps={"co2": "60%"}, actor="ada")
        ada, h0 = sign_in(app, "ada"), sign_in(app, "h0")
        post(ada, f"/facilitate/rounds/{rid}/vote", {"confirm": "yes"})

        ballot = get(h0, f"/rounds/{rid}/vote")
        seen = words(ballot)
        for key in ("vote.consent.title", "vote.consent.object", "vote.ranked.title"):
            assert t(key) in seen
        assert t("vote.budget.none") in seen
        hidden = fields(ballot)
        _, consent, ranked = hidden["question"]
        assert f'name="q{ranked}_rank2"' in ballot and "Less CO2" in seen
        alternative = re.search(r'<option value="(\d+)"[^>]*>Less CO2</option>', ballot)
        assert alternative is not None
        choice = {f"q{consent}": "object", f"q{ranked}_rank1": alternative[1]}
        unreasoned = h0.post(f"/rounds/{rid}/vote", data={**hidden, **choice})
        assert unreasoned.status_code == 422
        assert t("vote.consent.reason_needed") in alert(unreasoned.text)
        twice = h0.post(
            f"/rounds/{rid}/vote",
            data={
                **hidden,
                **choice,
                f"q{consent}_reason": "too little bread",
                f"q{ranked}_rank2": alternative[1],
            },
        )
        assert twice.status_code == 409 and "at most once" in alert(twice.text)
        assert "too little bread" in twice.text  # the reason is kept
        cast = h0.post(
            f"/rounds/{rid}/vote",
            data={
                **hidden,
                **choice,
                f"q{consent}_reason": "too little bread",
                f"q{ranked}_rank2": "draft",
            },
        )
        assert cast.status_code == 201, words(cast.text)
        receipt = hidden["receipt"][0]
        post(ada, f"/facilitate/rounds/{rid}/close", {"confirm": "yes"})

        result = words(get(h0, f"/rounds/{rid}/result"))
        assert t("result.failed") in result and "too little bread" in result
        assert t("result.winner", winner="Less CO2") in result
        found = words(post(h0, "/board/find", {"receipt": receipt}, status=200).text)
        assert t("find.object", reason="too little bread") in found
        assert t("find.ranking", ranking="Less CO2 > " + t("vote.ranked.draft")) in found
        assert t("find.approve_none") in found
    finally:
        app.state.db.dispose()


# ---------------------------------------------------------------------- facilitators


def test_members_get_403_on_facilitator_pages(site: FastAPI) -> None:
    m0 = sign_in(site, "m0")
    fed = site.state.federation
    r = m0.get("/facilitate")
    assert r.status_code == 403
    assert alert(r.text).startswith(t("error.forbidden")) and "not a facilitator" in r.text
    for url, data in (
        (f"/facilitate/federations/{fed}/rounds", {}),
        ("/facilitate/federations", {"description": "name: X"}),
        ("/facilitate/rounds/1/draft", {}),
        ("/facilitate/invitations", {"handle": "m1"}),
    ):
        assert post(m0, url, data, status=403).text.count(t("error.forbidden")) >= 1
    assert t("nav.facilitate") not in words(get(m0, "/"))
    add_members(site.state.db, [{"handle": "bo", "name": "Bo", "role": "facilitator"}])
    auth.set_password(site.state.db, "bo", password("bo"))
    alone = get(sign_in(site, "bo"), "/")  # a facilitator who serves no federation yet
    assert t("home.no_federation") in words(alone) and 'href="/facilitate"' in alone


def test_facilitator_sets_up_a_federation_from_yaml_and_csv(site: FastAPI) -> None:
    ada = sign_in(site, "ada")
    bad = post(ada, "/facilitate/federations", {"description": "name: [unclosed"}, status=422)
    assert alert(bad.text).startswith(t("error.plan_input"))
    assert "name: [unclosed" in bad.text  # the pasted text is kept
    empty = post(ada, "/facilitate/federations", {"description": "  "}, status=422)
    assert t("facilitate.federation.empty") in alert(empty.text)
    odd = post(ada, "/facilitate/federations", {"description": "Hill: {councils: 1}"}, status=422)
    assert "Hill" in alert(odd.text)

    yaml_text = Path(__file__).parents[1].joinpath("examples", "federation.yaml").read_text()
    r = post(
        ada,
        "/facilitate/federations",
        {"description": ""},
        files={"upload": ("federation.yaml", yaml_text.encode(), "text/yaml")},
    )
    assert r.headers["location"] == "/facilitate?done=federation_created"
    page = get(ada, r.headers["location"])
    assert t("done.federation_created") in words(page) and "Nordic federation" in words(page)
    nordic = re.search(r'<h2 id="served-(\d+)">Nordic federation</h2>', page)
    assert nordic is not None
    csv = "handle,name,workers_council,consumers_council\nn1,Nils,North dairy,North neighbourhood\n"
    r = post(
        ada,
        f"/facilitate/federations/{nordic[1]}/members",
        {},
        files={"upload": ("members.csv", csv.encode(), "text/csv")},
    )
    assert r.headers["location"] == "/facilitate?done=members_added"
    wrong = "handle,name,workers_council\nn2,Nora,Nowhere\n"
    refused = post(
        ada,
        f"/facilitate/federations/{nordic[1]}/members",
        {},
        files={"upload": ("more.csv", wrong.encode(), "text/csv")},
        status=422,
    )
    assert "no council named 'Nowhere'" in alert(refused.text)
    none = post(ada, f"/facilitate/federations/{nordic[1]}/members", {}, status=422)
    assert t("facilitate.members.none") in alert(none.text)
    closing = post(ada, "/facilitate/rounds/999/close", {"confirm": "yes"}, status=404)
    assert "round" in alert(closing.text)
    step = post(ada, f"/facilitate/rounds/{nordic[1]}/explode", {}, status=404)
    assert t("facilitate.no_step", step="explode") in alert(step.text)


# ---------------------------------------------------------------------- the pages' words


TEXT_ATTRIBUTES = ("aria-label", "placeholder", "title", "alt")


def test_templates_hold_no_words_of_their_own() -> None:
    """Outside ``{{ … }}`` and ``{% … %}`` the templates hold only markup and punctuation; the
    attributes people read (aria-label, placeholder, title, alt) are filled from the catalogue."""
    for path in sorted(TEMPLATES.glob("*.html")):
        source = path.read_text()
        bare = re.sub(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", " ", source, flags=re.S)
        bare = re.sub(r"<script[^>]*>.*?</script>", " ", bare, flags=re.S)
        for attr in TEXT_ATTRIBUTES:
            for value in re.findall(rf'\s{attr}="([^"]*)"', source):
                assert value.startswith("{{") or not re.search(r"[A-Za-z]", value), (path, value)
        between = re.sub(r"<[^>]*>", " ", bare)
        stray = re.findall(r"[A-Za-z][A-Za-z']*", between)
        assert not stray, (path.name, stray[:10])


def test_every_key_the_pages_use_is_in_the_catalogue() -> None:
    sources = [p.read_text() for p in TEMPLATES.glob("*.html")]
    sources += [p.read_text() for p in Path(pages.__file__).parent.glob("*.py")]
    sources.append(Path(charts.__file__).read_text())
    used = set()
    for source in sources:
        used |= set(re.findall(r"""\bt(?:r)?\(\s*["']([a-z_]+(?:\.[a-z0-9_]+)+)["']""", source))
    assert len(used) > 150
    missing = sorted(k for k in used if k not in EN)
    assert not missing, missing
    for key, message in EN.items():  # every message is a valid format string
        assert re.fullmatch(r"[a-z0-9_]+(\.[a-z0-9_]+)+", key), key
        forms = (message.one, message.other) if isinstance(message, text.Plural) else (message,)
        for form in forms:
            list(__import__("string").Formatter().parse(form))


def test_pages_show_catalogue_values(site: FastAPI) -> None:
    c = browser(site)
    page = words(get(c, "/sign-in"))
    for key in ("site.name", "signin.title", "signin.handle", "signin.password", "signin.submit"):
        assert EN[key] in page
    home = words(get(sign_in(site, "ada"), "/"))
    assert t("nav.facilitate") in home and t("home.ask.facilitate") in home
    assert t("home.roles", roles=t("role.member") + ", " + t("role.facilitator")) in home


def test_translator_negotiates_and_falls_back(monkeypatch: pytest.MonkeyPatch) -> None:
    assert text.negotiate("sv-SE, en;q=0.8") == "sv"
    assert text.negotiate("fr;q=0.9, es-MX, en;q=0.1") == "es"
    assert text.negotiate("fr, de;q=0.5") == text.negotiate(None) == text.DEFAULT
    monkeypatch.setitem(text.CATALOGUES, "sv", {"nav.home": "Hem"})  # a catalogue lacking keys
    text.translator.cache_clear()
    try:
        assert text.negotiate("fr;q=0.9, sv-SE") == "sv"
        sv = text.translator("sv")
        assert sv("nav.home") == "Hem" and sv("nav.vote") == EN["nav.vote"]
    finally:
        text.translator.cache_clear()
    with pytest.raises(KeyError, match=r"no message 'no\.such'"):
        t("no.such")


# ---------------------------------------------------------------------- charts, static files


def test_sankey_shows_the_largest_flows() -> None:
    economy = demo_economy()
    activity = {p: 1.0 + k for k, p in enumerate(economy.processes)}
    flows = charts.flows(economy, activity, top=25)
    a = economy.A.toarray() * np.array([activity[p] for p in economy.processes])
    assert len(flows) == 25
    assert flows[0][0] == pytest.approx(a.max())
    assert [f[0] for f in flows] == pytest.approx(sorted(np.sort(a, axis=None)[-25:], reverse=True))
    chart = charts.flows_sankey(text.translator(), economy, activity)
    (trace,) = chart.figure["data"]
    assert trace["type"] == "sankey" and len(trace["link"]["value"]) == 25
    assert "</" not in chart.script_json()


def test_years_chart_takes_one_value_per_year() -> None:
    tr = text.translator()
    chart = charts.years_chart(
        tr, [2026, 2027, 2028], {"labour": [1.0, 2.0, 3.0], "co2": [3.0, 2.0, 1.0]}, title="Years"
    )
    assert [trace["name"] for trace in chart.figure["data"]] == ["labour", "co2"]
    assert len(chart.rows) == 6
    with pytest.raises(ValueError, match="series 'co2' has 2 values for 3 years"):
        charts.years_chart(tr, [1, 2, 3], {"co2": [1.0, 2.0]}, title="Years")


def test_static_files_and_vendored_plotly(site: FastAPI) -> None:
    c = browser(site)
    js = c.get(pages.PLOTLY_JS)
    assert js.status_code == 200 and js.headers["content-type"].startswith("text/javascript")
    assert len(js.content) > 1_000_000 and b"plotly" in js.content[:2000].lower()
    assert "immutable" in js.headers["cache-control"]
    # assets go compressed (a quarter of plotly.js's size on the wire), pages never (BREACH: a
    # page holds its form's token beside text a stranger can choose)
    with c.stream("GET", pages.PLOTLY_JS, headers={"Accept-Encoding": "gzip"}) as raw:
        wire = b"".join(raw.iter_raw())
    assert raw.headers["content-encoding"] == "gzip" and gzip.decompress(wire) == js.content
    assert len(wire) < len(js.content) / 2.5
    assert js.content == (_base.STATIC / "vendor" / "plotly-partial.min.js").read_bytes()
    assert b"sankey" in js.content and b"scattergeo" not in js.content  # the partial bundle
    for path in ("/sign-in", "/api/v1/openapi.json"):
        assert "content-encoding" not in c.get(path, headers={"Accept-Encoding": "gzip"}).headers
    css = c.get("/static/site.css")
    assert css.status_code == 200 and ":focus-visible" in css.text
    missing = c.get("/no/such/page")
    assert missing.status_code == 404 and t("error.not_found") in words(missing.text)
    api = c.get("/api/v1/me")  # the API still answers JSON
    assert api.status_code == 401 and api.json()["error"] == "unauthenticated"
