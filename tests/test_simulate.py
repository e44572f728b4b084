"""The simulated year (``commonplan simulate``): a drought and a lying workplace, detected,
alerted, escalated, and the rest of the year replanned without cutting a floor."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from cli_support import run
from commonplan.errors import PlanInputError
from commonplan.monitor.simulate import INFLATOR, Simulation, simulate, write_page

SEEDS = (0, 1)


@pytest.fixture(scope="module", params=SEEDS)
def year(request: pytest.FixtureRequest) -> Simulation:
    return simulate(seed=request.param)


def test_the_drought_is_seen_in_the_farms_series_within_three_months(year: Simulation) -> None:
    d = year.drought_detected
    assert d is not None and d["series"].startswith("Farm ")
    assert year.drought_month <= d["month"] <= year.drought_month + 3
    assert d["since"] >= f"2027-{year.drought_month:02d}"
    before = [s for m in year.log[: year.drought_month - 1] for s in m.signals]
    assert not [s for s in before if s["series"].startswith("Farm")]  # no alarm before it


def test_the_inflating_workplace_is_named_and_its_silence_escalates(year: Simulation) -> None:
    named = year.inflation_named
    assert named is not None and 6 <= named["month"] <= 8
    assert all(INFLATOR not in m.suspects for m in year.log[: year.inflation_month - 1])
    assert year.inflator_escalated is not None and year.inflator_escalated <= 8
    ups = [e for m in year.log for e in m.escalated if e["council"] == INFLATOR]
    assert ups and {e["level"] for e in ups} >= {1, 2}  # council → commune → federation
    raised = [a for m in year.log for a in m.alerts_raised if a["council"] == INFLATOR]
    assert raised and all(a["sits_with"] == INFLATOR for a in raised)
    # the drought farms explained: their alerts never went up
    assert not [e for m in year.log for e in m.escalated if str(e["council"]).startswith("Farm")]
    answered = [a for m in year.log for a in m.answered if a["council"].startswith("Farm")]
    assert answered and all("drought" in a["note"] for a in answered)


def test_every_replanned_month_meets_its_floors_or_carries_a_certificate(
    year: Simulation,
) -> None:
    yearly = {k: v * year.months for k, v in year.floors.items()}
    replans = [m.replan for m in year.log if m.replan is not None]
    assert len(replans) == year.months - 1
    for rp in replans:
        assert rp["floors"] == pytest.approx(yearly)  # never a smaller floor
        at_risk = {f["period"]: f for f in rp["at_risk"]}
        for p in rp["periods"]:
            if p["floors_met"]:
                for k, v in year.floors.items():
                    assert p["floors_made"][k] >= v * (1 - 1e-6)
            else:
                risk = at_risk[p["period"]]
                assert any(v > 0 for v in risk["shortfall"].values()) and risk["message"]
        assert rp["floors_safe"] == (not at_risk)
        if at_risk:
            assert rp["alerts"]  # the floor-at-risk alert, at the root


def test_the_same_seed_gives_the_same_year() -> None:
    a, b = simulate(seed=3, months=7), simulate(seed=3, months=7)
    assert json.dumps(a.to_dict()) == json.dumps(b.to_dict())
    assert a.to_dict() != simulate(seed=4, months=7).to_dict()


def test_the_page_holds_the_figures(year: Simulation, tmp_path: Path) -> None:
    page = write_page(year, tmp_path / "out" / "year.html").read_text(encoding="utf-8")
    assert page.count('class="plotly-graph-div"') == len(year.workplaces) + 2
    assert "width=device-width" in page and "plotly.js" in page.lower()
    for title in ("Open alerts by level", "floors and fulfilment", f"{INFLATOR}: output"):
        assert title in page
    json.dumps(year.to_dict())


def test_bad_settings_are_refused_by_name() -> None:
    for kwargs, name in (
        ({"months": 13}, "months"),
        ({"drought": 1.5}, "drought"),
        ({"noise": -0.1}, "noise"),
        ({"inflation_month": 0}, "inflation_month"),
    ):
        with pytest.raises(PlanInputError, match=name):
            simulate(**kwargs)


def test_the_command_prints_the_log_in_80_columns_and_writes_the_page(tmp_path: Path) -> None:
    r = run("simulate", "--months", "6", "--out", tmp_path, columns=80)
    assert r.exit_code == 0, r.output
    lines = r.stdout.splitlines()
    assert lines[0].startswith("2027-01") and max(map(len, lines)) <= 80
    assert f"suspect {INFLATOR}" in r.stdout and (tmp_path / "simulate.html").is_file()
    j = run("simulate", "--months", "2", "--json", "--out", tmp_path / "p.html")
    assert j.exit_code == 0, j.output
    out = json.loads(j.stdout)
    assert out["months"] == 2 and Path(out["page"]).is_file()


def test_the_simulation_runs_in_the_database_given(database_url: str) -> None:
    from commonplan import audit
    from commonplan.monitor.alerts import alerts_for
    from commonplan.store import Database

    db = Database(database_url)
    sim = simulate(seed=0, months=7, db=db)
    assert sim.inflation_named is not None and sim.inflator_escalated == 7
    seen = alerts_for(db, "caresouth", now=datetime(2027, 8, 1, tzinfo=UTC))
    assert seen and all(a.council == INFLATOR for a in seen)  # its own alerts, nobody else's
    with db.transaction() as s:
        assert audit.verify(s).ok
