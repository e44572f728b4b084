"""Rolling replanning: floors hard in every period, targets falling back in order, gradual pace."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import commonplan as cp
from commonplan.errors import PlanInputError
from commonplan.monitor.replan import Measured, replan
from commonplan.plan.optimize import TargetGroup

# grain is grown (1 hour a unit); bread is baked from half a unit of grain (2 hours a unit)
BAKERY = cp.Economy.from_processes(
    [[0.0, 0.5], [0.0, 0.0]],
    makes=[0, 1],
    labour=[1.0, 2.0],
    products=["grain", "bread"],
    processes=["farm", "bakery"],
)
MONTHS = [f"2027-{m:02d}" for m in range(1, 13)]
FLOORS = {"bread": 240.0}  # a year: 20 a month
GROUPS = [TargetGroup("collective", {"bread": 120.0}), TargetGroup("private", {"grain": 600.0})]
HOURS_PER_BREAD = 2.0 + 0.5 * 1.0  # λ: its own hours and those of its grain


def test_the_last_group_gives_way_first_within_the_hours_left() -> None:
    # 1,200 hours for the year, 300 used in the first three months: 100 an hour a month left
    r = replan(
        BAKERY,
        periods=MONTHS,
        measured=Measured(3, used={"labour": 300.0}),
        floors=FLOORS,
        groups=GROUPS,
        caps={"labour": 1200.0},
    )
    assert r.from_period == "2027-04" and len(r.periods) == 9 and r.floors_safe
    per_month = (1200.0 - 300.0) / 9
    private = (per_month - HOURS_PER_BREAD * (20 + 10)) / 50.0  # what is left buys grain
    for p in r.periods:
        assert p.fulfilment["collective"] == pytest.approx(1.0)
        assert p.fulfilment["private"] == pytest.approx(private, rel=1e-6)
        assert p.use["labour"] == pytest.approx(per_month, rel=1e-6)
        assert p.floors_met and p.floors_made["bread"] >= 20.0
    assert [p.reused for p in r.periods] == [False] + [True] * 8


def test_a_drought_puts_the_floor_at_risk_with_its_shortfall_never_a_smaller_floor() -> None:
    # the farm can grow only 5 a month now: 10 loaves, half the floor of 20
    r = replan(
        BAKERY,
        periods=MONTHS,
        measured=Measured(3, used={"labour": 300.0}, capacity={"farm": 5.0}),
        floors=FLOORS,
        groups=GROUPS,
        caps={"labour": 1600.0},
        watched=["farm", "bakery"],
    )
    assert not r.floors_safe
    assert [f.period for f in r.floors_at_risk] == MONTHS[3:]
    risk = r.floors_at_risk[0]
    assert risk.share_possible == pytest.approx(0.5)
    assert risk.shortfall == pytest.approx({"bread": 10.0})
    assert "capacity farm" in risk.binding
    assert "cheapest way out" in risk.message and "floor" not in risk.message.split("way out")[1]
    assert all(f.message.startswith(f"{f.period}: ") for f in r.floors_at_risk)
    for p in r.periods:
        assert not p.floors_met and p.floors_made["bread"] == pytest.approx(10.0)


def test_workplaces_change_pace_gradually() -> None:
    r = replan(
        BAKERY,
        periods=MONTHS,
        measured=Measured(6, activity={"farm": 40.0, "bakery": 30.0}),
        floors=FLOORS,
        groups=GROUPS,
        caps={"labour": 10_000.0},
        watched=["farm"],
        max_change=0.1,
    )
    farm = [p.activity["farm"] for p in r.periods]
    # 30 loaves need 15 grain; private grain 50 → 65 a month at most, reached by 10 % steps
    assert farm == pytest.approx([44.0, 48.4, 53.24, 58.564, 64.4204, 65.0], rel=1e-6)
    assert all(b <= a * 1.1 + 1e-9 for a, b in zip([40.0, *farm], farm, strict=False))


@pytest.mark.parametrize(
    "kw,message",
    [
        ({"measured": Measured(12)}, "periods_done must be between 0 and 11"),
        ({"measured": Measured(1, used={"labour": -1.0})}, "finite and at least 0"),
        ({"measured": Measured(1, used={"water": 1.0})}, "'water' is not labour"),
        ({"watched": ["mill"]}, "watched process 'mill'"),
        ({"max_change": math.nan}, "max_change"),
        ({"periods": []}, "at least one period"),
    ],
)
def test_bad_replans_are_refused(kw: dict[str, object], message: str) -> None:
    args: dict[str, object] = {
        "periods": MONTHS,
        "measured": Measured(1),
        "floors": FLOORS,
        "groups": GROUPS,
        "caps": {"labour": 1200.0},
    }
    args.update(kw)
    with pytest.raises(PlanInputError, match=message):
        replan(BAKERY, **args)  # type: ignore[arg-type]


@settings(max_examples=150, deadline=None)
@given(
    done=st.integers(min_value=0, max_value=11),
    used=st.floats(min_value=0, max_value=3000),
    capacity=st.one_of(st.none(), st.floats(min_value=0, max_value=100)),
    last=st.floats(min_value=0, max_value=100),
    floor=st.floats(min_value=0, max_value=600),
    change=st.floats(min_value=0, max_value=1),
)
def test_every_period_meets_its_floors_or_raises_a_floor_at_risk(
    done: int, used: float, capacity: float | None, last: float, floor: float, change: float
) -> None:
    """Random shocks — hours used up, capacity lost, a workplace slowed down — never leave a
    period whose floors are short without a floor-at-risk certificate for it."""
    r = replan(
        BAKERY,
        periods=MONTHS,
        measured=Measured(
            done,
            used={"labour": used},
            activity={"farm": last},
            capacity={} if capacity is None else {"farm": capacity},
        ),
        floors={"bread": floor},
        groups=GROUPS,
        caps={"labour": 1600.0},
        watched=["farm"],
        max_change=change,
    )
    at_risk = {f.period: f for f in r.floors_at_risk}
    assert [p.period for p in r.periods] == MONTHS[done:]
    for p in r.periods:
        need = floor / 12
        if p.period in at_risk:
            f = at_risk[p.period]
            assert not p.floors_met
            assert 0 <= f.share_possible < 1
            assert f.shortfall["bread"] == pytest.approx(need * (1 - f.share_possible))
            assert p.floors_made["bread"] == pytest.approx(need * f.share_possible, abs=1e-6)
        else:
            assert p.floors_met
            assert p.floors_made.get("bread", 0.0) >= need * (1 - 1e-7) - 1e-9
