"""The famine case: procurement planned on inflated harvest reports, and on reconciled ones.

In 1958–60 communes reported harvests far above what they had grown, their procurement offices
agreed, and the state took its quota of the reported harvest.  What was left to eat was the true
harvest less a quota set on a false one: tens of millions starved.  This example replays that
with commonplan's reports (``python examples/leap.py``):

- five communes grow grain (1 hour of work a unit, the plan's labour coefficient), keep what
  their households need (the subsistence floor) and deliver the rest to the procurement office,
  which passes it on to the cities;
- every commune reports a harvest 30 % above the truth and a delivery to the office to match;
  the office reports receiving it — they agree on the lie;
- what cannot be faked so easily is reported too: the weighbridge's record of each cart that
  reached the office, the households' and the cities' receipts of grain (their own councils
  count what arrives) and the hours the communes worked.

Procurement next season takes the harvest less the floor.  Planned on the reported harvest, it
leaves every commune below its floor.  :func:`commonplan.reconcile` rejects the reports (the
hours and the receipts do not add up to the harvests claimed), names the communes and the
office, and estimates each harvest from what can be checked; procurement planned on the
reconciled estimate — on its prudent side, two standard errors below — leaves every floor whole.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

import commonplan as cp
from commonplan.reports import ReportRow
from commonplan.reports.reconcile import CouncilInfo

ECONOMY = cp.Economy.from_processes(
    [[0.0, 1.0], [0.0, 0.0]],  # procuring a unit of grain for the cities takes a unit of grain
    makes=[0, 1],
    labour=[1.0, 0.02],
    products=["grain", "procured"],
    processes=["farm", "procure"],
    name="a grain economy",
)
COMMUNES = 5
INFLATION = 1.30


@dataclass(frozen=True)
class Commune:
    name: str
    harvest: float  # what was really grown
    floor: float  # what its households need to eat
    reported: float
    reconciled: float
    std_error: float
    left_planned_on_reports: float  # grain left after procurement set on the reported harvest
    left_planned_on_reconciled: float


@dataclass(frozen=True)
class Outcome:
    communes: tuple[Commune, ...]
    passed: bool
    suspects: tuple[str, ...]
    reasons: tuple[str, ...]


def reports(rng: np.random.Generator) -> tuple[list[ReportRow], dict[str, tuple[float, float]]]:
    """One harvest's reports, and each commune's (true harvest, subsistence floor)."""
    rows: list[ReportRow] = []
    truth: dict[str, tuple[float, float]] = {}
    to_cities = 0.0
    for k in range(1, COMMUNES + 1):
        name = f"Commune {k}"
        harvest = float(rng.uniform(800, 1200))
        floor = 0.6 * harvest  # the households eat 60 % of a normal harvest
        truth[name] = (harvest, floor)
        claimed = INFLATION * harvest
        rows += [
            ReportRow(name, "1959", "output", claimed, "grain"),
            ReportRow(name, "1959", "delivery", floor, "grain", f"{name} households"),
            ReportRow(name, "1959", "delivery", claimed - floor, "grain", "Procurement office"),
            ReportRow(name, "1959", "hours", harvest * float(rng.normal(1.0, 0.03))),
            ReportRow("Procurement office", "1959", "receipt", claimed - floor, "grain", name),
            # the weighbridge at the office's gate weighs every cart: a hard-to-fake measure
            ReportRow(
                "Procurement office",
                "1959",
                "receipt",
                harvest - floor,
                "grain",
                name,
                source="freight",
            ),
            ReportRow(
                f"{name} households", "1959", "receipt", floor, "grain", name, source="receipts"
            ),
        ]
        to_cities += harvest - floor  # the grain that really reached the office
    received = sum(INFLATION * h - f for h, f in truth.values())
    rows += [
        ReportRow("Procurement office", "1959", "input", received, "grain"),
        ReportRow("Procurement office", "1959", "output", received, "procured"),
        ReportRow("Procurement office", "1959", "delivery", received, "procured", "Cities"),
        ReportRow("Cities", "1959", "receipt", to_cities, "procured", "Procurement office",
                  source="receipts"),
    ]  # fmt: skip
    return rows, truth


def councils() -> dict[str, CouncilInfo]:
    out = {"Procurement office": CouncilInfo("workers", ("procure",))}
    out["Cities"] = CouncilInfo("consumers")
    for k in range(1, COMMUNES + 1):
        out[f"Commune {k}"] = CouncilInfo("workers", ("farm",))
        out[f"Commune {k} households"] = CouncilInfo("consumers")
    return out


def run(seed: int = 1959) -> Outcome:
    rows, truth = reports(np.random.default_rng(seed))
    # grain farming's hours per tonne are known to within 5 % from year to year
    rec = cp.reconcile(rows, ECONOMY, councils=councils(), tolerance=0.05)
    estimate = {w.council: w for w in rec.workplaces if w.product == "grain"}
    communes = []
    for name, (harvest, floor) in truth.items():
        reported = INFLATION * harvest
        est = estimate[name]
        prudent = est.reconciled - 2 * est.std_error
        communes.append(
            Commune(
                name=name,
                harvest=harvest,
                floor=floor,
                reported=reported,
                reconciled=est.reconciled,
                std_error=est.std_error,
                left_planned_on_reports=harvest - (reported - floor),
                left_planned_on_reconciled=harvest - max(prudent - floor, 0.0),
            )
        )
    return Outcome(
        tuple(communes),
        rec.passed,
        rec.suspected_councils,
        tuple(s.why for s in rec.suspects),
    )


def main() -> None:
    out = run()
    print("Procurement next season = harvest − subsistence floor (tonnes of grain)\n")
    head = f"{'':11} {'grown':>6} {'floor':>6} {'reported':>9} {'reconciled':>14}"
    print(head + f" {'left if planned on':>30}")
    print(f"{'':50} {'reports':>9} {'reconciled':>11}")
    for c in out.communes:
        rec = f"{c.reconciled:,.0f} ± {c.std_error:,.0f}"
        print(
            f"{c.name:11} {c.harvest:6,.0f} {c.floor:6,.0f} {c.reported:9,.0f} {rec:>14}"
            f" {c.left_planned_on_reports:9,.0f} {c.left_planned_on_reconciled:11,.0f}"
        )
    short = sum(c.left_planned_on_reports < c.floor for c in out.communes)
    whole = sum(c.left_planned_on_reconciled >= c.floor for c in out.communes)
    print(f"\nplanned on the reports: {short} of {len(out.communes)} communes below their floor")
    print(f"planned on the reconciled harvests: {whole} of {len(out.communes)} floors whole")
    print("\nthe reports " + ("add up" if out.passed else "do not add up") + "; suspects:")
    for why in out.reasons:
        print(f"  - {why}")


if __name__ == "__main__":
    main()
