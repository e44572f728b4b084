"""The pages for following a round's phases and the facilitators' tools, through TestClient on
SQLite and PostgreSQL: the timeline and the tabs that apply, the live turnout equal to the
participation record, "not yet" said as information, the confirmation before each step that
cannot be undone (a POST without it changes nothing), hiding a proposal (members read no title),
the set-up form, invitations for many with their links, the member list and its filters, errors
in plain words (the engine's words for facilitators only), date fields in UTC, and the receipt's
copy button."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from fastapi import FastAPI
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from api_support import cheap_hashing, password
from commonplan import accounts as auth
from commonplan import rounds
from commonplan.errors import PlanInputError, SolverError
from commonplan.federation import add_members
from commonplan.store import Database
from commonplan.store.models import Federation, Invitation, Participation, Proposal, Question, Round
from commonplan.web.pages import rounds as round_pages
from commonplan.web.pages.federation import SetupForm
from commonplan.web.text import LANGUAGES, Translator, t, translator
from page_support import FEDERATION, alert, browser, get, make_site, post, sign_in, words

__all__ = ["cheap_hashing"]  # autouse, from api_support


@pytest.fixture
def site(database_url: str) -> Iterator[FastAPI]:
    app = make_site(database_url)
    yield app
    app.state.db.dispose()


def tabs(page: str) -> list[str]:
    """The round's tabs on a page (its round navigation's links)."""
    nav = re.search(r'<nav aria-label="This round" class="round-nav">(.*?)</nav>', page, re.S)
    assert nav is not None
    return re.findall(r'href="/rounds/\d+/(\w+)"', nav[1])


def timeline(page: str) -> list[tuple[str, str]]:
    """The timeline's steps: (state, text)."""
    found = re.search(r'<ol class="timeline"[^>]*>(.*?)</ol>', page, re.S)
    assert found is not None
    return [
        (c, words(li)) for c, li in re.findall(r'<li class="(\w+)"[^>]*>(.*?)</li>', found[1], re.S)
    ]


def participations(site: FastAPI, round_id: int) -> int:
    with site.state.db.transaction() as s:
        boxes = select(Question.id).where(Question.round_id == round_id)
        query = select(func.count(func.distinct(Participation.member_id))).where(
            Participation.question_id.in_(boxes)
        )
        return int(s.execute(query).scalar_one())


def phase_of(site: FastAPI, round_id: int) -> str:
    with site.state.db.transaction() as s:
        r = s.get(Round, round_id)
        assert r is not None
        return r.phase


def to_vote(site: FastAPI) -> int:
    """A round with a collective proposal and a draft, its vote open; its id."""
    db, fed = site.state.db, site.state.federation
    rid = rounds.open_round(db, fed, actor="ada")
    east = {"council": f"{FEDERATION} east", "kind": "collective"}
    rounds.file_proposal(db, rid, actor="m0", title="A canteen", amounts={"I": 1}, **east)
    rounds.compute_draft(db, rid, actor="ada")
    rounds.open_vote(db, rid, actor="ada")
    return rid


