"""The pages in Swedish and Spanish (commonplan.web.i18n): every message translated with its
fields, the catalogues as extraction leaves them, plural forms by each language's rule, numbers
and dates as Babel writes them, and whole pages — chosen by Accept-Language or by the switch —
that show no message id and no English sentence."""

from __future__ import annotations

import ast
import html
import re
import shutil
import string
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from babel import Locale
from babel.dates import format_date
from babel.messages.pofile import read_po
from babel.numbers import format_decimal, format_percent, parse_decimal
from fastapi import FastAPI
from hypothesis import given, settings
from hypothesis import strategies as st

from commonplan import accounts as auth
from commonplan import errors
from commonplan.web import i18n
from commonplan.web.i18n import LANGUAGES, Plural, Translation, fields_of
from commonplan.web.text import EN, translator
from fixtures import after_the_vote, in_the_vote, leap_reports, small_members

__all__ = ["cheap_hashing"]  # autouse, from api_support
from api_support import cheap_hashing, make_app, password
from page_support import alert, browser, get, post, sign_in, words

OTHERS = tuple(lang for lang in LANGUAGES if lang != "en")
COUNTS = (0, 1, 2, 5, 21, 1_000_000)


def forms_of(message: str | Plural) -> tuple[str, ...]:
    return (message.one, message.other) if isinstance(message, Plural) else (message,)


# ---------------------------------------------------------------------- the catalogues


@pytest.mark.parametrize("lang", OTHERS)
def test_every_message_is_translated_with_its_fields(lang: str) -> None:
    with i18n._path(lang).open("rb") as f:
        catalogue = read_po(f, locale=lang)
    entries = {m.context: m for m in catalogue if m.context and m.context != i18n.ERROR}
    assert set(entries) == set(EN)
    assert not [key for key, m in entries.items() if m.fuzzy]
    done = i18n.translations(lang, EN)
    assert sorted(set(EN) - set(done)) == []
    for key, english in EN.items():
        found = done[key]
        if isinstance(english, Plural):
            assert isinstance(found, tuple) and len(found) == catalogue.num_plurals, key
            # every form names only the English fields; the last (the general) names them all
            for form in found:
                assert fields_of(form) <= fields_of(english.other), (key, form)
            assert fields_of(found[-1]) == fields_of(english.other), (key, found[-1])
        else:
            assert isinstance(found, str) and fields_of(found) == fields_of(english), key
            assert "<" not in found or "<" in english, (key, found)  # no markup of its own


@pytest.mark.parametrize("lang", OTHERS)
def test_every_error_the_library_says_is_translated_with_its_fields(lang: str) -> None:
    with i18n._path(lang).open("rb") as f:
        catalogue = read_po(f, locale=lang)
    entries = {m.id: m for m in catalogue if m.context == i18n.ERROR}
    said = i18n.said_templates()
    assert sorted(entries) == said and len(said) > 150
    assert not [template for template, m in entries.items() if m.fuzzy]
    done = i18n.error_translations(lang)
    assert sorted(done) == said
    for template, found in done.items():
        assert fields_of(found) == fields_of(template), (template, found)
        conversions = {(n, c) for _, n, _, c in string.Formatter().parse(template) if n}
        assert {(n, c) for _, n, _, c in string.Formatter().parse(found) if n} == conversions


PAGE_MODULES = ("rounds", "accounts", "members.py", "federation.py", "voting")
"""What the pages call: every refusal there is said (a template and its fields)."""


def test_every_refusal_of_the_modules_the_pages_call_is_said() -> None:
    root = i18n.SOURCES
    files = [root / m for m in PAGE_MODULES if m.endswith(".py")]
    files += [f for m in PAGE_MODULES if not m.endswith(".py") for f in (root / m).rglob("*.py")]
    raised, unsaid = 0, []
    for path in files:
        tree = ast.parse(path.read_text())
        passed = {  # a message said by the caller: an argument of type Said
            a.arg
            for f in ast.walk(tree)
            if isinstance(f, ast.FunctionDef)
            for a in f.args.args
            if a.annotation is not None and ast.unparse(a.annotation) == "Said"
        }
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call)):
                continue
            made = node.exc.func
            name = made.id if isinstance(made, ast.Name) else getattr(made, "attr", "")
            if not (name in errors.__all__ or ast.unparse(made) == "type(exc)"):
                continue  # not of commonplan's tree (YAML's), or made by a helper: fail(line, …)
            first = node.exc.args[0] if node.exc.args else None
            raised += 1
            if isinstance(first, ast.Name) and first.id in passed:
                continue
            if not (isinstance(first, ast.Call) and ast.unparse(first.func) == "said"):
                unsaid.append(f"{path.relative_to(root)}:{node.lineno}")
    assert unsaid == [] and raised > 150, (raised, unsaid)


