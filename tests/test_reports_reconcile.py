"""Reconciling a period's reports: balances hold, false reports are named, partners who agree on
a false figure are never blamed one for the other, and the whole runs from the ledger."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

import commonplan as cp
from commonplan.errors import PlanInputError
from commonplan.federation import add_members, create_federation
from commonplan.monitor.alerts import alerts_for
from commonplan.numerics.reconcile import sidak_critical
from commonplan.reports import ReportRow, file_reports
from commonplan.reports.reconcile import (
    STEPS,
    CouncilInfo,
    raise_suspect_alerts,
    reconcile,
    reconcile_round,
)
from commonplan.store import Database
from fixtures import ratified_round, small_federation, small_members

# grain is grown (1 hour a unit); bread is baked from half a unit of grain (2 hours a loaf)
BAKERY = cp.Economy.from_processes(
    [[0.0, 0.5], [0.0, 0.0]],
    makes=[0, 1],
    labour=[1.0, 2.0],
    products=["grain", "bread"],
    processes=["farm", "bakery"],
)
COUNCILS = {
    "Farm": CouncilInfo("workers", ("farm",)),
    "Bakery": CouncilInfo("workers", ("bakery",)),
    "Street": CouncilInfo("consumers"),
}


def period(grain: float = 50.0, **lie: float) -> list[ReportRow]:
    """One month as it happened (50 grain → 100 loaves), with ``lie`` replacing some figures."""
    v = {
        "farm_output": grain,
        "farm_delivery": grain,
        "farm_hours": grain,
        "bakery_receipt": grain,
        "bakery_input": grain,
        "bakery_output": 2 * grain,
        "bakery_delivery": 2 * grain,
        "bakery_hours": 4 * grain,
        "street_receipt": 2 * grain,
    } | lie
    return [
        ReportRow("Farm", "P", "output", v["farm_output"], "grain"),
        ReportRow("Farm", "P", "delivery", v["farm_delivery"], "grain", "Bakery"),
        ReportRow("Farm", "P", "hours", v["farm_hours"]),
        ReportRow("Bakery", "P", "receipt", v["bakery_receipt"], "grain", "Farm"),
        ReportRow("Bakery", "P", "input", v["bakery_input"], "grain"),
        ReportRow("Bakery", "P", "output", v["bakery_output"], "bread"),
        ReportRow("Bakery", "P", "delivery", v["bakery_delivery"], "bread", "Street"),
        ReportRow("Bakery", "P", "hours", v["bakery_hours"]),
        ReportRow(
            "Street", "P", "receipt", v["street_receipt"], "bread", "Bakery", source="receipts"
        ),
    ]


def test_true_reports_pass_and_stay_as_reported() -> None:
    r = reconcile(period(), BAKERY, councils=COUNCILS)
    assert r.passed and r.chi2 == pytest.approx(0.0, abs=1e-12)
    assert r.suspects == () and not any(c.flagged for c in r.checks)
    for c in r.checks:
        assert c.reconciled == pytest.approx(c.reported, rel=1e-9)
    assert r.redundancy > 0
    farm = next(w for w in r.workplaces if w.council == "Farm")
    assert farm.reconciled == pytest.approx(50.0) and farm.std_error > 0


def test_a_farm_that_inflates_its_harvest_and_deliveries_is_named_and_the_truth_recovered() -> None:
    """The Great Leap's lie: output and deliveries up 30 %, in agreement with each other; what
    arrived at the bakery and the hours worked give it away."""
    r = reconcile(period(farm_output=65.0, farm_delivery=65.0), BAKERY, councils=COUNCILS)
    assert not r.passed
    assert r.suspected_councils[0] == "Farm"
    first = r.suspects[0]
    assert first.together and {0, 1} <= set(first.reports)
    farm = next(w for w in r.workplaces if w.council == "Farm")
    assert farm.reconciled == pytest.approx(50.0, rel=1e-6)  # what was really grown
    assert "Farm's reports of what it made and sent are off together" in first.why


def test_a_single_false_report_is_named_alone() -> None:
    r = reconcile(period(bakery_hours=300.0), BAKERY, councils=COUNCILS)
    [suspect] = r.suspects
    assert suspect.reports == (7,) and suspect.council == "Bakery" and not suspect.together
    assert suspect.size == pytest.approx(100.0, rel=0.05)  # 300 reported, 200 worked


def test_a_hard_to_fake_measure_is_not_outvoted_by_those_who_agree_on_a_lie() -> None:
    """The bakery and the street's own report agree on 130 loaves; the till receipts say 100:
    the bakery's claims are named, never the receipts."""
    r = reconcile(period(bakery_output=130.0, bakery_delivery=130.0), BAKERY, councils=COUNCILS)
    assert r.suspected_councils[0] == "Bakery"
    assert all(8 not in s.reports for s in r.suspects)  # the receipts (row 8) stand
    bakery = next(w for w in r.workplaces if w.council == "Bakery")
    assert bakery.reconciled == pytest.approx(100.0, rel=1e-6)