def test_the_timeline_tabs_and_turnout(site: FastAPI) -> None:
    db, fed = site.state.db, site.state.federation
    ada, m2 = sign_in(site, "ada"), sign_in(site, "m2")
    end = (datetime.now(UTC) + timedelta(days=3)).strftime("%Y-%m-%d %H:%M")
    post(ada, f"/facilitate/federations/{fed}/rounds", {"proposals": end})  # UTC, as written
    with db.transaction() as s:
        rid = s.execute(select(Round.id)).scalar_one()
    page = get(m2, f"/rounds/{rid}/proposals")
    assert tabs(page) == ["proposals"]  # no draft, no vote, no result yet
    steps = timeline(page)
    assert [c for c, _ in steps] == ["current", "later", "later", "later"]
    assert steps[0][1].startswith(t("phase.proposals")) and t("timeline.current") in steps[0][1]
    ends = Translator("en").date(datetime.strptime(end, "%Y-%m-%d %H:%M").replace(tzinfo=UTC))
    assert t("timeline.ends", at=ends) in steps[0][1]  # as the English pages write dates
    assert steps[3][1] == t("timeline.closed") and 'aria-current="step"' in page
    assert 'id="turnout"' not in page
    early = get(m2, f"/rounds/{rid}/result")  # not yet: information, not an error
    assert t("result.not_yet") in words(early) and 'role="alert"' not in early
    assert tabs(early) == ["proposals", "result"]  # the page one is on stays reachable
    not_open = get(m2, f"/rounds/{rid}/vote")
    assert t("vote.not_open") in words(not_open) and 'role="alert"' not in not_open

    _canteen(db, rid)
    post(ada, f"/facilitate/rounds/{rid}/draft", {})
    assert tabs(get(m2, f"/rounds/{rid}/plan")) == ["proposals", "plan"]
    post(ada, f"/facilitate/rounds/{rid}/vote", {"confirm": "yes"})
    page = get(m2, f"/rounds/{rid}/proposals")
    assert tabs(page) == ["proposals", "plan", "vote"]
    steps = timeline(page)
    assert [c for c, _ in steps] == ["done", "done", "current", "later"]
    assert t("timeline.ended", at="") in steps[0][1] and t("timeline.began", at="") in steps[2][1]
    said = words(page)
    assert t("timeline.turnout", voted=0, eligible=4, percent=0.0) in said

    with db.transaction() as s:
        boxes = dict(
            s.execute(select(Question.kind, Question.id).where(Question.round_id == rid)).all()
        )
    for k, handle in enumerate(("m0", "m1", "m3"), start=1):
        rounds.cast_round_ballots(
            db,
            rid,
            member=handle,
            choices={boxes["budget"]: {"approve": []}, boxes["ratify"]: {"vote": "yes"}},
        )
        seen = words(get(m2, f"/rounds/{rid}/plan"))  # each page load counts anew
        n = participations(site, rid)
        assert n == k and t("timeline.turnout", voted=n, eligible=4, percent=100 * n / 4) in seen
    assert "3 of 4 members have voted (75 %)" in seen

    post(ada, f"/facilitate/rounds/{rid}/close", {"confirm": "yes"})
    page = get(m2, f"/rounds/{rid}/result")
    assert tabs(page) == ["proposals", "plan", "vote", "result"]
    steps = timeline(page)
    assert [c for c, _ in steps] == ["done", "done", "done", "current"]
    assert steps[3][1].startswith(t(f"phase.{phase_of(site, rid)}"))


def test_a_receipt_of_an_open_box_is_not_yet_and_the_receipt_copies(site: FastAPI) -> None:
    rid = to_vote(site)
    m0 = sign_in(site, "m0")
    ballot = get(m0, f"/rounds/{rid}/vote")
    hidden = dict(re.findall(r'type="hidden" name="(\w+)" value="([^"]*)"', ballot))
    questions = re.findall(r'name="question" value="(\d+)"', ballot)
    data = {**hidden, "question": questions, f"q{questions[-1]}": "yes"}  # budget, ratify
    cast = m0.post(f"/rounds/{rid}/vote", data=data)
    assert cast.status_code == 201, words(cast.text)
    assert 'class="whole"' in cast.text and 'data-copy="receipt-code"' in cast.text
    assert '<script src="/static/copy.js" defer></script>' in cast.text
    assert m0.get("/static/copy.js").status_code == 200
    found = post(m0, "/board/find", {"receipt": hidden["receipt"].lower()}, status=200).text
    assert t("find.not_yet") in words(found) and 'role="alert"' not in found
    assert not re.search(r"question \d", words(found))