TEMPLATES = i18n.said_templates()
FIELD_VALUES = st.one_of(
    st.text(max_size=30),  # names with braces, quotes, any letters
    st.integers(-(10**12), 10**12),
    st.floats(allow_nan=True, allow_infinity=True),
    st.none(),
    st.builds(errors.said, st.sampled_from(["{x}", "no product {x!r}"]), x=st.text(max_size=8)),
)


@settings(max_examples=3000, deadline=None)
@given(template=st.sampled_from(TEMPLATES), values=st.lists(FIELD_VALUES, min_size=8, max_size=8))
def test_a_translated_error_is_written_wherever_the_english_is(
    template: str, values: list[Any]
) -> None:
    """3,000 templates filled with arbitrary names, numbers (NaN, ±∞, 10¹²), nothing and nested
    messages: wherever the English can be written, each language writes it too — a refusal page
    never fails in Swedish or Spanish on a message it shows in English."""
    fields = dict(zip(sorted(fields_of(template)), values, strict=False))
    try:
        message = errors.said(template, **fields)
    except (ValueError, TypeError, KeyError, IndexError):
        return  # the library never says this template with such values
    for lang in LANGUAGES:
        written = translator(lang).said(message)
        assert isinstance(written, str) and written.strip()


def test_an_error_in_the_pages_language_names_its_names_and_writes_its_numbers() -> None:
    from commonplan.errors import NotFoundError, PlanInputError, said
    from commonplan.store.db import THINGS

    scale = PlanInputError(
        said(
            "the amount of {code!r} ({v:.3g} {unit} a year) is out of scale for the economy "
            "{economy!r}: give 0 or an amount between {low:.3g} and {high:.3g}",
            code="C10T12",
            v=1234567.0,
            unit="t",
            economy="Hill",
            low=0.0012,
            high=98765.4,
        )
    )
    assert str(scale) == (
        "the amount of 'C10T12' (1.23e+06 t a year) is out of scale for the economy 'Hill': "
        "give 0 or an amount between 0.0012 and 9.88e+04"
    )
    assert translator("sv").error(scale) == (
        "mängden 'C10T12' (1230000 t per år) är orimlig för ekonomin 'Hill': ange 0 eller en "
        "mängd mellan 0,0012 och 98800"
    )
    assert translator("es").error(scale) == (
        "la cantidad de 'C10T12' (1230000 t al año) está fuera de escala para la economía "
        "'Hill': da 0 o una cantidad entre 0,0012 y 98800"
    )
    # an error within an error, and a thing named by its kind: each in the language too
    missing = NotFoundError(said("no {what} with id {key}", what=THINGS["proposal"], key=7))
    line = NotFoundError(said("line {line}: {exc}", line=2, exc=missing))
    assert str(line) == "line 2: no proposal with id 7"
    assert translator("sv").error(line) == "rad 2: förslag med id 7 finns inte"
    assert translator("es").error(line) == "línea 2: no existe propuesta con id 7"
    # a template no catalogue has, and an error not said: as the library says them
    new = NotFoundError(said("no {what} named {name!r}", what=THINGS["council"], name="Hill"))
    assert translator("sv").error(new) == str(new) == "no council named 'Hill'"
    assert translator("es").error(ValueError("plain")) == "plain"


def test_extraction_changes_nothing_in_the_committed_catalogues(tmp_path: Path) -> None:
    copy = tmp_path / "locales"
    shutil.copytree(i18n.LOCALES, copy)
    assert i18n.extract(EN, copy) == []
    for path in copy.rglob("*.po*"):
        assert path.read_bytes() == (i18n.LOCALES / path.relative_to(copy)).read_bytes(), path


