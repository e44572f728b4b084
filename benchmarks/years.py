"""Benchmark: five-year plans against one single-period plan, and against HiGHS on the whole LP.

Economy: ``commonplan.synthetic_economy(n, techniques=1)`` (n products, labour and CO2), capital
coefficients from :func:`commonplan.capital.derive_capital` (no capital data: the top tenth of
products by final demand are the capital goods, κ calibrated to their final demand).  The
question is :func:`commonplan.plan_years`'s default: 5 years, max-min consumption fulfilment,
labour capped at the hours of the base output, capacity at least kept, strategy "optimal".
Side by side on the same economy:

* ``optimize (1 year)``   — ``commonplan.optimize(e, targets="households", caps={"labour": hours})``
                             with the same hours: one single-period optimal plan (structured
                             solver, first call on a fresh economy: its setup is timed) — the
                             yardstick of the target "a 5-year plan in ≤ 10× one single-period
                             plan".
* ``plan_years``          — ``plan_years(e)``: the projected form (cutting planes over the yearly
                             aggregates), first call on a fresh economy (the Leontief operator's
                             preparation and the capital derivation are timed).
* ``plan_years (warm)``   — a second call in the same process.
* ``HiGHS full LP``       — the same plan's whole LP (z_t, c_t, J_t, N_t as columns, n balance
                             rows and m capacity rows per year) handed to HiGHS's interior point
                             (``solve_years(P, form="full", algorithm="ipm")``), under
                             --time-limit; with --highs-choice also HiGHS's own choice (simplex).
* ``HiGHS condensed LP``  — the LP with the balance rows substituted out (dense c_t, J_t columns),
                             interior point, under --time-limit (with --condensed).

Seconds are wall time around the call alone, in a forked child (the economy built before; the
numba kernels and HiGHS loaded once in the parent).  "vs 1 year" divides by the single-period
time.  "rel. diff": |objective − plan_years'| / plan_years'.  "check": every plan recomputed
with plain numpy from its z_t, N_t, K_t (balance, capacity, caps, stock-flow, end capacity) to a
relative 1e-7.  The machine is shared (2 cores): compare rows of one run, not runs.  Run::

    python benchmarks/years.py                       # n = 10^3 and 10^4
    python benchmarks/years.py --sizes 1000 --condensed --highs-choice
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
from _common import in_child
from commonplan.economy.model import Economy
from commonplan.numerics.multiyear import YearsProblem, YearsSolution, solve_years
from commonplan.plan.years import plan_years

CHECK_RTOL = 1e-7
GRACE_S = 120.0
YEARS = 5


@dataclass
class Run:
    seconds: float
    objective: float
    status: str
    failures: list[str] = field(default_factory=list)
    note: str = ""


def violations(P: YearsProblem, z: np.ndarray, c: np.ndarray, J: np.ndarray, N: np.ndarray,
               K: np.ndarray) -> list[str]:  # fmt: skip
    """The plan against every constraint, recomputed with plain numpy (empty: it holds)."""
    bad = []
    S, Q = P.S.toarray(), P.Q.toarray()
    keep = 1.0 - P.delta
    for t in range(P.T):
        made = np.bincount(P.makes, weights=z[t], minlength=P.n)
        net = made - P.beta[t] * (P.B @ z[t])
        need = P.f[t] + c[t] * P.Y[t] + S @ J[t]
        short = (need - net) / np.maximum(np.abs(need), 1.0)
        if short.max() > CHECK_RTOL:
            bad.append(f"year {t + 1}: net output short by {short.max():.2g} (relative)")
        over = (z[t] - K[t]) / np.maximum(K[t], 1.0)
        if over.max() > CHECK_RTOL:
            bad.append(f"year {t + 1}: activity above capacity by {over.max():.2g}")
        if (Q @ N[t] - J[t] > CHECK_RTOL * np.maximum(J[t], 1.0)).any():
            bad.append(f"year {t + 1}: more capital installed than set aside")
        used = P.gamma[t] * (P.C @ z[t])
        finite = np.isfinite(P.cap[t])
        if (used[finite] > P.cap[t][finite] * (1 + CHECK_RTOL)).any():
            bad.append(f"year {t + 1}: a cap is exceeded")
        arriving = P.pipeline[t] if t + 1 < P.lag else N[t + 1 - P.lag]
        if not np.allclose(K[t + 1], keep * K[t] + arriving, rtol=1e-10, atol=1e-12):
            bad.append(f"year {t + 1}: capacity does not follow the stock-flow rule")
    if ((P.K_end - K[P.T]) > CHECK_RTOL * np.maximum(P.K_end, 1.0)).any():
        bad.append("end capacity below the start's")
    if (z < -CHECK_RTOL).any() or (N < -CHECK_RTOL).any():
        bad.append("negative activity or investment")
    return bad


def single_period(e: Economy, hours: float) -> Run:
    started = time.perf_counter()
    r = cp.optimize(e, targets="households", caps={"labour": hours}, method="structured")
    return Run(time.perf_counter() - started, r.objective_value, r.status)


def years_cold_warm(e: Economy) -> tuple[Run, Run]:
    if "prepared" in vars(e):
        raise RuntimeError(
            "the economy's Leontief operator is prepared: the cold time would miss it"
        )
    out = []
    for _ in range(2):
        started = time.perf_counter()
        r = plan_years(e, years=YEARS)
        seconds = time.perf_counter() - started
        run = Run(seconds, r.objective_value, r.status, note=f"{r.iterations} master solves")
        if r.success:
            assert r.activity is not None and r.fulfilment is not None
            assert r.new_capacity is not None and r.capacity is not None
            assert r.set_aside is not None
            S = r.problem.S.toarray()  # capital goods set aside, back to asset types
            J = np.linalg.lstsq(S, r.set_aside.T, rcond=None)[0].T
            run.failures = violations(r.problem, r.activity, r.fulfilment, J, r.new_capacity,
                                      r.capacity) + r.check()  # fmt: skip
        out.append(run)
    return out[0], out[1]


def highs(P: YearsProblem, form: str, algorithm: str, time_limit: float) -> Run:
    started = time.perf_counter()
    s: YearsSolution = solve_years(P, form=form, algorithm=algorithm, time_limit=time_limit)
    size = f"{int(s.info.get('rows', 0)):,} rows, {int(s.info.get('nonzeros', 0)):,} nz"
    run = Run(time.perf_counter() - started, s.objective, s.status, note=size)
    if s.z is not None and s.c is not None and s.J is not None and s.N is not None:
        assert s.K is not None
        run.failures = violations(P, s.z, s.c, s.J, s.N, s.K)
    return run


def sizes(text: str) -> list[int]:
    return [int(s.replace("_", "")) for s in text.split(",") if s.strip()]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--sizes", type=sizes, default=[1_000, 10_000], help="products n")
    ap.add_argument("--highs-sizes", type=sizes, default=[1_000, 10_000],
                    help="products n for HiGHS on the full LP")  # fmt: skip
    ap.add_argument("--time-limit", type=float, default=300.0, help="seconds HiGHS may take")
    ap.add_argument("--highs-choice", action="store_true", help="also HiGHS's own choice (simplex)")
    ap.add_argument("--condensed", action="store_true", help="also HiGHS on the condensed LP")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    console = Console(width=170)
    table = Table(
        title=f"{YEARS}-year plans (max-min consumption, strategy optimal) against one "
        "single-period plan; synthetic economies, 1 technique per product; 2-core machine",
        caption="vs 1 year: seconds over the single-period plan's.  rel. diff: objective vs "
        "plan_years'.  check: the plan recomputed with numpy against every constraint.",
    )
    for col in ("n", "method", "seconds", "vs 1 year", "objective", "rel. diff", "status",
                "check", "extra MiB", "note"):  # fmt: skip
        table.add_column(col, justify="left" if col in ("method", "status", "note") else "right")
    failures: list[str] = []
    with console.status("warming up (numba kernels, HiGHS)"):
        warm = cp.synthetic_economy(3000, seed=1)
        plan_years(warm, years=2)
        single_period(warm, 1e9)
        plan_years(cp.synthetic_economy(30, seed=1), years=2, method="full")
    verdicts = []
    for n in args.sizes:
        with console.status(f"building a synthetic economy of {n:,} products"):
            e = cp.synthetic_economy(n, seed=args.seed)
            ref = cp.synthetic_economy(n, seed=args.seed)  # for the LP arrays, in the parent
            base = plan_years(ref, years=YEARS)
            P = base.problem
            hours = float(P.cap[0, 0])
        rows = []
        with console.status(f"n = {n:,}: one single-period plan"):
            one = in_child(partial(single_period, e, hours))
        rows.append(("optimize (1 year)", one.value, one.extra_mib, one.error))
        with console.status(f"n = {n:,}: plan_years"):
            cw = in_child(partial(years_cold_warm, e))
        cold, warm_run = cw.value if cw.value is not None else (None, None)
        rows += [("plan_years", cold, cw.extra_mib, cw.error),
                 ("plan_years (warm)", warm_run, float("nan"), "")]  # fmt: skip
        if n in args.highs_sizes:
            runs = [("full", "ipm")] + ([("full", "choose")] if args.highs_choice else [])
            runs += [("condensed", "ipm")] if args.condensed else []
            for form, algorithm in runs:
                name = f"HiGHS {form} LP ({'ipm' if algorithm == 'ipm' else 'its choice'})"
                with console.status(f"n = {n:,}: {name}"):
                    out = in_child(partial(highs, P, form, algorithm, args.time_limit),
                                   timeout=args.time_limit + GRACE_S)  # fmt: skip
                rows.append((name, out.value, out.extra_mib, out.error))
        yard = one.value.seconds if one.value is not None else float("nan")
        for method, run, mib, err in rows:
            table.add_row(f"{n:,}", method, *_cells(run, cold, yard, err, args.time_limit),
                          "" if mib != mib else f"{mib:.0f}", run.note if run else "")  # fmt: skip
            for msg in ([err] if err else []) + (run.failures if run else []):
                failures.append(f"FAIL n = {n:,}, {method}: {msg}")
                console.print(failures[-1])
        table.add_section()
        if cold is not None and one.value is not None:
            ratio = cold.seconds / one.value.seconds
            verdicts.append(
                f"n = {n:,}: a {YEARS}-year plan took {ratio:.3g}× one single-period plan "
                f"({cold.seconds:.3f} s against {one.value.seconds:.3f} s): target ≤ 10× "
                + ("met" if ratio <= 10 else "NOT met")
            )
    console.print(table)
    for line in verdicts + failures:
        console.print(line)


def _cells(run: Run | None, ref: Run | None, yard: float, err: str, limit: float) -> list[str]:
    """seconds, vs 1 year, objective, rel. diff, status, check."""
    if run is None:
        status = f"did not finish in {limit:g} s (killed)" if err.startswith("killed") else "failed"
        return ["", "", "", "", status, ""]
    done = run.status != "limit"
    ratio = f"{'' if done else '> '}{run.seconds / yard:.3g}×" if yard == yard else ""
    objective = f"{run.objective:.10g}" if np.isfinite(run.objective) else ""
    rel = ""
    if ref is not None and run is not ref and np.isfinite(run.objective) and ref.objective:
        rel = f"{abs(run.objective - ref.objective) / abs(ref.objective):.1e}"
    if ref is not None and run.objective == ref.objective and run is not ref:
        rel = "0"
    status = run.status if done else f"did not finish in {limit:g} s"
    check = ("FAIL" if run.failures else "ok") if np.isfinite(run.objective) else "—"
    return [f"{run.seconds:.3f}", ratio, objective, rel, status, check]


if __name__ == "__main__":
    main()
