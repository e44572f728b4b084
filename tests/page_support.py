"""Helpers for the tests of the pages: a client of one's own, signing in through the form, a
page's text and alert, GET with the accessibility checks, POST with the session's form token.
Test modules import them from here (never from one another)."""

from __future__ import annotations

import html
import re
import warnings
from typing import Any

from fastapi import FastAPI

with warnings.catch_warnings():  # starlette's TestClient would prefer httpx2
    warnings.simplefilter("ignore", DeprecationWarning)
    from fastapi.testclient import TestClient

from api_support import commune, password
from commonplan import accounts as auth
from commonplan.federation import add_members, create_federation
from commonplan.web import Settings, create_app

FEDERATION = "Riverside"


def make_site(url: str, **settings: Any) -> FastAPI:
    """The site with a federation ``Riverside``, facilitator ``ada`` and members m0…m3."""
    app = create_app(url, settings=Settings(**settings))
    db = app.state.db
    fed = create_federation(db, commune(FEDERATION))
    add_members(db, [{"handle": "ada", "name": "Ada", "role": "facilitator"}])
    add_members(
        db,
        [
            {
                "handle": f"m{i}",
                "name": f"Member {i}",
                "workers_council": f"{FEDERATION} {('bakery', 'clinic')[i % 2]}",
                "consumers_council": f"{FEDERATION} {('east', 'west')[i // 2]}",
            }
            for i in range(4)
        ],
    )
    auth.add_staff(db, "ada", fed)
    for handle in ("ada", "m0", "m1", "m2", "m3"):
        auth.set_password(db, handle, password(handle))
    app.state.federation = fed
    return app


def browser(app: FastAPI) -> TestClient:
    """A client of its own (its own cookies), that does not follow redirects."""
    return TestClient(app, follow_redirects=False)


def token(page: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match is not None, page[:2000]
    return match[1]


def words(page: str) -> str:
    """The text a reader sees (scripts and tags dropped, entities decoded, spaces collapsed)."""
    page = re.sub(r"<script.*?</script>", " ", page, flags=re.S)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page))).strip()


def alert(page: str) -> str:
    match = re.search(r'<div[^>]*role="alert"[^>]*>(.*?)</div>', page, re.S)
    assert match is not None, words(page)[:2000]
    return words(match[1])


def sign_in(app: FastAPI, handle: str) -> TestClient:
    c = browser(app)
    form = c.get("/sign-in")
    assert form.status_code == 200
    r = c.post(
        "/sign-in",
        data={
            "handle": handle,
            "password": password(handle),
            "csrf_token": token(form.text),
            "next": "/",
        },
    )
    assert r.status_code == 303 and r.headers["location"] == "/", r.text
    return c


def get(c: TestClient, url: str, status: int = 200) -> str:
    r = c.get(url)
    assert r.status_code == status, (url, r.status_code, words(r.text)[:2000])
    accessible(r.text, url)
    return r.text


def accessible(page: str, url: str) -> None:
    """One h1, a skip link to ``main#main``, no tables, and a label for every field."""
    assert page.count("<h1") == 1 and '<a class="skip" href="#main">' in page, url
    assert '<main id="main"' in page and "<table" not in page, url
    labelled = set(re.findall(r'<label for="([^"]+)"', page))
    for tag in re.findall(r"<(?:input|select|textarea)\b[^>]*>", page):
        if re.search(r'type="(hidden|submit)"', tag):
            continue
        field = re.search(r'id="([^"]+)"', tag)
        assert field is not None and field[1] in labelled, (url, tag)


def post(c: TestClient, url: str, data: dict[str, Any], status: int = 303, **kw: Any) -> Any:
    """POST a form with the CSRF token of the member's session (from their home page)."""
    form = {"csrf_token": token(get(c, "/")), **data}
    r = c.post(url, data=form, **kw)
    assert r.status_code == status, (url, r.status_code, words(r.text)[:2000])
    return r