def test_a_changed_english_text_falls_back_until_translated_again(tmp_path: Path) -> None:
    copy = tmp_path / "locales"
    shutil.copytree(i18n.LOCALES, copy)
    english: dict[str, Any] = {**EN, "nav.home": "Your home page", "nav.brand_new": "New here"}
    del english["nav.vote"]
    changed = i18n.extract(english, copy)
    assert sorted(p.name for p in changed) == ["messages.po", "messages.po", "messages.pot"]
    for lang in OTHERS:
        with (copy / lang / "LC_MESSAGES" / "messages.po").open("rb") as f:
            entries = {m.context: m for m in read_po(f, locale=lang) if m.context}
        assert entries["nav.home"].fuzzy and entries["nav.home"].id == "Your home page"
        new = entries["nav.brand_new"]  # untranslated, or a near match marked fuzzy
        assert (new.string == "" or new.fuzzy) and "nav.vote" not in entries
        done = i18n.translations(lang, english, copy)
        assert "nav.home" not in done and "nav.brand_new" not in done
        assert done["nav.history"] == i18n.translations(lang, EN)["nav.history"]
    assert i18n.extract(english, copy) == []  # and again: nothing more to do


# ---------------------------------------------------------------------- plurals


@pytest.mark.parametrize("lang", LANGUAGES)
def test_plural_forms_follow_babels_rule(lang: str) -> None:
    rule = Locale.parse(lang).plural_form
    tags = [t for t in ("zero", "one", "two", "few", "many") if t in rule.tags] + ["other"]
    for n in COUNTS:
        assert i18n.plural_index(lang, n) == tags.index(rule(n)), (lang, n)
    assert i18n.plural_index(lang, 1) == 0


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        (
            "en",
            ["0 seconds", "1 second", "2 seconds", "5 seconds", "21 seconds", "1000000 seconds"],
        ),
        (
            "sv",
            [
                "0 sekunder",
                "1 sekund",
                "2 sekunder",
                "5 sekunder",
                "21 sekunder",
                "1000000 sekunder",
            ],
        ),
        (
            "es",
            [
                "0 segundos",
                "1 segundo",
                "2 segundos",
                "5 segundos",
                "21 segundos",
                "1000000 de segundos",
            ],
        ),
    ],
)
def test_a_count_takes_its_plural_form(lang: str, expected: list[str]) -> None:
    tr = translator(lang)
    assert [tr("time.seconds", seconds=n) for n in COUNTS] == expected


def test_one_never_takes_the_plural_in_english() -> None:
    for key, message in EN.items():
        if isinstance(message, Plural) and message.one != message.other:
            fields = {f: 0.5 for f in fields_of(message.other)} | {message.field: 1}
            one = translator("en")(key, **fields)
            assert not re.search(r"\b1 \w+s\b", one.replace("1 series", "")), one


@pytest.mark.parametrize("lang", OTHERS)
def test_the_form_for_one_is_the_translators_first(lang: str) -> None:
    done = i18n.translations(lang, EN)
    tr = translator(lang)
    for key, message in EN.items():
        if isinstance(message, Plural):
            forms = done[key]
            assert isinstance(forms, tuple)
            for n, form in ((1, forms[0]), (5, forms[-1])):
                fields: dict[str, Any] = {f: 0.5 for f in fields_of(message.other)}
                fields[message.field] = n
                local = {f: i18n.localised(v, tr.locale) for f, v in fields.items()}
                assert tr(key, **fields) == form.format(**local), (key, n)


# ---------------------------------------------------------------------- numbers and dates


@pytest.mark.parametrize(
    ("lang", "hours", "percent", "amount", "small"),
    [
        ("en", "1,234,568 hours", "12.3%", "1,230,000 t", "0.000123 t"),
        ("sv", "1\xa0234\xa0568 timmar", "12,3\xa0%", "1\xa0230\xa0000 t", "0,000123 t"),
        ("es", "1.234.568 horas", "12,3\xa0%", "1.230.000 t", "0,000123 t"),
    ],
)
def test_numbers_as_each_language_writes_them(
    lang: str, hours: str, percent: str, amount: str, small: str
) -> None:
    tr = translator(lang)
    assert tr("num.hours", value=1234567.5) == hours
    assert hours.startswith(format_decimal(1234568, format="#,##0", locale=lang))
    assert tr("num.percent", value=0.1234) == percent
    pattern = Locale.parse(lang).percent_formats[None].pattern.replace("0", "0.0", 1)
    assert percent == format_percent(0.1234, format=pattern, locale=lang)
    assert tr("num.qty", value=tr.number(1234567.5, ",.3g"), unit="t") == amount
    assert tr("num.qty", value=tr.number(0.000123456, ",.3g"), unit="t") == small
    assert tr.number(1234.5) == format_decimal(1234.5, locale=lang)  # no spec: as people read
    assert tr.number(2030) == format_decimal(2030, locale=lang)  # asked for: grouped
    assert tr("history.round", number=2030).endswith(" 2030")  # a field: as written


