"""Reconciliation on the API and on the period's ledger page, on SQLite and PostgreSQL: the
global test in words and numbers, each workplace's reported and reconciled output, the suspects
(a member's own council's first), the untestable reports, the screens' findings, the alerts a
facilitator raises — and another federation kept out, an empty period refused in words."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI

with warnings.catch_warnings():  # starlette's TestClient would prefer httpx2
    warnings.simplefilter("ignore", DeprecationWarning)
    from fastapi.testclient import TestClient

from commonplan.web.text import t
from fixtures import after_the_vote, leap_reports

__all__ = ["cheap_hashing"]  # autouse, from api_support
from api_support import API, cheap_hashing, make_app, ok, password, refused, sign_in, unseen
from page_support import get, words
from page_support import sign_in as page_sign_in

FOOD = "Food, beverages and tobacco (C10T12)"


@pytest.fixture
def world(database_url: str) -> Iterator[tuple[FastAPI, dict[str, Any]]]:
    app: FastAPI = make_app(database_url)
    db = app.state.db
    a = after_the_vote(db, "A", password)
    b = after_the_vote(db, "B", password)
    leap_reports(db, a["round"], "A")
    yield app, {"db": db, "A": a, "B": b}
    db.dispose()


def test_the_api_says_whether_the_reports_add_up(world: tuple[FastAPI, Any]) -> None:
    app, w = world
    rid, rid_b = w["A"]["round"], w["B"]["round"]
    with TestClient(app) as c:
        miller, facilitator = sign_in(c, "millerA"), sign_in(c, "facilitatorA")
        outsider, outside_facilitator = sign_in(c, "farmerB"), sign_in(c, "facilitatorB")
        url = f"{API}/rounds/{rid}/reconciliation?period=2027-01"
        rec = ok(c.get(url, headers=miller))
        assert rec["period"] == "2027-01" and rec["passed"] is False
        assert rec["verdict"].startswith("No: the reports do not fit the balances")
        assert f"on {rec['degrees_of_freedom']} degrees of freedom" in rec["verdict"]
        assert rec["chi2"] > 0 and rec["degrees_of_freedom"] > 0
        farm = next(x for x in rec["workplaces"] if x["council"] == "Farm A")
        assert farm["product_name"] == "Crop and animal production, hunting (A01)"
        assert farm["unit"] == "million SEK" and farm["std_error"] > 0
        assert farm["reconciled"] == pytest.approx(farm["reported"] / 1.3, rel=1e-6)
        first = rec["suspects"][0]
        assert first["council"] == "Farm A" and "Farm A" in first["why"]
        assert len(first["reports"]) >= 2  # the ledger ids of the output and the delivery
        [lone] = rec["untestable"]
        assert lone["council"] == "Street A" and lone["amount"] == 7.0
        assert all(f["flagged"] for f in rec["findings"])

        # only facilitators raise the alerts; the ids come back the same a second time
        alerts_url = f"{API}/rounds/{rid}/reconciliation/alerts?period=2027-01"
        refused(c.post(alerts_url, headers=miller), 403, "forbidden")
        raised = ok(c.post(alerts_url, headers=facilitator))
        assert len(raised["suspects"]) == len(rec["suspects"]) >= 1
        assert ok(c.post(alerts_url, headers=facilitator)) == raised
        farmer = sign_in(c, "farmerA")
        mine = ok(c.get(f"{API}/me/alerts?round_id={rid}", headers=farmer))
        assert raised["suspects"][0] in {a["id"] for a in mine}

        # another federation's members see nothing of it
        unseen(c.get(url, headers=outsider))
        unseen(c.post(alerts_url, headers=outside_facilitator))
        refused(c.get(f"{API}/rounds/999999/reconciliation", headers=miller), 404, "not_found")

        # a period with nothing reported, or outside the plan: refused in words, never a 5xx
        empty = c.get(f"{API}/rounds/{rid_b}/reconciliation?period=2027-01", headers=outsider)
        refused(empty, 422, "plan_input", "no reports for 2027-01")
        refused(
            c.get(f"{API}/rounds/{rid}/reconciliation?period=2031-01", headers=miller),
            422,
            "plan_input",
            "2031-01",
        )
        refused(
            c.post(f"{API}/rounds/{rid_b}/reconciliation/alerts", headers=outside_facilitator),
            422,
            "plan_input",
            "no reports",
        )


def test_the_ledger_page_shows_whether_the_reports_add_up(world: tuple[FastAPI, Any]) -> None:
    app, w = world
    rid, rid_b = w["A"]["round"], w["B"]["round"]
    farmer = page_sign_in(app, "farmerA")
    page = get(farmer, f"/rounds/{rid}/reports?period=2027-01")
    text = words(page)
    assert t("reconcile.title") in text
    assert "No: the reports do not fit the balances (χ²" in text
    assert "Crop and animal production, hunting (A01)" in text and FOOD in text
    assert "million SEK" in text and "±" in text
    assert t("reconcile.untestable") in text and "Street A: Receipt" in text
    assert t("reconcile.screens") in text
    # the farmer's own council's flag first, marked as theirs
    suspects = page[page.index('id="suspects"') :]
    assert suspects.index("suspect yours") < suspects.index("Farm A")

    miller = page_sign_in(app, "millerA")
    theirs = get(miller, f"/rounds/{rid}/reports?period=2027-01")
    assert "suspect yours" not in theirs and "Farm A" in words(theirs)

    # an empty period says so in the block; another federation's page is refused
    empty = words(get(farmer, f"/rounds/{rid}/reports?period=2027-02"))
    assert t("reconcile.title") in empty and "no reports for 2027-02" in empty
    outsider = page_sign_in(app, "farmerB")
    assert "Farm A" not in get(outsider, f"/rounds/{rid}/reports?period=2027-01", 404)
    assert "no reports" in words(get(outsider, f"/rounds/{rid_b}/reports?period=2027-01"))
