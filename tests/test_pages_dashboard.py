"""The dashboard of a running plan through FastAPI's TestClient, on SQLite and PostgreSQL: each
workplace's plan against its reconciled output (a chart per series, served as the other charts
are, its numbers listed under it), the ranked list with the member's own workplace first, the
alerts by level with their age, the floors — and another federation kept out."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi import FastAPI

from commonplan.monitor.status import raise_monitor_alerts, watch_round
from commonplan.web.text import t
from fixtures import after_the_vote, monitored_plan

__all__ = ["cheap_hashing"]  # autouse, from api_support
from api_support import cheap_hashing, make_app, password
from page_support import get, sign_in, words


@pytest.fixture
def site(database_url: str) -> Iterator[tuple[FastAPI, dict[str, Any]]]:
    app = make_app(database_url)
    db = app.state.db
    a = after_the_vote(db, "A", password)
    after_the_vote(db, "B", password)
    activity = monitored_plan(db, a["round"], "A")
    yield app, {"db": db, "A": a, "activity": activity}
    db.dispose()


def _ranked(page: str) -> list[str]:
    part = page.split('id="ranked-heading"', 1)[1].split("</ol>", 1)[0]
    return [words(h) for h in re.findall(r"<h3>(.*?)</h3>", part, re.S)]


def test_the_dashboard_shows_plan_against_actual_own_workplace_first(
    site: tuple[FastAPI, Any],
) -> None:
    app, w = site
    rid, db = w["A"]["round"], w["db"]
    st = watch_round(db, rid, through="2027-05")
    raise_monitor_alerts(db, rid, st, now=datetime.now(UTC))
    farmer, miller = sign_in(app, "farmerA"), sign_in(app, "millerA")

    page = get(miller, f"/rounds/{rid}/dashboard?through=2027-05")
    text = words(page)
    assert t("dashboard.intro", through="2027-05") in text
    assert _ranked(page)[0].startswith("Mill A")  # the miller's own workplace first
    assert t("dashboard.floors_none") in text
    figures = re.findall(
        r'<script type="application/json" id="figure-(watch-\d+)">(.*?)</script>', page, re.S
    )
    assert len(figures) == len(st.series)
    first = json.loads(figures[0][1])
    names = [tr.get("name") for tr in first["data"]]
    assert t("chart.watch.planned") in names and t("chart.watch.actual") in names
    assert "level step" in text and "Level 0: with Mill A" in text
    assert "/static/charts.js" in page and "<script>" not in page  # no inline script (CSP)
    assert f'href="/rounds/{rid}/dashboard" aria-current="page"' in page

    own = _ranked(get(farmer, f"/rounds/{rid}/dashboard?period=2027-05"))
    assert own[0].startswith("Farm A")
    # the sub-nav of the other pages after the vote links the dashboard
    assert f'href="/rounds/{rid}/dashboard"' in get(farmer, f"/rounds/{rid}/hours")

    # before any report: nothing reported, no charts of values, still a page
    empty = words(get(farmer, f"/rounds/{rid}/dashboard?through=2027-01"))
    assert t("dashboard.actual", period="2027-01") in empty


def test_the_dashboard_is_kept_from_another_federation(site: tuple[FastAPI, Any]) -> None:
    app, w = site
    outsider = sign_in(app, "farmerB")
    theirs = outsider.get(f"/rounds/{w['A']['round']}/dashboard")
    nobodys = outsider.get("/rounds/999999/dashboard")
    assert theirs.status_code == nobodys.status_code == 404  # the same page: nothing is learnt
    r = w["A"]["round"]  # (the language switch names the page's own path)
    same = theirs.text.replace(f"id {r}", "id 999999").replace(f"%2F{r}%2F", "%2F999999%2F")
    assert same == nobodys.text


def test_a_workplace_has_its_own_page_with_its_series_indices_and_alerts(
    site: tuple[FastAPI, Any],
) -> None:
    app, w = site
    rid, db = w["A"]["round"], w["db"]
    st = watch_round(db, rid, through="2027-05")
    raise_monitor_alerts(db, rid, st, now=datetime.now(UTC))
    miller = sign_in(app, "millerA")
    whole = get(miller, f"/rounds/{rid}/dashboard?through=2027-05")
    assert t("dashboard.workplace_link", council="Mill A").replace("'", "&#39;") in whole
    page = get(miller, f"/rounds/{rid}/dashboard?council=Mill+A&through=2027-05")
    text = words(page)
    assert t("dashboard.workplace_title", council="Mill A", number=1) in text
    assert all(name.startswith("Mill A") for name in _ranked(page))  # its series only
    mine = [s for s in st.series if s.council == "Mill A"]
    assert len(_ranked(page)) == len(mine) >= 1
    assert "Level 0: with Mill A" in text  # its alert
    assert "with Farm A" not in text  # not another workplace's
    assert t("dashboard.productivity") in text  # Beer's indices
    missing = miller.get(f"/rounds/{rid}/dashboard?council=Nowhere")
    assert missing.status_code == 404


def test_the_sectors_add_up_their_workplaces(site: tuple[FastAPI, Any]) -> None:
    from commonplan.web.pages.dashboard import sectors
    from commonplan.web.schemas import RoundStatusPublic

    app, w = site
    rid = w["A"]["round"]
    farmer = sign_in(app, "farmerA")
    status = RoundStatusPublic.model_validate(
        farmer.get(f"/api/v1/rounds/{rid}/status?through=2027-05").json()
    )
    found = sectors(status.series)
    products = {s.subject for s in status.series if s.subject != "hours"}
    assert [s.product for s in found] == sorted(products)
    for sec in found:
        mine = [s for s in status.series if s.subject == sec.product]
        assert sec.workplaces == len(mine)
        assert sec.planned == pytest.approx(sum(s.planned for s in mine))
        for k, v in enumerate(sec.values):
            parts = [s.values[k] for s in mine]
            if v is None:
                assert None in parts
            else:
                assert v == pytest.approx(sum(p for p in parts if p is not None))
    page = words(get(farmer, f"/rounds/{rid}/dashboard?through=2027-05"))
    assert t("dashboard.sectors") in page
