"""Watching every series of a running round: the reconciled output against the plan, Beer's
indices, and an alert to the council whose output steps down."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import pytest

from commonplan.errors import NotFoundError, PlanInputError
from commonplan.federation import add_members, create_federation
from commonplan.monitor.alerts import alerts_for
from commonplan.monitor.status import raise_monitor_alerts, watch_round
from commonplan.store import Database
from fixtures import monitored_plan, ratified_round, small_federation, small_members

NOW = datetime(2027, 7, 2, tzinfo=UTC)


@pytest.fixture
def running(database_url: str) -> tuple[Database, int, dict[str, float]]:
    db = Database(database_url)
    a = create_federation(db, small_federation("A"))
    create_federation(db, small_federation("B"))
    add_members(db, small_members("A") + small_members("B"))
    r = ratified_round(db, a)
    return db, r, monitored_plan(db, r, "A")


def test_a_steady_workplace_raises_nothing(
    running: tuple[Database, int, dict[str, float]],
) -> None:
    db, r, activity = running
    st = watch_round(db, r, through="2027-03")
    assert st.periods == ("2027-01", "2027-02", "2027-03")
    farm = next(s for s in st.series if s.council == "Farm A" and s.subject == "A01")
    assert farm.planned == pytest.approx(activity["A01"] / 12)
    assert farm.values == pytest.approx((activity["A01"] / 12,) * 3, rel=1e-6)
    assert {s.subject for s in st.series if s.council == "Mill A"} == {"C10T12", "hours"}
    assert st.watch.signals == ()
    assert raise_monitor_alerts(db, r, st, now=NOW) == []
    assert st.floors is None


def test_an_output_a_third_down_from_month_4_is_a_level_step_down_alerted_to_its_council(
    running: tuple[Database, int, dict[str, float]],
) -> None:
    db, r, _ = running
    seen = {}
    for month in ("2027-04", "2027-05"):
        st = watch_round(db, r, through=month)
        seen[month] = {s.series: s for s in st.watch.signals}
    found = [
        m
        for m, sig in seen.items()
        if "Mill A · C10T12" in sig and sig["Mill A · C10T12"].kind == "level step down"
    ]  # the first month may look like an outlier; by the next it is a step
    assert found, seen
    sig = seen[found[0]]["Mill A · C10T12"]
    assert sig.probability >= 0.5
    assert sig.period in ("2027-04", "2027-05")
    assert not any(name.startswith("Farm A") for name in seen[found[0]])
    st = watch_round(db, r, through=found[0])
    ids = raise_monitor_alerts(db, r, st, now=NOW)
    assert ids
    alerts = alerts_for(db, "millerA", now=NOW)
    mill = [a for a in alerts if a.subject == "C10T12"]
    assert mill and mill[0].council == "Mill A" and mill[0].source == "monitor"
    assert mill[0].kind == "level step down" and mill[0].sits_with == "Mill A"
    assert alerts_for(db, "neighbourB", now=NOW) == []
    assert raise_monitor_alerts(db, r, st, now=NOW) == ids  # not raised twice


def test_beers_indices_are_the_ratios_of_the_last_period(
    running: tuple[Database, int, dict[str, float]],
) -> None:
    db, r, activity = running
    st = watch_round(db, r, through="2027-06", capacity={"A01": 0.9 * activity["A01"] / 12})
    by = {(i.council, i.product): i for i in st.indices}
    mill = by[("Mill A", "C10T12")]
    plan = activity["C10T12"] / 12
    assert mill.actuality is not None
    assert mill.actuality == pytest.approx(2 / 3 * plan, rel=1e-6)
    assert mill.capability == pytest.approx(plan)
    assert mill.potentiality == pytest.approx(plan)  # no capacity proposal: latency 1
    assert mill.productivity == pytest.approx(mill.actuality / mill.capability)
    assert mill.latency == pytest.approx(1.0)
    assert mill.performance == pytest.approx(mill.actuality / mill.potentiality)
    farm = by[("Farm A", "A01")]
    assert farm.actuality is not None
    assert farm.capability == pytest.approx(0.9 * activity["A01"] / 12)  # measured, lower
    assert farm.productivity == pytest.approx(farm.actuality / farm.capability)
    assert farm.productivity is not None and farm.productivity > 1
    d = st.to_dict()
    assert d["through"] == "2027-06" and len(d["series"]) == len(st.series)
    assert all(
        not (isinstance(v, float) and math.isnan(v)) for s in d["series"] for v in s["values"]
    )


def test_a_period_outside_the_plan_and_a_viewer_of_another_federation_are_refused(
    running: tuple[Database, int, dict[str, float]],
) -> None:
    db, r, _ = running
    with pytest.raises(PlanInputError, match="not in the plan"):
        watch_round(db, r, through="2030-01")
    with pytest.raises(NotFoundError, match="no round"):
        watch_round(db, r, through="2027-02", viewer="neighbourB")


def test_a_process_run_by_two_councils_is_shared_by_members_and_a_capacity_proposal_is_potential(
    database_url: str,
) -> None:
    from sqlalchemy import select

    from commonplan.store.models import Council, Member, Proposal

    db = Database(database_url)
    spec = small_federation("A")
    spec["children"][0]["councils"].append(
        {"name": "Farm A2", "kind": "workers", "processes": ["A01"]}
    )
    a = create_federation(db, spec)
    add_members(db, [*small_members("A"), {"handle": "grower", "workers_council": "Farm A2"}])
    r = ratified_round(db, a)
    activity = monitored_plan(db, r, "A", months=2)
    with db.transaction() as s:
        mill = s.execute(select(Council).where(Council.name == "Mill A")).scalar_one()
        miller = s.execute(select(Member).where(Member.handle == "millerA")).scalar_one()
        s.add(
            Proposal(
                round_id=r,
                council_id=mill.id,
                kind="capacity",
                title="a second line",
                amounts={"C10T12": 1.5 * activity["C10T12"]},
                filed_by=miller.id,
                filed_at=NOW,
            )
        )
    st = watch_round(db, r, through="2027-02")
    planned = {(x.council, x.subject): x.planned for x in st.series}
    year = activity["A01"] / 12
    assert planned[("Farm A", "A01")] == pytest.approx(year * 2 / 3)  # farmerA, facilitatorA
    assert planned[("Farm A2", "A01")] == pytest.approx(year / 3)  # grower
    by = {(i.council, i.product): i for i in st.indices}
    m = by[("Mill A", "C10T12")]
    assert m.potentiality == pytest.approx(1.5 * activity["C10T12"] / 12)
    assert m.latency == pytest.approx(m.capability / m.potentiality)
    assert m.latency == pytest.approx(1 / 1.5)
    assert by[("Farm A2", "A01")].actuality is None  # it reported nothing
    assert by[("Farm A2", "A01")].productivity is None
