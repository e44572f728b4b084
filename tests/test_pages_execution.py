"""The pages after the vote through FastAPI's TestClient, on SQLite and PostgreSQL: a workplace's
report form and the period's ledger (product names, units, corrections with their reasons), the
alerts page (state, "with Farm A", deadline, steps, the confirmation before resolving), a
member's hours page (confirm, dispute, balance, "31 h a week for you; the alternative 29 h") and
a workplace's hours page (record, reverse) — with CSRF, refusals shown in the page, and another
federation kept out."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI

from commonplan.monitor.alerts import escalate_due, raise_alert
from commonplan.web.text import t
from fixtures import after_the_vote

__all__ = ["cheap_hashing"]  # autouse, from api_support
from api_support import cheap_hashing, make_app, password
from page_support import alert, get, post, sign_in, words


@pytest.fixture
def site(database_url: str) -> Iterator[tuple[FastAPI, dict[str, Any]]]:
    app = make_app(database_url)
    db = app.state.db
    a = after_the_vote(db, "A", password)
    b = after_the_vote(db, "B", password)
    yield app, {"db": db, "A": a, "B": b}
    db.dispose()


def test_report_form_and_the_periods_ledger(site: tuple[FastAPI, Any]) -> None:
    app, w = site
    rid = w["A"]["round"]
    farmer = sign_in(app, "farmerA")
    home = words(get(farmer, "/"))
    assert t("nav.report_form") in home and t("nav.my_hours") in home

    form = get(farmer, f"/rounds/{rid}/reports/file")
    assert "Crop and animal production, hunting (A01)" in form
    assert t("report_form.intro", unit="million SEK") in words(form)
    rows = {
        "council": "Farm A",
        "period": "2027-01",
        "kind_1": "output",
        "product_1": "A01",
        "amount_1": "1,200",
        "kind_2": "hours",
        "amount_2": "300",
        "kind_3": "delivery",
        "product_3": "A01",
        "counterpart_3": "Mill A",
        "amount_3": "",
    }
    # a bad row is shown in the form, naming the row, and nothing is stored
    bad = post(farmer, f"/rounds/{rid}/reports/file", {**rows, "amount_2": "lots"}, 422)
    assert "Row 2" in alert(bad.text) and "lots" in alert(bad.text)
    wrong = post(farmer, f"/rounds/{rid}/reports/file", {**rows, "product_2": "A01"}, 422)
    assert "report row 2" in alert(wrong.text)
    none = post(farmer, f"/rounds/{rid}/reports/file", {"council": "Farm A"}, 422)
    assert t("form.none") in alert(none.text)
    ledger = words(get(farmer, f"/rounds/{rid}/reports?period=2027-01"))
    assert t("reports.none") in ledger

    done = post(farmer, f"/rounds/{rid}/reports/file", rows)
    assert done.headers["location"] == f"/rounds/{rid}/reports?period=2027-01&done=reported"
    page = get(farmer, done.headers["location"])
    text = words(page)
    assert t("done.reported") in text
    assert "Output: Crop and animal production, hunting (A01)" in text
    assert "1,200 million SEK" in text and "300 hours" in text

    # a correction keeps the earlier figure, with the reason
    first = int(re.findall(r'action="/reports/(\d+)/revise"', page)[0])
    revise = {
        "round": rid,
        "period": "2027-01",
        "amount": "1,150",
        "reason": "a lorry counted twice",
    }
    post(farmer, f"/reports/{first}/revise", revise)
    text = words(get(farmer, f"/rounds/{rid}/reports?period=2027-01"))
    assert (
        "1,150 million SEK" in text and t("reports.revised", reason="a lorry counted twice") in text
    )
    assert (
        t("reports.earlier_line", amount="1,200 million SEK", reason="a lorry counted twice")
        in text
    )
    again = post(farmer, f"/reports/{first}/revise", revise, 422)
    assert "revised already" in alert(again.text)

    # the miller reads the ledger but cannot correct the farm's figures; CSRF; other federations
    miller = sign_in(app, "millerA")
    assert 'action="/reports/' not in get(miller, f"/rounds/{rid}/reports?period=2027-01")
    r = miller.post(f"/reports/{first}/revise", data=revise)
    assert r.status_code == 403 and "CSRF" in words(r.text)
    outsider = sign_in(app, "farmerB")
    assert outsider.get(f"/rounds/{rid}/reports").status_code == 404  # as if there were none
    assert outsider.get(f"/rounds/{rid}/reports/file").status_code == 404

    # a CSV upload
    csv = b"council,period,kind,product,amount\nMill A,2027-01,output,C10T12,55\n"
    up = post(miller, f"/rounds/{rid}/reports/csv", {}, files={"upload": ("m.csv", csv)})
    assert "Output: Food, beverages and tobacco (C10T12)" in words(
        get(miller, up.headers["location"])
    )


def test_alerts_page_steps_and_escalation(site: tuple[FastAPI, Any]) -> None:
    app, w = site
    db, rid = w["db"], w["A"]["round"]
    one = raise_alert(
        db,
        rid,
        source="screen",
        kind="heaping",
        council="Farm A",
        period="2027-01",
        message="Farm A reports round numbers every month",
    )
    farmer = sign_in(app, "farmerA")
    assert t("home.ask.alerts", count=1) in words(get(farmer, "/"))
    text = words(get(farmer, "/alerts"))
    assert "Farm A reports round numbers every month" in text and t("alerts.mine") in text
    assert t("alert.with_value", name="Farm A", level=0) in text
    assert t("alert.state.raised") in text and t("alert.acknowledge") in text

    post(farmer, f"/alerts/{one}/acknowledge", {})
    bad = post(farmer, f"/alerts/{one}/explain", {"note": " "}, 422)
    assert "note" in alert(bad.text)
    done = post(farmer, f"/alerts/{one}/explain", {"note": "we weigh whole tonnes"})
    text = words(get(farmer, done.headers["location"]))
    assert t("done.alert_explain") in text and "we weigh whole tonnes" in text
    unconfirmed = post(farmer, f"/alerts/{one}/resolve", {}, 422)
    assert t("form.confirm_needed") in alert(unconfirmed.text)
    post(farmer, f"/alerts/{one}/resolve", {"confirm": "yes"})
    assert t("alerts.none") in words(get(farmer, "/alerts"))
    assert "we weigh whole tonnes" in words(get(farmer, "/alerts?resolved=true"))

    two = raise_alert(
        db,
        rid,
        source="monitor",
        kind="step",
        council="Farm A",
        message="Farm A's output fell by a third",
    )
    miller = sign_in(app, "millerA")
    assert t("alerts.none") in words(get(miller, "/alerts"))
    escalate_due(db, now=datetime.now(UTC) + timedelta(days=8))
    text = words(get(miller, "/alerts"))
    assert t("alert.with_value", name="Commune A", level=1) in text and t("alerts.others") in text
    assert t("alert.acknowledge") not in text  # only the council and facilitators answer
    refused = post(miller, f"/alerts/{two}/acknowledge", {}, 403)
    assert "cannot acknowledge" in alert(refused.text)
    assert t("alerts.none") in words(get(sign_in(app, "farmerB"), "/alerts"))


def test_hours_pages_member_and_workplace(site: tuple[FastAPI, Any]) -> None:
    app, w = site
    rid = w["A"]["round"]
    farmer = sign_in(app, "farmerA")
    text = words(get(farmer, f"/rounds/{rid}/hours"))
    assert "The ratified plan means 31 h a week for you, with 81 h a week free." in text
    assert "The alternative means 29 h a week for you" in text
    assert t("hours.entries_none") in text

    fac = sign_in(app, "facilitatorA")
    page = get(fac, f"/rounds/{rid}/workplace/hours")
    assert t("workplace.title", workplace="Farm A") in words(page)
    rows = {
        "council": "Farm A",
        "period": "2027-01",
        "member_1": "farmerA",
        "what_1": "worked",
        "hours_1": "120",
        "member_2": "farmerA",
        "what_2": "care",
        "hours_2": "8",
        "member_3": "farmerA",
        "what_3": "worked",
        "hours_3": "",
    }
    bad = post(fac, f"/rounds/{rid}/workplace/hours", {**rows, "hours_2": "-8"}, 422)
    assert "hours row 2" in alert(bad.text)
    post(fac, f"/rounds/{rid}/workplace/hours", rows)
    own = post(farmer, f"/rounds/{rid}/workplace/hours", rows, 403)
    assert "own hours" in alert(own.text)

    page = get(farmer, f"/rounds/{rid}/hours")
    text = words(page)
    assert "2027-01: 120 h at Farm A" in text and "2027-01: 8 h credited for care" in text
    assert t("hours.confirm_all", count=2) in text and "8 h credited" in text
    assert "(1.8 h a week credited)" in text  # 8 h in a month of 52/12 weeks
    worked, care = (int(x) for x in re.findall(r'id="entry-(\d+)"', page))
    post(farmer, "/hours/confirm", {"round": rid, "entry": str(worked)})
    post(farmer, f"/hours/{care}/dispute", {"round": rid, "reason": "I was at work"})
    text = words(get(farmer, f"/rounds/{rid}/hours"))
    assert t("hours.status.confirmed") in text and "I was at work" in text
    assert "2027-01: 128 h (120 h confirmed, 0 h waiting, 8 h disputed)" in text
    bad = post(farmer, f"/hours/{care}/dispute", {"round": rid, "reason": "again"}, 422)
    assert "disputed already" in alert(bad.text)

    text = words(get(fac, f"/rounds/{rid}/workplace/hours"))
    assert "Farm A received 120 h of work in all." in text
    assert "farmerA, 2027-01: 120 h at Farm A" in text
    no = post(
        fac, f"/hours/{care}/reverse", {"round": rid, "council": "Farm A", "reason": "x"}, 422
    )
    assert t("form.confirm_needed") in alert(no.text)
    back = {"round": rid, "council": "Farm A", "reason": "she was at work", "confirm": "yes"}
    done = post(fac, f"/hours/{care}/reverse", back)
    assert t("done.reversed") in words(get(fac, done.headers["location"]))

    outsider = sign_in(app, "farmerB")
    assert outsider.get(f"/rounds/{rid}/hours").status_code == 404
    assert outsider.get(f"/rounds/{rid}/workplace/hours").status_code == 404
    neighbour = words(get(sign_in(app, "neighbourA"), f"/rounds/{rid}/hours"))
    assert t("hours.no_quota") in neighbour


def test_the_catalogue_names_every_kind_source_state_and_status() -> None:
    """The pages build these keys from the domain's names (``report.kind.{kind}`` …)."""
    from commonplan.monitor.alerts import STATES
    from commonplan.reports import KINDS, SOURCES
    from commonplan.web.text import EN

    keys = [f"report.kind.{k}" for k in KINDS] + [f"report.source.{s}" for s in SOURCES]
    keys += [f"alert.state.{s}" for s in STATES]
    keys += [f"hours.status.{s}" for s in ("pending", "confirmed", "disputed")]
    keys += [f"done.alert_{s}" for s in ("acknowledge", "explain", "correct", "resolve")]
    assert [k for k in keys if k not in EN] == []