@pytest.mark.parametrize("lang", LANGUAGES)
def test_significant_digits_are_written_out_never_in_scientific_notation(lang: str) -> None:
    tr = translator(lang)
    for exponent in range(-9, 16):
        for mantissa in (1.0, 1.23456, 9.9951, -4.5678):
            value = mantissa * 10.0**exponent
            shown = tr.number(value, ",.3g")
            assert not re.search(r"[eE]", shown), shown
            back = float(parse_decimal(shown, locale=lang))
            assert back == pytest.approx(float(f"{value:.3g}"), rel=1e-9), (value, shown)


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("en", "Dec 8, 2026 06:48 UTC"),
        ("sv", "8 dec. 2026 06:48 UTC"),
        ("es", "8 dic 2026 06:48 UTC"),
    ],
)
def test_dates_in_the_language_and_in_utc(lang: str, expected: str) -> None:
    at = datetime(2026, 12, 8, 6, 48, tzinfo=UTC)
    tr = translator(lang)
    assert tr.date(at) == expected == f"{format_date(at, 'medium', locale=lang)} 06:48 UTC"
    assert tr.date(at.astimezone(timezone(timedelta(hours=2)))) == expected  # said in UTC
    assert tr("alert.overdue", at=at) == translator(lang)("alert.overdue", at=expected)


@pytest.mark.parametrize(
    ("lang", "typed", "value"),
    [
        ("en", "1,200", 1200),
        ("en", "7.5", 7.5),
        ("sv", "7,5", 7.5),
        ("sv", "1 200", 1200),
        ("sv", "1\xa0200,5", 1200.5),
        ("es", "1.200,5", 1200.5),
        ("es", "7,5", 7.5),
    ],
)
def test_numbers_typed_as_the_language_writes_them(lang: str, typed: str, value: float) -> None:
    assert translator(lang).parse_number(typed) == value


@settings(max_examples=3000, deadline=None)
@given(
    st.sampled_from(sorted(LANGUAGES)),
    st.one_of(
        st.integers(-(10**12), 10**12).map(float),
        st.floats(-1e12, 1e12, allow_nan=False, allow_infinity=False),
    ),
    st.sampled_from([",.2f", ",.0f", ".6f", ",.3f", ""]),
)
def test_a_number_written_by_a_page_reads_back_as_typed(lang: str, value: float, spec: str) -> None:
    """What a page writes (grouped or not, any decimals) a member may type back: the parser
    reads it as the number written, in every language; text that is no number is refused with
    ValueError only."""
    tr = translator(lang)
    shown = tr.number(value, spec)
    decimals = {",.2f": 2, ",.0f": 0, ".6f": 6, ",.3f": 3}.get(spec)
    if decimals is None:  # as people read it: 2 decimals at most, 3 significant digits below 1
        slack = max(0.005, abs(value) * 5e-3)
    else:
        slack = 0.5 * 10.0**-decimals
    assert abs(tr.parse_number(shown) - value) <= slack * (1 + 1e-9) + abs(value) * 1e-15


@settings(max_examples=2000, deadline=None)
@given(st.sampled_from(sorted(LANGUAGES)), st.text(max_size=30))
def test_any_text_typed_as_a_number_is_read_or_refused(lang: str, typed: str) -> None:
    try:
        got = translator(lang).parse_number(typed)
    except ValueError:
        return
    assert isinstance(got, float)


def test_a_number_that_is_none_is_refused() -> None:
    with pytest.raises(ValueError):
        translator("sv").parse_number("lots")


def test_a_proposal_typed_in_swedish_reaches_the_api_as_numbers() -> None:
    from commonplan.web.pages.rounds import Codes, ProposalForm

    form = ProposalForm("Bröd", "C10T12 = 2,5\nA01: 1200,75\nI = mycket", "1 500", (), "file")
    names = Codes([], [], "t")  # no rows picked by name: the pasted lines only
    assert form.fields(translator("sv"), names, "target") == {
        "title": "Bröd",
        "amounts": {"C10T12": "2.5", "A01": "1200.75", "I": "mycket"},  # the API names "mycket"
        "hours": "1500.0",
    }
    english = form.fields(translator("en"), names, "target")
    assert english["amounts"]["C10T12"] == "2,5"  # English: not a number