def test_steps_that_cannot_be_undone_ask_first(site: FastAPI) -> None:
    db, fed = site.state.db, site.state.federation
    rid = to_vote(site)
    ada, m2 = sign_in(site, "ada"), sign_in(site, "m2")
    asked = post(ada, f"/facilitate/rounds/{rid}/close", {}, status=200).text
    assert t("confirm.close", number=1, federation=FEDERATION) in words(asked)
    assert 'name="confirm" value="yes"' in asked and 'href="/facilitate" id="back"' in asked
    assert phase_of(site, rid) == "vote"  # asked, nothing done
    with db.transaction() as s:
        boxes = dict(
            s.execute(select(Question.kind, Question.id).where(Question.round_id == rid)).all()
        )
    for handle in ("m0", "m1", "m2"):
        rounds.cast_round_ballots(
            db,
            rid,
            member=handle,
            choices={boxes["budget"]: {"approve": []}, boxes["ratify"]: {"vote": "yes"}},
        )
    post(ada, f"/facilitate/rounds/{rid}/close", {"confirm": "yes"})
    assert phase_of(site, rid) == "ratified"

    page = get(ada, "/facilitate")
    assert f'id="next-period-{fed}"' in page and t("facilitate.next_period") in words(page)
    assert f'id="open-round-{fed}"' not in page  # a new round is refused after ratification
    end = (datetime.now(UTC) + timedelta(days=9)).strftime("%Y-%m-%d %H:%M")
    asked = post(ada, f"/facilitate/federations/{fed}/periods", {"vote": end}, status=200).text
    assert t("confirm.period", federation=FEDERATION) in words(asked)
    assert f'name="vote" value="{end}"' in asked  # the deadlines go with the confirmation
    with db.transaction() as s:
        assert s.execute(select(func.count()).select_from(Round)).scalar_one() == 1
    refused = post(m2, f"/facilitate/federations/{fed}/periods", {"confirm": "yes"}, status=403)
    assert t("error.forbidden") in alert(refused.text)
    done = post(ada, f"/facilitate/federations/{fed}/periods", {"vote": end, "confirm": "yes"})
    assert done.headers["location"] == "/facilitate?done=period_opened"
    with db.transaction() as s:
        new = s.execute(select(Round).where(Round.number == 2)).scalar_one()
        assert (new.period, new.phase) == (2, "proposals")
        assert new.deadlines["vote"].startswith(end.replace(" ", "T"))
    bad = post(ada, f"/facilitate/federations/{fed}/rounds", {"vote": "01/12/2026"}, status=422)
    assert (
        alert(bad.text) == f"{t('error.plan_input')} {t('form.field_date', field=t('field.vote'))}"
    )


def test_a_facilitator_hides_an_abusive_proposal(site: FastAPI) -> None:
    db, fed = site.state.db, site.state.federation
    rid = rounds.open_round(db, fed, actor="ada")
    east = {"council": f"{FEDERATION} east", "kind": "target"}
    slur = rounds.file_proposal(
        db, rid, actor="m0", title="Slur words", amounts={"C10T12": 2}, **east
    )
    ada, m0, m2 = (sign_in(site, h) for h in ("ada", "m0", "m2"))
    url = f"/rounds/{rid}/proposals"
    assert f'id="hide-{slur}"' in get(ada, url) and f'id="hide-{slur}"' not in get(m0, url)
    refused = post(m2, f"/proposals/{slur}/hide", {"reason": "x", "confirm": "yes"}, status=403)
    assert t("error.forbidden") in alert(refused.text)
    unsaid = post(ada, f"/proposals/{slur}/hide", {"reason": " "}, status=422)
    assert t("form.field_required", field=t("field.reason")) in alert(unsaid.text)
    why = "It insults the west council"
    asked = post(ada, f"/proposals/{slur}/hide", {"reason": why}, status=200).text
    said = t("confirm.hide", title="Slur words", council=f"{FEDERATION} east", reason=why)
    assert said in words(asked) and f'href="{url}" id="back"' in asked
    with db.transaction() as s:
        assert not s.get(Proposal, slur).hidden  # type: ignore[union-attr]
    done = post(ada, f"/proposals/{slur}/hide", {"reason": why, "confirm": "yes"})
    assert done.headers["location"] == f"{url}?done=hidden"
    for who in (m2, m0, ada):
        seen = words(get(who, url))
        assert "Slur" not in seen
        assert (
            t("proposal.hidden_why", council=f"{FEDERATION} east", handle="ada", reason=why) in seen
        )
    assert "Slur" not in m2.get(f"/api/v1/rounds/{rid}/proposals?withdrawn=true").text


