"""The rolling plan of a ratified round: recorded, recomputable, floors never cut silently."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest

import commonplan as cp
from commonplan import audit, rounds
from commonplan.errors import AuthorisationError, PlanInputError
from commonplan.federation import add_members, create_federation
from commonplan.monitor.alerts import alerts_for
from commonplan.monitor.replan import Measured
from commonplan.monitor.rolling import measured_state, replan_round
from commonplan.reports import ReportRow, file_reports
from commonplan.rounds.plans import record_plan
from commonplan.store import Database
from commonplan.store.models import Round
from fixtures import ratified_round, small_federation, small_members

SWEDEN = cp.demo_economy()
NOW = datetime(2027, 4, 2, tzinfo=UTC)


def _final_plan(db: Database, round_id: int) -> int:
    """The ratified plan: food and care floors, a private target, labour capped at 2016's."""
    y = SWEDEN.final_demand["domestic_final_demand"]
    food, care = SWEDEN.product_index("C10T12"), SWEDEN.product_index("Q87_88")
    inputs = {
        "economy": "demo",
        "floors": {"C10T12": 0.3 * float(y[food]), "Q87_88": 0.3 * float(y[care])},
        "targets": {p: float(v) for p, v in zip(SWEDEN.products, y, strict=True) if v > 0},
        "capacities": {},
        "caps": {"labour": "100%", "co2": "70%"},
        "hours_offered": 1.0,
        "collective_budget": 0.0,
        "chosen": [],
    }
    with db.transaction() as s:
        r = s.get(Round, round_id)
        assert r is not None
        return record_plan(s, r, "final", inputs, "facilitatorA").id


@pytest.fixture
def ratified(database_url: str) -> tuple[Database, int, int]:
    db = Database(database_url)
    a = create_federation(db, small_federation("A"))
    create_federation(db, small_federation("B"))
    add_members(db, small_members("A") + small_members("B"))
    r = ratified_round(db, a)
    return db, r, _final_plan(db, r)


def test_a_replan_on_track_keeps_the_plan_and_is_recomputed_from_its_inputs(
    ratified: tuple[Database, int, int],
) -> None:
    db, r, final = ratified
    plan = rounds.recompute(db, final)["recorded"]
    activity = plan["activity"]  # {process: activity}, the processes that run
    hours = float(plan["use"]["labour"])
    on_track = Measured(
        3,
        used={"labour": 0.25 * hours},
        activity={p: activity[p] / 12 for p in ("A01", "C10T12")},
    )
    rec = replan_round(db, r, measured=on_track, actor="facilitatorA", now=NOW)
    assert rec.replan.floors_safe and rec.alerts == () and not rec.needs_vote
    assert [p.period for p in rec.replan.periods] == [f"2027-{m:02d}" for m in range(4, 13)]
    for p in rec.replan.periods:
        assert p.fulfilment["private"] == pytest.approx(plan["fulfilment"]["private"], rel=1e-6)
        assert p.use["labour"] == pytest.approx(hours / 12, rel=1e-6)
    again = rounds.recompute(db, rec.plan)
    assert again["same"] and again["recorded"]["status"] == "optimal"
    with db.transaction() as s:
        assert audit.verify(s).ok


def test_a_drought_raises_a_floor_at_risk_alert_at_the_root(
    ratified: tuple[Database, int, int],
) -> None:
    db, r, final = ratified
    plan = rounds.recompute(db, final)["recorded"]
    farm = float(plan["activity"]["A01"])
    drought = Measured(3, activity={"A01": farm / 12}, capacity={"A01": 0.05 * farm / 12})
    rec = replan_round(db, r, measured=drought, actor="facilitatorA", now=NOW)
    assert not rec.replan.floors_safe and rec.needs_vote
    first = rec.replan.floors_at_risk[0]
    assert first.period == "2027-04" and 0 <= first.share_possible < 1
    assert set(first.shortfall) <= {"C10T12", "Q87_88"} and first.shortfall
    seen = alerts_for(db, "neighbourA", now=NOW)  # a floor at risk concerns everyone
    assert {a.subject for a in seen} == {p for p, v in first.shortfall.items() if v > 0}
    assert all(a.source == "floor" and a.sits_with == "Federation A" for a in seen)
    assert alerts_for(db, "neighbourB", now=NOW) == []
    assert rounds.recompute(db, rec.plan)["same"]


def test_only_a_facilitator_of_the_federation_replans(
    ratified: tuple[Database, int, int],
) -> None:
    db, r, _ = ratified
    for who in ("farmerA", "facilitatorB"):
        with pytest.raises(AuthorisationError, match="not a facilitator of this round"):
            replan_round(db, r, measured=Measured(1), actor=who)
    with pytest.raises(PlanInputError, match="periods_done"):
        replan_round(db, r, measured=Measured(12), actor="facilitatorA")


def test_measured_state_sums_the_reconciled_hours_and_reads_last_month(
    ratified: tuple[Database, int, int],
) -> None:
    db, r, _ = ratified
    per_unit = float(SWEDEN.labour[SWEDEN.processes.index("A01")])  # type: ignore[index]
    for month, grain in (("2027-01", 100.0), ("2027-02", 120.0)):
        file_reports(
            db,
            r,
            [
                ReportRow("Farm A", month, "output", grain, "A01"),
                ReportRow("Farm A", month, "delivery", grain, "A01", "Street A"),
                ReportRow("Farm A", month, "hours", per_unit * grain),
            ],
            actor="farmerA",
        )
    state = measured_state(db, r, through="2027-02")
    assert state.periods_done == 2
    assert state.activity["A01"] == pytest.approx(120.0, rel=1e-3)
    assert state.used["labour"] == pytest.approx(per_unit * 220.0, rel=1e-6)
    assert np.isfinite(state.used["labour"])
    with pytest.raises(PlanInputError, match="not in the plan"):
        measured_state(db, r, through="2030-01")