# ---------------------------------------------------------------------- the pages


@pytest.fixture
def site(database_url: str) -> Iterator[tuple[FastAPI, dict[str, int]]]:
    """Federation A after its vote (reports, alerts, hours, the dashboard) and federation B in
    its vote (proposals, the draft with its charts, the ballot)."""
    from commonplan import accounts

    app = make_app(database_url)
    db = app.state.db
    made = after_the_vote(db, "A", password)
    leap_reports(db, made["round"], "A")
    _, made["voting"], _ = in_the_vote(db, "B")
    for m in small_members("B"):
        accounts.set_password(db, m["handle"], password(m["handle"]))
    yield app, made
    db.dispose()


def pages_of(made: dict[str, int]) -> dict[str, list[str]]:
    """Who visits which pages."""
    rid, vid = made["round"], made["voting"]
    running = ["/", "/alerts", f"/rounds/{rid}/reports?period=2027-01", f"/rounds/{rid}/hours"]
    running += [f"/rounds/{rid}/reports/file", f"/rounds/{rid}/workplace/hours"]
    running += [f"/rounds/{rid}/dashboard", "/board/find", "/account/password"]
    voting = ["/", "/history", f"/rounds/{vid}/proposals", f"/rounds/{vid}/plan"]
    voting += [f"/rounds/{vid}/vote", f"/rounds/{vid}/result"]
    return {"farmerA": running, "neighbourB": voting, "facilitatorB": ["/", "/facilitate"]}


def english_only(lang: str) -> dict[str, str]:
    """The English runs of words (4 or more, between fields and punctuation) that ``lang``
    translates, of the pages' messages and the library's errors: none may show on a page in
    ``lang``."""
    done = i18n.translations(lang, EN)
    errors = i18n.error_translations(lang)
    runs = {}
    messages: list[tuple[str, str | Plural, Translation]] = [
        (key, english, done.get(key, "")) for key, english in EN.items()
    ]
    messages += [(i18n.ERROR, said, errors.get(said, "")) for said in i18n.said_templates()]
    for key, english, found in messages:  # (none found: the page would show the English)
        translated = " ".join(found if isinstance(found, tuple) else (found,))
        for form in forms_of(english):
            for literal in re.split(r"\{[^{}]*\}|[.,:;()?!“”—]", form):
                literal = literal.strip()
                if len(literal.split()) >= 4 and literal not in translated:
                    runs[literal] = key
    return runs


def seen(page: str) -> str:
    """What a reader sees or hears: the words, and the labels read out (aria-label, title,
    placeholder, alt)."""
    labels = re.findall(r'\s(?:aria-label|title|placeholder|alt)="([^"]*)"', page)
    return words(page) + " " + " ".join(html.unescape(v) for v in labels)


def check_in(page: str, lang: str, url: str) -> None:
    assert f'<html lang="{lang}">' in page, url
    shown = seen(page)
    ids = [m for m in re.findall(r"\b[a-z_]+(?:\.[a-z0-9_]+)+\b", shown) if m in EN]
    assert not ids, (url, ids)
    leaks = [(run, key) for run, key in english_only(lang).items() if run in shown]
    leaks += [(n, "unit.hours") for n in re.findall(r"\d hours\b(?! per unit)", shown)]  # a unit
    assert not leaks, (url, lang, leaks[:5])
    assert f'lang="{lang}" hreflang="{lang}" aria-current="true"' in page, url


@pytest.mark.parametrize("lang", OTHERS)
def test_pages_by_accept_language_show_no_id_and_no_english(
    site: tuple[FastAPI, dict[str, int]], lang: str
) -> None:
    app, made = site
    sign = browser(app)
    sign.headers["Accept-Language"] = f"{lang}-XX, en;q=0.5"
    check_in(get(sign, "/sign-in"), lang, "/sign-in")
    tr = translator(lang)
    for handle, urls in pages_of(made).items():
        c = sign_in(app, handle)
        c.headers["Accept-Language"] = f"{lang}, en;q=0.5"
        for url in urls:
            check_in(get(c, url), lang, url)
        if handle == "farmerA":
            home = words(get(c, "/"))
            assert tr("nav.home") in home and tr("home.ask.ledger") in home
        if handle == "neighbourB":
            page = get(c, f"/rounds/{made['voting']}/plan")
            plan = words(page)
            assert tr("chart.fulfilment.title") in plan
            assert tr("plan.for_you", plan=tr("plan.name.draft")) in plan
            separators = {"sv": ",\\u00a0", "es": ",."}[lang]  # plotly's, in the figures' JSON
            assert page.count(f'"separators":"{separators}"') == 3