def test_set_up_by_form(site: FastAPI) -> None:
    ada = sign_in(site, "ada")
    page = get(ada, "/facilitate")
    assert "`" not in words(page) and "commonplan federation create" not in page
    form = {"name": "Hill", "level": "region", "economy": "demo"}
    wrong = post(
        ada, "/facilitate/federations/form", {**form, "councils": "Hill dairy, farmers"}, status=422
    )
    kinds = {"workers": "workers", "consumers": "consumers"}
    assert t("setup.bad_kind", line=1, kind="farmers", **kinds) in alert(wrong.text)
    assert "Hill dairy, farmers" in wrong.text  # the form keeps what was typed
    floors = "C10T12, lots"
    nan = post(
        ada,
        "/facilitate/federations/form",
        {**form, "councils": "Hill dairy, workers", "floors": floors},
        status=422,
    )
    assert (
        alert(nan.text)
        == f"{t('error.plan_input')} {t('form.field_number', field=t('field.per_person'))}"
    )
    assert "Input should be" not in nan.text
    councils = "Hill dairy, workers, C10T12\nHill homes, consumers\n"
    done = post(
        ada,
        "/facilitate/federations/form",
        {**form, "councils": councils, "floors": "C10T12, 0.02"},
    )
    assert done.headers["location"] == "/facilitate?done=federation_created"
    with site.state.db.transaction() as s:
        hill = s.execute(select(Federation).where(Federation.name == "Hill")).scalar_one()
        assert hill.level == "region" and hill.settings["economy"] == "demo"
    tree = ada.get(f"/api/v1/federations/{hill.id}").json()
    assert [(c["name"], c["kind"], c["processes"]) for c in tree["councils"]] == [
        ("Hill dairy", "workers", ["C10T12"]),
        ("Hill homes", "consumers", []),
    ]


@pytest.mark.parametrize(
    ("lang", "workers", "consumers"),
    [("sv", "arbetare", "konsumenter"), ("es", "trabajadores", "consumidores")],
)
def test_set_up_by_form_in_the_pages_language(
    site: FastAPI, lang: str, workers: str, consumers: str
) -> None:
    """The hint names the kinds in the page's words; the form reads them in any case, and the
    other languages' words too; a wrong kind is named with the page's words."""
    tr = translator(lang)
    ada = sign_in(site, "ada")
    ada.headers["Accept-Language"] = lang
    hint = re.search(r'id="setup-councils-hint">([^<]*)<', get(ada, "/facilitate"))
    assert hint is not None
    assert hint[1] == tr("setup.councils_hint", workers=workers, consumers=consumers)
    assert f", {workers}, C10T12" in hint[1] and "workers" not in hint[1]
    form = {"name": f"Hill {lang}", "level": "region", "economy": "demo"}
    wrong = post(
        ada, "/facilitate/federations/form", {**form, "councils": "Hill dairy, farmers"}, status=422
    )
    bad = tr("setup.bad_kind", line=1, kind="farmers", workers=workers, consumers=consumers)
    assert bad in alert(wrong.text)
    councils = (
        f"Hill dairy {lang}, {workers.upper()}, C10T12\n"
        f"Hill homes {lang}, {consumers.capitalize()}\n"
        f"Hill mill {lang}, workers, C10T12\n"  # English, on a page in another language
        f"Hill flats {lang}, {'consumidores' if lang == 'sv' else 'konsumenter'}\n"
    )
    done = post(ada, "/facilitate/federations/form", {**form, "councils": councils})
    assert done.headers["location"] == "/facilitate?done=federation_created"
    with site.state.db.transaction() as s:
        hill = s.execute(select(Federation).where(Federation.name == form["name"])).scalar_one()
    tree = ada.get(f"/api/v1/federations/{hill.id}").json()
    assert [(c["name"], c["kind"]) for c in tree["councils"]] == [
        (f"Hill dairy {lang}", "workers"),
        (f"Hill homes {lang}", "consumers"),
        (f"Hill mill {lang}", "workers"),
        (f"Hill flats {lang}", "consumers"),
    ]