def test_partners_who_agree_on_a_false_delivery_that_nothing_else_checks_are_not_blamed() -> None:
    """A delivery outside the network, reported the same by both ends: nothing contradicts it."""
    rows = [
        ReportRow("Farm", "P", "delivery", 80.0, "grain", "Street"),
        ReportRow("Street", "P", "receipt", 80.0, "grain", "Farm"),
    ]
    r = reconcile(rows, BAKERY, councils=COUNCILS)
    assert r.passed and r.suspects == ()
    # two reports of one flow check each other, and nothing else
    assert all(c.testable for c in r.checks)


def test_reports_nothing_can_check_are_listed_untestable() -> None:
    rows = [ReportRow("Street", "P", "receipt", 10.0, "bread")]  # from outside, reported once
    r = reconcile(rows, BAKERY, councils=COUNCILS)
    assert r.untestable == (0,) and r.redundancy == 0 and r.passed


def test_weakly_checked_reports_say_how_large_an_error_could_hide() -> None:
    """A delivery checked only by its partner's receipt: an error is caught 9 times in 10 from
    (c + Φ⁻¹(0.9)) √(σ₁² + σ₂²) on; a share of the amount above that is named weakly checked."""
    rows = [
        ReportRow("Farm", "P", "delivery", 80.0, "grain", "Street", sigma=2.0),
        ReportRow("Street", "P", "receipt", 80.0, "grain", "Farm", sigma=2.0),
    ]
    r = reconcile(rows, BAKERY, councils=COUNCILS)
    golden = (sidak_critical(0.05, 2) + stats.norm.ppf(0.9)) * np.hypot(2.0, 2.0)
    assert [c.detectable for c in r.checks] == pytest.approx([golden, golden], rel=1e-9)
    assert r.weakly_checked(share=golden / 80.0 * 1.01) == ()
    assert [c.index for c in r.weakly_checked(share=golden / 80.0 * 0.99)] == [0, 1]
    # a report nothing checks is untestable, not "weakly checked"
    lone = reconcile(
        [ReportRow("Street", "P", "receipt", 10.0, "bread")], BAKERY, councils=COUNCILS
    )
    assert lone.untestable == (0,) and lone.weakly_checked(share=0.0) == ()
    assert lone.checks[0].detectable == float("inf")


def test_progress_is_told_each_step_and_each_council_tested_in_each_round() -> None:
    """Two suspects, so three rounds of tests (0, 1, 2 named before), each half of what is left
    of testing's share (8 of 14) and split among the councils it tests: the first the bakery and
    the farm (the street's receipts are a hard measure), the others the bakery alone (the farm,
    named first, is out).  The bar only rises, ends at 1, and changes nothing of the result."""
    lies = period(farm_output=65.0, farm_delivery=65.0, bakery_hours=300.0)
    calls: list[tuple[float, str]] = []
    watched = reconcile(
        lies, BAKERY, councils=COUNCILS, on_progress=lambda f, s: calls.append((f, s))
    )
    assert len(watched.suspects) == 2
    fractions = [f for f, _ in calls]
    assert fractions == sorted(fractions) and fractions[0] == 0.0 and fractions[-1] == 1.0
    assert list(dict.fromkeys(s for _, s in calls)) == [name for name, _ in STEPS]
    testing = [14 * f for f, s in calls if s == "testing for suspects"]
    assert testing == pytest.approx([2.0, 2.0, 4.0, 6.0, 8.0])
    plain = reconcile(lies, BAKERY, councils=COUNCILS)
    assert watched.chi2 == plain.chi2 and watched.suspects == plain.suspects


def test_bad_input_names_what_is_wrong() -> None:
    unknown = r"report 1 \(Mill, hours\): council 'Mill' is not described"
    with pytest.raises(PlanInputError, match=unknown):
        reconcile([ReportRow("Mill", "P", "hours", 1.0)], BAKERY, councils=COUNCILS)
    with pytest.raises(PlanInputError, match="no reports for Q"):
        reconcile(period(), BAKERY, councils=COUNCILS, period="Q")
    with pytest.raises(PlanInputError, match="alpha"):
        reconcile(period(), BAKERY, councils=COUNCILS, alpha=1.5)


@settings(max_examples=60, deadline=None)
@given(
    grain=st.floats(min_value=1e-3, max_value=1e7),
    noise=st.lists(st.floats(min_value=-0.05, max_value=0.05), min_size=9, max_size=9),
)
def test_reconciled_flows_satisfy_every_balance(grain: float, noise: list[float]) -> None:
    rows = period(grain)
    noisy = [
        ReportRow(r.council, r.period, r.kind, r.amount * (1 + e), r.product, r.counterpart,
                  source=r.source)
        for r, e in zip(rows, noise, strict=True)
    ]  # fmt: skip
    r = reconcile(noisy, BAKERY, councils=COUNCILS)
    x = {c.index: c.reconciled for c in r.checks}
    scale = max(abs(v) for v in x.values())
    # both ends of each delivery agree; the bakery used what it received (output = deliveries +
    # own use + stock holds too, with the own use and stock the reconciliation estimates)
    named = {i for s in r.suspects for i in s.reports}
    for a, b in ((1, 3), (3, 4), (6, 8)):
        if not (np.isfinite(x[a]) and np.isfinite(x[b])):  # set aside, and nothing else tells
            assert {a, b} & named
            continue
        assert abs(x[a] - x[b]) <= 1e-9 * scale, (a, b)


