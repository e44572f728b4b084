"""A year of a running plan, simulated: ``python examples/simulate.py [PAGE.html]``.

A drought halves agriculture from month 4 and one care home inflates its reports by 30 % from
month 6.  :func:`commonplan.monitor.simulate.simulate` runs the year — reports with noise,
reconciliation, the watch of every workplace's series, alerts that go to the council first and
up the federation when nobody answers, and the rest of the year replanned every month from the
measured state, floors hard — and :func:`~commonplan.monitor.simulate.write_page` draws it.
"""

from __future__ import annotations

import sys

from commonplan.monitor.simulate import INFLATOR, simulate, write_page


def main(page: str = "simulate.html") -> None:
    sim = simulate(seed=0, progress=lambda m: print(f"month {m} done", file=sys.stderr))
    print("\n".join(sim.lines()))
    d, n = sim.drought_detected, sim.inflation_named
    if d is not None:
        print(
            f"\nthe drought (month {sim.drought_month}) was seen in {d['series']} in month "
            f"{d['month']}"
        )
    if n is not None:
        print(
            f"{INFLATOR} (inflating from month {sim.inflation_month}) was named by {n['by']} "
            f"in month {n['month']}; its unanswered alert escalated in month "
            f"{sim.inflator_escalated}"
        )
    print(f"page: {write_page(sim, page)}")


if __name__ == "__main__":
    main(*sys.argv[1:2])