def test_invitations_for_many_and_the_member_list(site: FastAPI) -> None:
    db, fed = site.state.db, site.state.federation
    add_members(
        db, [{"handle": f"new{k}", "consumers_council": f"{FEDERATION} west"} for k in range(3)]
    )
    ada, m2 = sign_in(site, "ada"), sign_in(site, "m2")
    assert m2.get("/facilitate/invitations").status_code == 403
    assert m2.get(f"/facilitate/federations/{fed}/members").status_code == 403
    get(ada, "/facilitate/invitations")
    with db.transaction() as s:
        before = s.execute(select(func.count()).select_from(Invitation)).scalar_one()
    wrong = post(ada, "/facilitate/invitations/many", {"handles": "new0\nm1\n"}, status=409)
    assert "line 2" in alert(wrong.text) and "new0\nm1" in wrong.text
    with db.transaction() as s:  # all or none
        assert s.execute(select(func.count()).select_from(Invitation)).scalar_one() == before
    none = post(ada, "/facilitate/invitations/many", {"handles": " "}, status=422)
    assert t("invite_many.none") in alert(none.text)
    made = post(
        ada,
        "/facilitate/invitations/many",
        {"handles": "new0\n"},
        files={"upload": ("more.csv", b"handle,name\nnew1,New one\n", "text/csv")},
        status=200,
    ).text
    links = re.findall(r'<code id="link-(\d)" class="link"[^>]*>([^<]+)</code>', made)
    assert [k for k, _ in links] == ["1", "2"] and t("invite_many.made", count=2) in words(made)
    assert all(f'data-copy="link-{k}"' in made for k, _ in links)
    token = links[1][1].split("#", 1)[1]
    assert auth.accept_invitation(db, token, password("new1")) == "new1"

    page = get(ada, f"/facilitate/federations/{fed}/members")
    assert t("members.count", count=7) in words(page)  # ada has no council: staff
    shown = words(get(ada, f"/facilitate/federations/{fed}/members?state=not_invited"))
    assert t("members.count", count=1) in shown and "new2" in shown and "new0" not in shown
    invited = words(get(ada, f"/facilitate/federations/{fed}/members?state=invited"))
    assert t("members.count", count=1) in invited and "new0" in invited
    rid = to_vote(site)
    with db.transaction() as s:
        boxes = dict(
            s.execute(select(Question.kind, Question.id).where(Question.round_id == rid)).all()
        )
    for handle in ("m0", "new1"):
        rounds.cast_round_ballots(
            db,
            rid,
            member=handle,
            choices={boxes["budget"]: {"approve": []}, boxes["ratify"]: {"vote": "no"}},
        )
    voted = words(get(ada, f"/facilitate/federations/{fed}/members?state=voted"))
    assert t("members.count", count=participations(site, rid)) in voted
    assert "m0" in voted and "new1" in voted and "m1" not in voted


def test_errors_in_plain_words(site: FastAPI, monkeypatch: pytest.MonkeyPatch) -> None:
    db, fed = site.state.db, site.state.federation
    rid = rounds.open_round(db, fed, actor="ada")
    m0, ada = sign_in(site, "m0"), sign_in(site, "ada")
    typed = post(
        m0,
        f"/rounds/{rid}/proposals",
        {"what": "", "title": "Hours", "hours": "lots"},
        status=422,
    )
    assert "Input should be" not in typed.text
    east = re.search(r"proposals\?what=(\d+)%3Ahours", get(m0, f"/rounds/{rid}/proposals"))
    assert east is not None
    typed = post(
        m0,
        f"/rounds/{rid}/proposals",
        {"what": f"{east[1]}:hours", "title": "Ours", "hours": "lots"},
        status=422,
    )
    assert (
        alert(typed.text)
        == f"{t('error.plan_input')} {t('form.field_number', field=t('field.hours'))}"
    )
    _canteen(db, rid)
    rounds.compute_draft(db, rid, actor="ada")

    def broken(*args: object, **kwargs: object) -> None:
        raise SolverError("HiGHS failed on the master problem: Empty")

    monkeypatch.setattr(round_pages.rounds, "member_view", broken)
    member = m0.get(f"/rounds/{rid}/plan")
    assert member.status_code == 500
    assert alert(member.text).endswith(t("error.plain.solver")) and "HiGHS" not in member.text
    facilitator = ada.get(f"/rounds/{rid}/plan")
    assert t("error.plain.solver") in alert(facilitator.text)
    assert (
        t("error.technical") in facilitator.text
        and "HiGHS failed on the master problem" in facilitator.text
    )
    assert browser(site).get("/static/site.css").status_code == 200


