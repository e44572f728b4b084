"""The plausibility screens over a round's reports: each flags a planted pattern and not a clean
one, says why where it cannot judge, and raises its alerts to the council first."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pytest

from commonplan.federation import add_members, create_federation
from commonplan.monitor.alerts import alerts_for
from commonplan.reports import ReportRow, file_reports
from commonplan.reports.ledger import StoredReport
from commonplan.reports.screening import (
    SECTOR,
    Finding,
    Screening,
    raise_screen_alerts,
    screen_period,
    screen_reports,
)
from commonplan.store import Database
from fixtures import plan_drafts, ratified_round, small_federation, small_members

PERIODS = [f"2027-{m:02d}" for m in range(1, 13)]
_ids = itertools.count(1)


def rep(council: str, period: str, kind: str, amount: float, product: str | None = None,
        counterpart: str | None = None, *, source: str = "workplace",
        dekad: int | None = None) -> StoredReport:  # fmt: skip
    return StoredReport(
        id=next(_ids), round=1, batch=1, council=council, period=period, kind=kind,
        product=product, counterpart=counterpart, amount=amount, unit="u", sigma=None,
        source=source, dekad=dekad, revises=None, reason=None, current=True,
    )  # fmt: skip


def screen(reports: list[StoredReport], period: str = "2027-12", **kw: Any) -> Screening:
    farms = {f"Farm {k}": ("farm",) for k in range(7)}
    args: dict[str, Any] = {
        "period": period,
        "periods": PERIODS,
        "councils": farms | {"Mill": ("mill",)},
        "makes": {"farm": "grain", "mill": "flour"},
        "labour": {"farm": 2.0, "mill": 1.0},
        "planned": {"farm": 100.0, "mill": 50.0},
        "label": lambda p: {"grain": "Grain", "flour": "Flour"}[p],
    } | kw
    return screen_reports(reports, **args)


def one(s: Screening, council: str, name: str) -> Finding:
    [f] = [f for f in s.councils.get(council, ()) if f.screen == name]
    return f


def test_fulfilment_bunched_just_above_the_plan_is_flagged_and_a_spread_is_not() -> None:
    bunched = [rep("Farm 0", p, "output", 100.5 + k % 3 * 0.3, "grain") for k, p in
               enumerate(PERIODS)]  # fmt: skip
    f = one(screen(bunched), "Farm 0", "bunching")
    assert f.applicable and f.flagged and f.p_value < 0.01
    assert f.reason.startswith("Farm 0, Grain:") and "just above" in f.reason
    rng = np.random.default_rng(1)
    spread = [rep("Farm 0", p, "output", float(rng.uniform(85, 115)), "grain") for p in PERIODS]
    assert not one(screen(spread), "Farm 0", "bunching").flagged
    ratios = [99.0, 100.5, 99.5, 101.0, 98.5, 100.2] * 2
    near = [rep("Farm 0", p, "output", v, "grain") for p, v in zip(PERIODS, ratios, strict=True)]
    assert not one(screen(near), "Farm 0", "bunching").flagged
    # no final plan: not applicable, saying so
    f = one(screen(bunched, planned=None), "Farm 0", "bunching")
    assert not f.applicable and not f.flagged and "no final plan" in f.reason
    assert np.isnan(f.statistic) and f.to_dict()["statistic"] is None


def test_storming_from_dekad_reports() -> None:
    stormed = [rep("Mill", p, "output", v, "flour", dekad=d)
               for p in PERIODS[:4] for d, v in ((1, 10.0), (2, 15.0), (3, 40.0))]  # fmt: skip
    f = one(screen(stormed), "Mill", "storming")
    assert f.applicable and f.flagged and f.statistic > 0.5 and "Mill, Flour" in f.reason
    pace = ((1, 20.0), (2, 21.0), (3, 19.0))
    even = [rep("Mill", p, "output", v + k, "flour", dekad=d)
            for k, p in enumerate(PERIODS[:4]) for d, v in pace]  # fmt: skip
    assert not one(screen(even), "Mill", "storming").flagged
    f = one(screen(stormed[:3]), "Mill", "storming")
    assert not f.applicable and "need at least 2" in f.reason


def test_heaping_and_round_numbers_over_a_councils_own_reports() -> None:
    rng = np.random.default_rng(2)
    # two in three figures invented in hundreds, the rest counted
    heaped = [rep("Mill", p, "delivery", float(rng.integers(20, 200)) * 100.0
                  if k < 3 else float(rng.integers(2000, 20000)), "flour", f"C{k}")
              for p in PERIODS for k in range(5)]  # fmt: skip
    s = screen(heaped)
    assert one(s, "Mill", "last-digit heaping").flagged
    assert one(s, "Mill", "round numbers").flagged
    clean = [rep("Mill", p, "delivery", float(rng.integers(2000, 20000)), "flour", f"C{k}")
             for p in PERIODS for k in range(5)]  # fmt: skip
    s = screen(clean)
    assert not one(s, "Mill", "last-digit heaping").flagged
    assert not one(s, "Mill", "round numbers").flagged
    few = screen(clean[:10])
    f = one(few, "Mill", "last-digit heaping")
    assert not f.applicable and "need at least 50" in f.reason


def farms_hours(worst: float) -> list[StoredReport]:
    out = []
    for k in range(7):
        out.append(rep(f"Farm {k}", "2027-12", "output", 100.0, "grain"))
        per_unit = worst if k == 0 else 2.0 + 0.05 * (k - 3)
        out.append(rep(f"Farm {k}", "2027-12", "hours", per_unit * 100.0))
    return out


def test_hours_per_unit_far_from_the_other_workplaces_of_the_process() -> None:
    f = one(screen(farms_hours(4.0)), "Farm 0", "hours per unit")
    assert f.applicable and f.flagged and f.statistic > 3.5
    assert "Farm 0, Grain" in f.reason and "plan: 2" in f.reason
    assert not one(screen(farms_hours(2.02)), "Farm 0", "hours per unit").flagged
    f = one(screen(farms_hours(4.0)[:6]), "Farm 0", "hours per unit")
    assert not f.applicable and "need at least 5" in f.reason
    f = one(screen(farms_hours(4.0)), "Mill", "hours per unit")
    assert not f.applicable and "no hours and output" in f.reason


def test_a_self_report_against_the_receipts_of_the_same_flow() -> None:
    lie = [
        rep("Mill", "2027-12", "delivery", 130.0, "flour", "Street"),
        rep("Street", "2027-12", "receipt", 100.0, "flour", "Mill", source="receipts"),
    ]
    f = one(screen(lie), "Mill", "hard measure")
    assert f.flagged and "receipts" in f.reason and "Mill, Flour" in f.reason
    truth = [lie[0], rep("Street", "2027-12", "receipt", 129.0, "flour", "Mill",
                         source="receipts")]  # fmt: skip
    assert not one(screen(truth), "Mill", "hard measure").flagged


def test_benford_at_sector_level_only_where_the_numbers_span_orders() -> None:
    rng = np.random.default_rng(3)
    wide = 10 ** rng.uniform(0, 4, 400)  # log-uniform: Benford's law holds
    made = [rep(f"W{k}", "2027-12", "output", float(v), "grain") for k, v in enumerate(wide)]
    f = one(screen(made, councils={}), SECTOR, "Benford")
    assert f.applicable and not f.flagged and f.reason.startswith("the sector:")
    fake = [rep(f"W{k}", "2027-12", "output", float(v), "grain")
            for k, v in enumerate(rng.uniform(10, 9999, 400))]  # fmt: skip
    assert one(screen(fake, councils={}), SECTOR, "Benford").flagged
    narrow = [rep(f"W{k}", "2027-12", "output", float(v), "grain")
              for k, v in enumerate(rng.uniform(100, 300, 400))]  # fmt: skip
    f = one(screen(narrow, councils={}), SECTOR, "Benford")
    assert not f.applicable and "does not apply" in f.reason


def test_screening_a_round_from_the_ledger_raises_alerts_to_the_council(database_url: str) -> None:
    db = Database(database_url)
    fed = create_federation(db, small_federation("S"))
    add_members(db, small_members("S"))
    r = ratified_round(db, fed)
    plan_drafts(db, r)
    file_reports(
        db,
        r,
        [
            ReportRow("Mill S", "2027-01", "delivery", 130.0, "C10T12", "Street S"),
            ReportRow("Farm S", "2027-01", "output", 1000.0, "A01"),
        ],
        actor="facilitatorS",
    )
    file_reports(
        db,
        r,
        [ReportRow("Street S", "2027-01", "receipt", 100.0, "C10T12", "Mill S",
                   source="receipts")],
        actor="neighbourS",
    )  # fmt: skip
    s = screen_period(db, r, period="2027-01", viewer="millerS")
    gap = one(s, "Mill S", "hard measure")
    assert gap.flagged and "Mill S" in gap.reason
    bunch = one(s, "Farm S", "bunching")
    assert not bunch.applicable and "Farm S" in bunch.reason  # one period: too few ratios
    now = datetime(2027, 2, 2, tzinfo=UTC)
    ids = raise_screen_alerts(db, r, s, now=now)
    assert len(ids) == len(s.flagged) >= 1
    [alert] = [a for a in alerts_for(db, "millerS", now=now) if a.id == ids[0]]
    assert alert.source == "screen" and alert.council == "Mill S"
    assert raise_screen_alerts(db, r, s, now=now) == ids  # not raised twice
    with pytest.raises(Exception, match="not in the plan"):
        screen_period(db, r, period="2031-01")
