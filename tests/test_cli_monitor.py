"""``commonplan monitor status|replan`` through Typer's CliRunner: the numbers printed are the
library's (recomputed here), tables fit 80 columns, a floor at risk exits with status 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cli_support import clean_error, run
from commonplan.cli._common import num, pct
from commonplan.federation import add_members, create_federation
from commonplan.monitor.alerts import alerts_for
from commonplan.monitor.rolling import measured_state
from commonplan.monitor.status import watch_round
from commonplan.store import Database
from fixtures import monitored_plan, ratified_round, small_federation, small_members


@pytest.fixture
def running(database_url: str, tmp_path: Path) -> tuple[str, int, dict[str, float]]:
    db = Database(database_url)
    a = create_federation(db, small_federation("A"))
    create_federation(db, small_federation("B"))
    add_members(db, small_members("A") + small_members("B"))
    r = ratified_round(db, a)
    activity = monitored_plan(db, r, "A")
    db.dispose()
    return database_url, r, activity


def test_status_prints_the_librarys_numbers_within_80_columns(
    running: tuple[str, int, dict[str, float]],
) -> None:
    url, r, _ = running
    res = run(
        "monitor",
        "status",
        r,
        "--through",
        "2027-05",
        "--as",
        "neighbourA",
        "--db",
        url,
        columns=80,
    )
    assert res.exit_code == 0, res.output
    assert all(len(line) <= 80 for line in res.stdout.splitlines()), res.stdout
    db = Database(url)
    st = watch_round(db, r, through="2027-05")
    for s in st.series:
        assert num(s.planned) in res.stdout
        assert num(s.view.forecast) in res.stdout
    mill = next(i for i in st.indices if i.council == "Mill A")
    assert mill.productivity is not None and pct(mill.productivity) in res.stdout
    assert "level step down" in res.stdout and "floors: no replan yet" in res.stdout
    assert alerts_for(db, "millerA") == []  # without --alerts nothing is raised

    res = run(
        "monitor",
        "status",
        r,
        "--through",
        "2027-05",
        "--as",
        "millerA",
        "--db",
        url,
        "--alerts",
        "--json",
    )
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["through"] == "2027-05" and out["alerts"]
    mine = {a.id for a in alerts_for(db, "millerA")}
    assert set(out["alerts"]) <= mine
    assert [s["name"] for s in out["series"]] == [s.name for s in st.series]
    assert out["series"][0]["forecast"] == pytest.approx(st.series[0].view.forecast)
    db.dispose()


def test_status_is_refused_to_another_federation_and_outside_the_plan(
    running: tuple[str, int, dict[str, float]],
) -> None:
    url, r, _ = running
    clean_error(
        run("monitor", "status", r, "--through", "2027-05", "--as", "neighbourB", "--db", url),
        f"no round {r}",
    )
    clean_error(
        run("monitor", "status", r, "--through", "2031-01", "--as", "neighbourA", "--db", url),
        "not in the plan",
    )


def test_replan_prints_each_period_and_exits_2_when_a_floor_is_at_risk(
    running: tuple[str, int, dict[str, float]],
) -> None:
    url, r, activity = running
    res = run(
        "monitor",
        "replan",
        r,
        "--through",
        "2027-03",
        "--as",
        "facilitatorA",
        "--db",
        url,
        columns=80,
    )
    assert res.exit_code == 0, res.output
    assert all(len(line) <= 80 for line in res.stdout.splitlines()), res.stdout
    for m in range(4, 13):
        assert f"2027-{m:02d}" in res.stdout
    assert "at risk" not in res.stdout and "floors met" in res.stdout
    db = Database(url)
    assert measured_state(db, r, through="2027-03").periods_done == 3
    farm = activity["A01"] / 12
    res = run(
        "monitor",
        "replan",
        r,
        "--through",
        "2027-03",
        "--as",
        "facilitatorA",
        "--db",
        url,
        "--capacity",
        f"A01={0.05 * farm}",
        "--json",
    )
    assert res.exit_code == 2, res.output
    out = json.loads(res.stdout)
    assert out["needs_vote"] and out["alerts"] and not out["replan"]["floors_safe"]
    res = run(
        "monitor",
        "replan",
        r,
        "--through",
        "2027-03",
        "--as",
        "facilitatorA",
        "--db",
        url,
        "--capacity",
        f"A01={0.05 * farm}",
    )
    assert res.exit_code == 2
    assert "floor at risk:" in res.stdout and "goes back to the councils" in res.stdout
    st = watch_round(db, r, through="2027-03")
    assert st.floors is not None and not st.floors.safe
    db.dispose()
    clean_error(
        run("monitor", "replan", r, "--through", "2027-03", "--as", "farmerA", "--db", url),
        "not a facilitator",
    )
    clean_error(
        run(
            "monitor",
            "replan",
            r,
            "--through",
            "2027-03",
            "--as",
            "facilitatorA",
            "--db",
            url,
            "--capacity",
            "A01",
        ),
        "--capacity",
    )