def _canteen(db: Database, rid: int) -> None:
    """m0's street proposes a canteen (a collective proposal: the draft can then be computed)."""
    rounds.file_proposal(
        db,
        rid,
        actor="m0",
        title="A canteen",
        amounts={"I": 1},
        council=f"{FEDERATION} east",
        kind="collective",
    )


TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)
NAME = st.text(
    st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp"), blacklist_characters=","),
    min_size=1,
    max_size=20,
).filter(str.strip)
KIND_TYPED = {  # what a facilitator may type for a kind, in any language of the pages
    "workers": "workers",
    "Consumers": "consumers",
    "worker": "workers",
    "CONSUMER": "consumers",
    "arbetare": "workers",
    "Konsumenter": "consumers",
    "TRABAJADORES": "workers",
    "consumidores": "consumers",
}
KIND = st.sampled_from([*KIND_TYPED, "bosses", "arbetar", "trabajador", ""])
COUNCIL = st.builds(
    lambda n, k, c: f"{n}, {k}, {c}", NAME, KIND, st.sampled_from(["", "C10T12", "A01 Q86"])
)
LINE = st.one_of(TEXT, COUNCIL)


@settings(max_examples=2000, deadline=None)
@given(st.lists(LINE, max_size=6), st.lists(LINE, max_size=4), st.sampled_from(sorted(LANGUAGES)))
def test_the_set_up_form_reads_any_text_or_names_the_line(
    councils: list[str], floors: list[str], lang: str
) -> None:
    """Whatever is typed in the set-up form's boxes: a description with one council per line
    that has a name and a kind (workers or consumers), in order, or a PlanInputError naming
    what is wrong — never anything else."""
    form = SetupForm("Hill", "commune", "demo", "\n".join(councils), "\n".join(floors))
    try:
        made = form.description(Translator(lang))
    except PlanInputError as exc:
        assert str(exc)
        return
    typed = [c.strip() for c in "\n".join(councils).splitlines() if c.strip()]
    assert [c["name"] for c in made["councils"]] == [c.split(",")[0].strip() for c in typed]
    folded = {word.casefold(): kind for word, kind in KIND_TYPED.items()}
    kinds = [folded[c.split(",")[1].strip().casefold()] for c in typed]
    assert [c["kind"] for c in made["councils"]] == kinds
    assert {c["kind"] for c in made["councils"]} <= {"workers", "consumers"}
    assert len(made["floors"]) == len([f for f in "\n".join(floors).splitlines() if f.strip()])


@settings(max_examples=1000, deadline=None)
@given(
    st.lists(
        st.tuples(NAME, st.sampled_from(sorted(KIND_TYPED))),
        min_size=1,
        max_size=6,
    ),
    st.lists(st.tuples(NAME, st.floats(0, 1e6, allow_nan=False)), max_size=3),
    st.sampled_from(sorted(LANGUAGES)),
)
def test_the_set_up_form_keeps_every_council_and_floor_typed(
    councils: list[tuple[str, str]], floors: list[tuple[str, float]], lang: str
) -> None:
    text = "\n".join(f"{n}, {k}, A01" for n, k in councils)
    typed_floors = "\n".join(f"{p}, {v!r}" for p, v in floors)
    made = SetupForm("Hill", "", "demo", text, typed_floors).description(Translator(lang))
    assert made["level"] == "federation"
    assert [(c["name"], c["kind"], c["processes"]) for c in made["councils"]] == [
        (n.strip(), KIND_TYPED[k], ["A01"]) for n, k in councils
    ]
    assert [(f["product"], float(f["per_person"])) for f in made["floors"]] == [
        (p.strip(), v) for p, v in floors
    ]
