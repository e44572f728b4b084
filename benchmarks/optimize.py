"""Benchmark: optimal plans of large synthetic economies, the structured solver against HiGHS.

Economy: ``commonplan.synthetic_economy(n, techniques=2, resources=("co2", "land", "water"))``
— n products, 2n processes (two techniques per product), labour and three resources.  The plan
problem is ``commonplan.optimize``'s default objective, the largest common fulfilment of the
targets (its "households" final demand y), with floors of 30 % of y.  Three scenarios:

* ``labour``  — one cap: labour at 100 % of the hours the labour-cheapest plan for y needs.
* ``4 caps``  — that cap, and caps on co2, land and water at 80 % of what the labour-cheapest plan
                for y uses of each (so they bind and the technique mix has to change).
* ``50 capacities`` — the labour cap, and capacities on the 50 most active processes of the
                labour-cheapest plan at 90 % of their activity there.

The labour-cheapest plan is computed once per economy with
``commonplan.optimize(e, targets="households", objective="min_labour", method="structured")``;
its ``use`` gives the hours and the resources (in a forked child, so the economy the timed calls
get has never been priced).  Methods, side by side on the same economy:

* ``structured``         — ``method="structured"`` on a fresh economy: its first call, so the
                           one-time setup of ``economy.pricer`` (sorting the products) is timed
* ``structured (warm)``  — a second call on the same economy (pricer built)
* ``auto``               — ``method="auto"`` on a fresh economy (the solver its cost model picks)
* ``highs-ipm``          — HiGHS's interior point with its default crossover, under --time-limit
* ``highs``              — HiGHS's own choice (it picks the simplex, which did not finish in
                           600 s at n = 10^4)

"vs HiGHS" is the time over the fastest HiGHS run that finished (``highs`` or ``highs-ipm``):
``auto`` is meant never to be more than about 1.2× slower than HiGHS alone.

Seconds are wall time around the ``optimize`` call alone, inside the child (the economy is built
before, the numba kernels are compiled once in the parent).  "gap" is the certified relative gap
(the Lagrangian bound against the plan; for HiGHS, the bound at its prices).  "rel. diff" is
|objective − structured's| / structured's.  Every plan is checked independently of the solver:
the activity must be ≥ 0, the input use (``result.use``, and C z recomputed from the activity)
within the caps, the activity within the capacities, and the net output (``result.net_output``,
and (M − B) z recomputed) at least floors + fulfilment × targets, to a relative 1e-7; a
violation prints a FAIL line.  Each method runs in a forked child process, so "extra MiB" is its
own peak memory above the parent's (economy already built); the warm row runs in the same child
as the cold one.  The machine is shared, so the structured and auto rows are the median of
``--repeat`` children (each a cold and a warm call; "min–max" their spread, "worst vs HiGHS"
the slowest of them); HiGHS runs once.  Run::

    python benchmarks/optimize.py          # structured, auto at 10^3–10^6; HiGHS at 10^3, 10^4
    python benchmarks/optimize.py --quick  # n = 10^3 and 10^4 only
    python benchmarks/optimize.py --highs-sizes 10000,100000,1000000 --time-limit 1800
    python benchmarks/optimize.py --sizes 1000000 --highs-sizes "" --scenarios labour --repeat 5

Why "50 capacities" stopped uncertified (2 · 10⁵ processes: gap 7.1e-5 after 200 master solves,
and at 5 · 10³–10⁴ products gaps of 1–1.4e-4, so that ``auto`` asked HiGHS's interior point).
Traced on 10⁴ products (``method="structured"``, the same question; the best gap after k master
solves, on the shared machine under load, smoothing α of the dual prices):

=====================  ======  ======  =======  =======  =======  =====================
α (Wentges)            k=50    k=100   k=200    k=300    k=400    certified (≤ 1e-9) at
=====================  ======  ======  =======  =======  =======  =====================
0.5 (the default)      5.2e-3  8.9e-4  1.0e-4   1.1e-5   3.2e-7   474 solves, 27.9 s
0.8                    5.6e-3  9.3e-4  1.5e-5   2.7e-7   —        382 solves, 25.7 s
0.9                                    3.7e-5   (stopped at 200)
0.95                                   6.4e-5   (stopped at 200)
=====================  ======  ======  =======  =======  =======  =====================

No stall, no degenerate master and no tolerance at fault: the lower bound (the master) and the
upper bound (the Lagrangian) both move every solve, by a steadily shrinking step — the tail of
Kelley's cutting planes in 51 price dimensions (labour and 50 capacities): the optimum mixes two
techniques of each product with a binding capacity, so the master needs some 50 technique sets
at once, and each pricing adds one.  The gap falls about tenfold every 100 solves from 200 on.
On 10⁵ products (2 · 10⁵ processes) it was certified after 612 solves with α 0.5 (gap 6.9e-5
after 200, 1e-5 after 300, 2.1e-6 after 400, 4.3e-9 after 600; 302 s with the machine at a load
of 7, where 200 solves took 17.6 s on a quiet one) and after 413 with α 0.8 (189 s, load 6).  So
``optimize`` now gives the structured solver up to 1,000 master solves where nothing takes over
(``STRUCTURED_MAXITER_ALONE``: ``method="structured"``, and ``"auto"`` beyond 5 · 10⁴ processes) and
keeps 200 where HiGHS's interior point can (``auto`` up to 5 · 10⁴: at 5 · 10³ products the
structured solver needed 369–458 solves, 13–15 s under load, against 8.8 s for the interior point on
a quiet machine). ``method="structured"`` on 10³ products: 200 solves stopped at a gap of 1e-3 in
5.3–11.6 s, now certified after 403 in 8.5–13.4 s (two runs each, alternating; ``auto`` gives that
question to HiGHS: 1.0 s). Tried and left out: α 0.8 (382 solves instead of 474 here and 413 instead
of 612 on 10⁵ products, but 38 instead of 34 with four caps on 10⁵ products, the same 30 on 10⁴ — a
smoothing that grows with the capacities is a candidate); adding the sets priced at both the
smoothed and the master's duals every round (272 solves instead of 382, but each round prices twice:
17.6 s against 25.7 s here, slower with four caps); adding, with every set, its 50 neighbours that
switch one capacitated product's technique (certified after 119 solves, but 54 s).
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass, field
from functools import partial

import numpy as np
from rich.console import Console
from rich.table import Table

import commonplan as cp
from _common import Forked, in_child
from commonplan import Economy, OptimizeResult

TARGETS = "households"
RESOURCES = ("co2", "land", "water")
FLOOR_SHARE = 0.3  # floors: this share of the targets
RESOURCE_CAP_SHARE = 0.8  # "4 caps": this share of the labour-cheapest plan's use of each
CAPACITIES = 50  # "50 capacities": on this many of its most active processes
CAPACITY_SHARE = 0.9  # at this share of their activity there
CHECK_RTOL = 1e-7
GRACE_S = 120.0  # beyond the time limit (HiGHS's model build, the check) before a child is killed


@dataclass
class Run:
    """One timed ``optimize`` call, as the child reports it."""

    seconds: float
    objective: float
    gap: float
    status: str
    message: str
    failures: list[str] = field(default_factory=list)
    planned: bool = True  # False: the status gives no plan to check


def plan_failures(
    e: Economy,
    r: OptimizeResult,
    floors: np.ndarray,
    caps: dict[str, float],
    capacities: dict[str, float] | None = None,
) -> list[str]:
    """Every constraint the plan violates, described (empty if none)."""
    z, net = r.activity, r.net_output
    assert z is not None and net is not None
    y = np.asarray(e.final_demand[TARGETS])
    need = floors + r.fulfilment[TARGETS] * y
    scale = np.maximum(np.abs(need), 1.0)
    bad = []
    if (z < 0).any():
        bad.append(f"{int((z < 0).sum())} negative activities (least {z.min():.3g})")
    recomputed = np.bincount(e.makes, weights=z, minlength=e.n) - e.inputs @ z
    for what, v in (("net output", net), ("net output recomputed from z", recomputed)):
        short = (need - v) / scale
        if short.max() > CHECK_RTOL:
            i = int(np.argmax(short))
            bad.append(
                f"{what}: {int((short > CHECK_RTOL).sum())} products short of floor + "
                f"fulfilment × target, worst {e.products[i]} by {need[i] - v[i]:.3g}"
            )
    for name, cap in caps.items():
        for what, used in (("use", r.use[name]), ("use recomputed from z", e.direct(name) @ z)):
            if used > cap * (1 + CHECK_RTOL):
                bad.append(f"{name} {what} {used:.10g} above its cap {cap:.10g}")
    where = {p: k for k, p in enumerate(e.processes)}
    for name, most in (capacities or {}).items():
        if z[where[name]] > most * (1 + CHECK_RTOL):
            bad.append(f"process {name} at {z[where[name]]:.10g}, above its capacity {most:.10g}")
    return bad


def solve(
    e: Economy,
    method: str,
    floors: np.ndarray,
    caps: dict[str, float],
    time_limit: float | None = None,
    capacities: dict[str, float] | None = None,
) -> Run:
    started = time.perf_counter()
    r = cp.optimize(
        e,
        targets=TARGETS,
        floors=floors,
        caps=caps,
        capacities=capacities,
        method=method,
        time_limit=time_limit,
    )
    seconds = time.perf_counter() - started
    run = Run(
        seconds, r.objective_value, r.gap, r.status, r.message, planned=r.activity is not None
    )
    if run.planned:
        run.failures = plan_failures(e, r, floors, caps, capacities)
    return run


def cold_warm(
    e: Economy,
    method: str,
    floors: np.ndarray,
    caps: dict[str, float],
    capacities: dict[str, float] | None,
) -> tuple[Run, Run]:
    """The first call on a never-priced economy (setup included), then a second one."""
    if "pricer" in vars(e):
        raise RuntimeError("the economy's pricer is already built: the cold time would miss it")
    go = partial(solve, e, method, floors, caps, None, capacities)
    return go(), go()


def labour_cheapest_use(e: Economy) -> tuple[dict[str, float], dict[str, float]]:
    """What the labour-cheapest plan for the targets uses of labour and of each resource, and
    the activity of its :data:`CAPACITIES` most active processes."""
    r = cp.optimize(e, targets=TARGETS, objective="min_labour", method="structured")
    if not r.success or r.activity is None:
        raise RuntimeError(f"labour-cheapest plan: {r.status}: {r.message}")
    top = np.argsort(-r.activity)[:CAPACITIES]
    return dict(r.use), {e.processes[k]: float(r.activity[k]) for k in top}


def sizes(text: str) -> list[int]:
    return [int(s.replace("_", "")) for s in text.split(",") if s.strip()]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--sizes", type=sizes, default=[1_000, 10_000, 100_000, 1_000_000],
                    help="products n for structured and auto (comma-separated)")  # fmt: skip
    ap.add_argument("--highs-sizes", type=sizes, default=[1_000, 10_000],
                    help="products n for HiGHS (comma-separated)")  # fmt: skip
    ap.add_argument("--highs-methods", default="highs-ipm,highs",
                    help="HiGHS methods (comma-separated)")  # fmt: skip
    ap.add_argument("--time-limit", type=float, default=600.0, help="seconds HiGHS may take")
    ap.add_argument("--quick", action="store_true", help="n = 10^3 and 10^4 only")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--repeat", type=int, default=3,
                    help="children timing structured and auto (median shown)")  # fmt: skip
    ap.add_argument("--scenarios", default="labour,4 caps,50 capacities",
                    help='comma-separated: "labour", "4 caps", "50 capacities"')  # fmt: skip
    args = ap.parse_args()
    wanted = {w.strip() for w in args.scenarios.split(",")}
    if args.quick:
        args.sizes, args.highs_sizes = [1_000, 10_000], [1_000, 10_000]
    highs_methods = [m.strip() for m in args.highs_methods.split(",") if m.strip()]

    console = Console(width=190)
    table = Table(
        title="Optimal plans: max fulfilment of the households' demand, floors 30 % of it "
        "(synthetic economies, 2 techniques per product; 2-core machine)",
        caption="gap: certified relative gap.  vs HiGHS: seconds over the fastest HiGHS run "
        "(median; worst: the slowest run).  rel. diff: objective vs the structured solver's.  "
        "check: the plan against caps, capacities and floors, recomputed.",
    )
    columns = ("scenario", "n", "nonzeros", "method", "seconds", "min–max", "vs HiGHS",
               "worst vs HiGHS", "objective", "rel. diff", "gap", "status", "check",
               "extra MiB")  # fmt: skip
    for col in columns:
        table.add_column(
            col, justify="left" if col in ("scenario", "method", "status") else "right"
        )
    failures: list[str] = []

    # compile the kernels and load HiGHS outside the timings
    with console.status("warming up (numba kernels, HiGHS)"):
        warm = cp.synthetic_economy(3000, techniques=2, resources=RESOURCES)
        use, _ = labour_cheapest_use(warm)
        y = np.asarray(warm.final_demand[TARGETS])
        solve(warm, "structured", FLOOR_SHARE * y, {k: 0.9 * v for k, v in use.items()})
        tiny = cp.synthetic_economy(50, techniques=2, resources=RESOURCES)
        for method in highs_methods:
            solve(tiny, method, np.zeros(50), {"labour": 1e3})

    for n in sorted(set(args.sizes) | set(args.highs_sizes)):
        with console.status(f"building a synthetic economy of {n:,} products"):
            e = cp.synthetic_economy(n, techniques=2, seed=args.seed, resources=RESOURCES)
        y = np.asarray(e.final_demand[TARGETS])
        floors = FLOOR_SHARE * y
        with console.status(f"n = {n:,}: the labour-cheapest plan (for the caps)"):
            ref = in_child(partial(labour_cheapest_use, e))
        if ref.value is None:
            failures.append(f"FAIL n = {n:,}: labour-cheapest plan: {ref.error}")
            console.print(failures[-1])
            continue
        use, busiest = ref.value
        console.print(
            f"n = {n:,}: the labour-cheapest plan for the targets uses "
            + ", ".join(f"{k} {v:,.6g}" for k, v in use.items())
        )
        labour = {"labour": use["labour"]}
        scenarios: dict[str, tuple[dict[str, float], dict[str, float] | None]] = {
            "labour": (labour, None),
            "4 caps": (labour | {r: RESOURCE_CAP_SHARE * use[r] for r in RESOURCES}, None),
            "50 capacities": (labour, {k: CAPACITY_SHARE * v for k, v in busiest.items()}),
        }
        for scenario, (caps, capacities) in scenarios.items():
            if scenario not in wanted:
                continue
            rows = _timed_rows(e, n, scenario, floors, caps, capacities, highs_methods, args,
                               console)  # fmt: skip
            cold = rows[0][1]
            finished = [
                r.seconds
                for m, r, _, _, _ in rows
                if m.startswith("highs") and r is not None and r.status != "limit"
            ]
            best_highs = min(finished, default=float("nan"))
            for method, run, mib, err, runs in rows:
                cells = _cells(run, cold, err, args.time_limit, method.startswith("highs"))
                seconds = [x.seconds for x in runs]
                vs = worst = ""
                if run is not None and best_highs == best_highs and not method.startswith("h"):
                    vs = f"{run.seconds / best_highs:.3g}×"
                    worst = f"{max(seconds) / best_highs:.3g}×"
                spread = f"{min(seconds):.3g}–{max(seconds):.3g}" if len(seconds) > 1 else ""
                memory = "" if mib != mib else f"{mib:.0f}"
                table.add_row(scenario, f"{n:,}", f"{e.inputs.nnz:,}", method, cells[0], spread,
                              vs, worst, *cells[1:], memory)  # fmt: skip
                for msg in ([err] if err else []) + (run.failures if run else []):
                    failures.append(f"FAIL n = {n:,}, {scenario}, {method}: {msg}")
                    console.print(failures[-1])
            table.add_section()
        del e
    console.print(table)
    for line in failures:
        console.print(line)


Row = tuple[str, Run | None, float, str, list[Run]]


def _timed_rows(
    e: Economy,
    n: int,
    scenario: str,
    floors: np.ndarray,
    caps: dict[str, float],
    capacities: dict[str, float] | None,
    highs_methods: list[str],
    args: argparse.Namespace,
    console: Console,
) -> list[Row]:
    """structured (cold, warm) and auto: the median of ``--repeat`` children; HiGHS once."""
    rows: list[Row] = []
    for method in ("structured", "auto"):
        if n not in args.sizes:
            continue
        pairs: list[Forked[tuple[Run, Run]]] = []
        for r in range(args.repeat):
            with console.status(f"n = {n:,}, {scenario}: {method} (run {r + 1})"):
                pairs.append(in_child(partial(cold_warm, e, method, floors, caps, capacities)))
        done = [p.value for p in pairs if p.value is not None]
        cold, warm_run = _median_runs(done)
        errors = "; ".join(sorted({p.error for p in pairs if p.error}))
        mib = max((p.extra_mib for p in pairs if p.value is not None), default=float("nan"))
        rows.append((method, cold, mib, errors, [d[0] for d in done]))
        rows.append((f"{method} (warm)", warm_run, float("nan"), "", [d[1] for d in done]))
    if n in args.highs_sizes:
        for method in highs_methods:
            with console.status(f"n = {n:,}, {scenario}: {method}"):
                out = in_child(
                    partial(solve, e, method, floors, caps, args.time_limit, capacities),
                    timeout=args.time_limit + GRACE_S,
                )
            runs = [out.value] if out.value is not None else []
            rows.append((method, out.value, out.extra_mib, out.error, runs))
    return rows


def _median_runs(pairs: list[tuple[Run, Run]]) -> tuple[Run | None, Run | None]:
    """The cold and the warm run of median time (the upper median of an even count)."""
    if not pairs:
        return None, None
    cold = sorted((p[0] for p in pairs), key=lambda r: r.seconds)[len(pairs) // 2]
    warm = sorted((p[1] for p in pairs), key=lambda r: r.seconds)[len(pairs) // 2]
    return cold, warm


def _cells(
    run: Run | None, base: Run | None, err: str, time_limit: float, highs: bool
) -> list[str]:
    """seconds, objective, rel. diff, gap, status, check."""
    if run is None:
        status = "did not finish (killed)" if err.startswith("killed") else "failed"
        return ["", "", "", "", status, ""]
    finished = run.status != "limit" or not highs  # structured: "limit" = out of iterations
    objective = rel = ""
    if run.planned:
        objective = f"{run.objective:.10g}"
        if base is not None and base.planned and run is not base:
            rel = f"{abs(run.objective - base.objective) / abs(base.objective):.1e}"
    gap = f"{run.gap:.1e}" if run.planned else "—"
    status = run.status if finished else f"did not finish in {time_limit:g} s"
    if finished and run.status not in ("optimal", "infeasible", "unbounded"):
        status += f": {run.message}"
    check = ("FAIL" if run.failures else "ok") if run.planned else "—"
    return [f"{run.seconds:.3f}", objective, rel, gap, status, check]


if __name__ == "__main__":
    main()
