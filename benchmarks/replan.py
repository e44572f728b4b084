"""Benchmark: the rolling replan of the remaining 11 months of a monthly plan.

Economy: ``commonplan.synthetic_economy(n)`` (n products, one technique each, labour and CO2).
The ratified year: floors of 30 % of the "households" final demand y (× 12 months), the
collective group 10 % of y and the private group 60 % of y (both × 12), labour capped at 95 % of
the hours floors and both groups would need (so the private group gives way), CO2 uncapped.
Reality after month 1: the hours used are a twelfth of the cap, 50 processes are the
federation's workplaces (watched: their pace may rise 20 % a month), their activity last month
was 80 % of what the plan needs, and a drought halved the capacity of 5 of them.

``commonplan.monitor.replan.replan`` then re-solves months 2–12: per month the floors, then each
group in priority order (one ``optimize`` call each); months whose problem repeats the month
before reuse its plan.  Beside it, the obvious alternative: the same per-month problems solved
by HiGHS's interior point (``method="highs-ipm"``), which the structured solver's speed is
measured against elsewhere too.  "cold" is the first replan on a freshly built economy (its
pricer is built inside the call), "warm" a second replan on the same economy; each in a forked
child.  Every period's plan is checked: its floors met (net output ≥ floors, recomputed from the
activity) or a floor-at-risk certificate for it.

    python benchmarks/replan.py                  # n = 10^4 (and HiGHS beside it)
    python benchmarks/replan.py --sizes 1000000 --highs-sizes ""

Measured (``--sizes 2000,10000,1000000 --highs-sizes 2000 --repeat 3``, the 2-core machine shared
with other work; seconds for the whole rest of the year, 11 months):

=========  =================  ===========  ==========  ===========  ==========  ========
products   method             cold median  cold worst  warm median  warm worst  distinct
=========  =================  ===========  ==========  ===========  ==========  ========
2,000      structured (auto)  2.93         4.12        3.74         4.16        2
2,000      highs-ipm          21.19        21.19       21.92        21.92       3
10,000     structured (auto)  0.12         0.16        0.11         0.13        2
1,000,000  structured (auto)  52.88        54.43       38.50        54.20       2
=========  =================  ===========  ==========  ===========  ==========  ========

Targets: 10⁴ products ≤ 5 s (0.12 s), 10⁶ ≤ 60 s (53 s cold, 54 s at worst: within, with little
margin on a busy machine).  Every period's floors checked: ok.  At 2,000 products the dense LU of
each Leontief solve dominates (18 of them); at 10⁴ the sweeps are sparse.  The 50 workplaces'
pace bounds become rows of the structured solver's master only where they bind; with HiGHS (what
``method="auto"`` picks for more than 16 capacities) one month at 10⁴ products took 120 s.
"""

from __future__ import annotations

import argparse
import statistics
import time
from typing import Any

import numpy as np
from rich.console import Console
from rich.table import Table

import commonplan as cp
from _common import in_child
from commonplan.monitor.replan import Measured, Replan, replan
from commonplan.plan.optimize import TargetGroup

MONTHS = [f"2027-{m:02d}" for m in range(1, 13)]


def scenario(n: int, seed: int = 0) -> tuple[cp.Economy, dict[str, Any]]:
    e = cp.synthetic_economy(n, seed=seed)
    y = np.asarray(e.final_demand["households"])
    codes = e.products

    def amounts(share: float) -> dict[str, float]:
        return {codes[i]: float(v) * share * 12 for i, v in enumerate(y) if v > 0}

    floors, collective, private = amounts(0.3), amounts(0.1), amounts(0.6)
    full = cp.optimize(
        e, targets={k: v / 12 for k, v in amounts(1.0).items()}, objective="min_labour"
    )
    hours_month = 0.95 * float(full.use["labour"])
    rng = np.random.default_rng(seed)
    watched = [e.processes[j] for j in rng.choice(e.m, size=min(50, e.m), replace=False)]
    assert full.activity is not None
    where = {p: j for j, p in enumerate(e.processes)}
    last = {p: 0.8 * float(full.activity[where[p]]) for p in watched}
    drought = {p: 0.5 * last[p] / 0.8 for p in watched[:5]}
    kw = {
        "periods": MONTHS,
        "measured": Measured(1, used={"labour": hours_month}, activity=last, capacity=drought),
        "floors": floors,
        "groups": [TargetGroup("collective", collective), TargetGroup("private", private)],
        "caps": {"labour": 12 * hours_month},
        "watched": watched,
    }
    return e, kw


def failures(e: cp.Economy, r: Replan, floors: dict[str, float]) -> list[str]:
    """Periods whose floors are short without a floor-at-risk certificate."""
    risky = {f.period for f in r.floors_at_risk}
    out = []
    for p in r.periods:
        if p.period in risky:
            continue
        short = [k for k, v in floors.items() if p.floors_made.get(k, 0.0) < v / 12 * (1 - 1e-7)]
        if short:
            out.append(f"{p.period}: floors of {short[:3]} short, no certificate")
    return out


def timed(n: int, method: str) -> dict[str, Any]:
    e, kw = scenario(n)
    out: dict[str, Any] = {}
    for label in ("cold", "warm"):
        t = time.perf_counter()
        r = replan(e, method=method, **kw)
        out[label] = time.perf_counter() - t
    out["solves"] = sum(not p.reused for p in r.periods)
    out["at_risk"] = len(r.floors_at_risk)
    out["private"] = statistics.mean(p.fulfilment.get("private", 0.0) for p in r.periods)
    out["failures"] = failures(e, r, kw["floors"])
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default="10000")
    ap.add_argument("--highs-sizes", default="10000")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--timeout", type=float, default=900.0)
    a = ap.parse_args()
    table = Table(title="replan: months 2–12 of a monthly plan")
    for col in (
        "products",
        "method",
        "cold s (median)",
        "cold worst",
        "warm s (median)",
        "warm worst",
        "distinct solves",
        "months at risk",
        "private met",
        "check",
    ):
        table.add_column(col)
    sizes = [int(s) for s in a.sizes.split(",") if s]
    highs = {int(s) for s in a.highs_sizes.split(",") if s}
    for n in sizes:
        for method in ["auto"] + (["highs-ipm"] if n in highs else []):
            runs = []
            for _ in range(a.repeat if method == "auto" else 1):
                got = in_child(lambda n=n, m=method: timed(n, m), timeout=a.timeout)
                if got.ok and got.value is not None:
                    runs.append(got.value)
                else:
                    table.add_row(f"{n:,}", method, got.error, "", "", "", "", "", "", "")
                    break
            if not runs:
                continue
            cold = [r["cold"] for r in runs]
            warm = [r["warm"] for r in runs]
            fails = [f for r in runs for f in r["failures"]]
            table.add_row(
                f"{n:,}",
                "structured (auto)" if method == "auto" else method,
                f"{statistics.median(cold):.2f}",
                f"{max(cold):.2f}",
                f"{statistics.median(warm):.2f}",
                f"{max(warm):.2f}",
                str(runs[0]["solves"]),
                str(runs[0]["at_risk"]),
                f"{runs[0]['private']:.1%}",
                "ok" if not fails else "FAIL: " + fails[0],
            )
    Console(width=160).print(table)


if __name__ == "__main__":
    main()