def test_the_switch_sets_the_language_and_wins_over_the_browser(
    site: tuple[FastAPI, dict[str, int]],
) -> None:
    app, made = site
    c = sign_in(app, "farmerA")
    c.headers["Accept-Language"] = "sv"
    hours = f"/rounds/{made['round']}/hours"
    page = get(c, hours)
    check_in(page, "sv", hours)
    link = re.search(r'<a href="([^"]+)" lang="es"', page)
    assert link is not None
    switched = c.get(html.unescape(link[1]))
    assert switched.status_code == 303 and switched.headers["location"] == hours
    cookie = switched.headers["set-cookie"]
    assert "commonplan_lang=es" in cookie and "SameSite=lax" in cookie
    assert "Max-Age=31536000" in cookie  # kept a year
    check_in(get(c, hours), "es", hours)  # the cookie wins over Accept-Language: sv
    assert translator("es")("hours.title", number=made["round"]) in words(get(c, hours))
    away = c.get("/language/sv", params={"back": "//elsewhere.example/x"})
    assert away.status_code == 303 and away.headers["location"] == "/"
    check_in(get(c, "/"), "sv", "/")
    assert c.get("/language/xx").status_code == 404
    c.cookies.set("commonplan_lang", "xx")  # a cookie naming no language: the browser's
    check_in(get(c, "/"), "sv", "/")


@pytest.mark.parametrize("lang", OTHERS)
def test_a_refusal_shows_the_librarys_words_in_the_pages_language(
    site: tuple[FastAPI, dict[str, int]], lang: str
) -> None:
    """What the library refused, as a form's error and as an error page, in the page's
    language: for a member (a withdrawal after the vote opened), a facilitator (an invitation
    for nobody) and anyone (a round that does not exist)."""
    from sqlalchemy import select

    from commonplan import rounds
    from commonplan.store.db import get as get_row
    from commonplan.store.models import Member, Proposal, Round

    app, made = site
    db, vid, tr = app.state.db, made["voting"], translator(lang)

    def library(step: Any) -> errors.CommonplanError:
        with pytest.raises(errors.CommonplanError) as refused:
            step()
        assert tr.error(refused.value) != str(refused.value)  # translated, not the English
        return refused.value

    def shown(page: str, refused: errors.CommonplanError, url: str) -> None:
        check_in(page, lang, url)  # and no English run of the library's templates either
        assert tr.error(refused) in words(page) and str(refused) not in words(page)

    member = sign_in(app, "neighbourB")
    member.headers["Accept-Language"] = lang
    with db.transaction() as s:
        mine = s.execute(select(Proposal.id).where(Proposal.round_id == vid)).scalars().first()
    late = library(lambda: rounds.withdraw_proposal(db, mine, actor="neighbourB"))
    assert isinstance(late, errors.PhaseError)
    page = post(member, f"/proposals/{mine}/withdraw", {}, status=409).text
    shown(page, late, "withdraw")
    assert tr.error(late) in alert(page)

    facilitator = sign_in(app, "facilitatorB")
    facilitator.headers["Accept-Language"] = lang
    with db.transaction() as s:
        staff = s.execute(select(Member).where(Member.handle == "facilitatorB")).scalar_one()
        by = auth.principal(s, staff)
    nobody = library(lambda: auth.invite(db, "nobody", by=by))
    page = post(facilitator, "/facilitate/invitations", {"handle": "nobody"}, status=404).text
    shown(page, nobody, "invitation")

    with db.transaction() as s:
        missing = library(lambda: get_row(s, Round, 987654, "round"))
    shown(get(member, "/rounds/987654/proposals", status=404), missing, "no round")


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("spec", ["", ",.0f", ".3g"])
def test_numbers_beyond_28_digits_are_written(lang: str, spec: str) -> None:
    """Babel rounds in the decimal context (28 digits by default): 10³⁰ used to fail there, and
    a page showing it would have failed with it.  Written out in full, it reads back."""
    tr = translator(lang)
    for value in (1e30, -1.23e300):
        written = tr.number(value, spec)
        assert "e" not in written.lower()
        assert tr.parse_number(written) == pytest.approx(value, rel=1e-3)