# ---------------------------------------------------------------------- from the ledger


def test_a_period_reconciled_from_the_ledger_raises_alerts_to_the_council_first(
    database_url: str,
) -> None:
    db = Database(database_url)
    fed = create_federation(db, small_federation("A"))
    add_members(db, small_members("A"))
    r = ratified_round(db, fed)
    e = cp.demo_economy()
    a = float(e.inputs[e.product_index("A01"), e.processes.index("C10T12")])
    flour = 1000.0 * a  # grain the mill needs for 1,000 of food products
    l_farm = float(e.labour[e.processes.index("A01")])  # type: ignore[index]
    truth = {"grain": flour, "hours": l_farm * flour}
    lie = 1.3
    file_reports(
        db,
        r,
        [
            ReportRow("Farm A", "2027-01", "output", lie * truth["grain"], "A01"),
            ReportRow("Farm A", "2027-01", "delivery", lie * truth["grain"], "A01", "Mill A"),
            ReportRow("Farm A", "2027-01", "hours", truth["hours"]),
        ],
        actor="farmerA",
    )
    file_reports(
        db,
        r,
        [
            ReportRow("Mill A", "2027-01", "receipt", truth["grain"], "A01", "Farm A"),
            ReportRow("Mill A", "2027-01", "input", truth["grain"], "A01"),
            ReportRow("Mill A", "2027-01", "output", 1000.0, "C10T12"),
            ReportRow("Mill A", "2027-01", "delivery", 1000.0, "C10T12", "Street A"),
        ],
        actor="millerA",
    )
    file_reports(
        db,
        r,
        [
            ReportRow(
                "Street A", "2027-01", "receipt", 1000.0, "C10T12", "Mill A", source="receipts"
            )
        ],
        actor="neighbourA",
    )
    calls: list[tuple[float, str]] = []
    rec = reconcile_round(
        db, r, period="2027-01", viewer="millerA", on_progress=lambda f, s: calls.append((f, s))
    )
    assert rec.suspected_councils[0] == "Farm A"
    # reading the reports is the first tenth, reconciling the rest: rising to 1
    assert calls[0] == (0.0, "reading the reports") and calls[1] == (0.1, STEPS[0][0])
    assert [f for f, _ in calls] == sorted(f for f, _ in calls) and calls[-1][0] == 1.0
    assert rec.chi2 == reconcile_round(db, r, period="2027-01").chi2
    farm = next(w for w in rec.workplaces if w.council == "Farm A")
    assert farm.reconciled == pytest.approx(truth["grain"], rel=1e-6)
    assert all(c.report is not None for c in rec.checks)  # each check names its ledger row
    now = datetime(2027, 2, 2, tzinfo=UTC)
    ids = raise_suspect_alerts(db, r, rec, now=now)
    assert len(ids) == len(rec.suspects) >= 1
    [alert] = [a for a in alerts_for(db, "farmerA", now=now) if a.id == ids[0]]
    assert alert.council == "Farm A" and alert.source == "reconciliation"
    assert alerts_for(db, "millerA", now=now) == []  # the farm's first
    with pytest.raises(PlanInputError, match="not in the plan"):
        reconcile_round(db, r, period="2031-01")
    assert np.isfinite(rec.chi2)


_KINDS = st.sampled_from(["output", "delivery", "receipt", "input", "stock", "hours"])
_WHO = st.sampled_from(["Farm", "Bakery", "Street"])
_AMOUNT = st.one_of(
    st.just(0.0), st.floats(min_value=1e-9, max_value=1e12), st.floats(min_value=-1e3, max_value=0)
)


@settings(max_examples=300, deadline=None)
@given(
    rows=st.lists(
        st.tuples(
            _WHO,
            _KINDS,
            _AMOUNT,
            st.sampled_from(["grain", "bread"]),
            st.one_of(st.none(), _WHO),
            st.sampled_from(["workplace", "receipts", "meter"]),
        ),
        min_size=1,
        max_size=14,
    )
)
def test_any_set_of_reports_is_reconciled_or_refused_in_plain_words(
    rows: list[tuple[str, str, float, str, str | None, str]],
) -> None:
    """A generator that tries to break it: any councils, kinds, products, counterparts, zero and
    huge amounts.  Every set is reconciled (balances, finite tests) or refused with a
    PlanInputError — never another exception."""
    reports = [
        ReportRow(
            who,
            "P",
            kind,
            abs(amount) if kind != "stock" else amount,
            None if kind == "hours" else product,
            other if kind in ("delivery", "receipt") and other != who else None,
            source=source,
        )
        for who, kind, amount, product, other, source in rows
    ]
    try:
        r = reconcile(reports, BAKERY, councils=COUNCILS)
    except PlanInputError as exc:
        assert str(exc)
        return
    assert np.isfinite(r.chi2) and r.redundancy >= 0
    for c in r.checks:
        assert np.isfinite(c.reported)
