"""Benchmark: the Method of Equal Shares over approval ballots, commonplan against pabutools.

Election (synthetic, seeded): n voters, m projects; each voter approves 5–20 distinct projects
(uniformly many), drawn with Pareto(1.5)-distributed popularity, so a few projects are very
popular and most are not; costs are whole labour hours, lognormal around 50,000; the budget is
--budget-share (default 20 %) of the total cost, rounded to a whole hour.  Project ids are
``p0000`` …, so lexicographic ties go by index in both libraries.  Methods, side by side on the
same election:

* ``commonplan MES``   — :func:`commonplan.numerics.mes.equal_shares`, --utility (default cost),
                         ties lexicographic
* ``commonplan greedy``— :func:`commonplan.numerics.mes.greedy_by_votes` (most approvals first)
* ``pabutools MES``    — ``method_of_equal_shares(…, sat_class=Cost_Sat | Cardinality_Sat,
                         tie_breaking=lexico_tie_breaking)``: exact gmpy2 fractions, pure Python
* ``pabutools greedy`` — ``greedy_utilitarian_welfare(…, sat_class=Cost_Sat)`` (approvals first;
                         the projects nobody approves, which it adds last, are left out)

pabutools runs at --pabutools-voters (default 10,000: about 30 s) and, with --pabutools-full,
also at the full size (about 6 minutes); commonplan runs at both sizes.  "agrees" compares the
funded projects, in order, with the pabutools method of the same kind at the same size.
Seconds are wall time around the rule's call alone, inside the child (the election is built
before: for pabutools its Instance and ApprovalProfile, for commonplan the sparse matrix; the
numba kernels are compiled once in the parent).  Each method runs in a forked child process,
so "extra MiB" is its own peak memory above the parent's.  Run::

    python benchmarks/mes.py                       # commonplan at 10^5 × 1000, pabutools at 10^4
    python benchmarks/mes.py --pabutools-full      # pabutools at 10^5 × 1000 too (~6 min)
    python benchmarks/mes.py --voters 1000000 --utility approval
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np
import scipy.sparse as sp
from rich.console import Console
from rich.table import Table

from _common import in_child
from commonplan.numerics.mes import equal_shares, greedy_by_votes

TIME_LIMIT = 1800.0  # seconds before a pabutools child is killed


@dataclass(frozen=True)
class Election:
    approvals: sp.csr_array
    costs: np.ndarray
    budget: int
    ids: list[str]


@dataclass(frozen=True)
class Run:
    seconds: float
    funded: list[str]
    cost: float
    exact_rounds: int | None = None


def election(n: int, m: int, budget_share: float, seed: int) -> Election:
    """n voters approving 5–20 distinct projects each, Pareto popularity, lognormal costs."""
    rng = np.random.default_rng(seed)
    popularity = rng.pareto(1.5, m) + 1.0
    popularity /= popularity.sum()
    k = rng.integers(5, 21, n)
    rows = np.repeat(np.arange(n), k)
    cols = rng.choice(m, size=int(k.sum()), p=popularity)
    a = sp.csr_array((np.ones(len(rows)), (rows, cols)), shape=(n, m))
    a.sum_duplicates()  # a project drawn twice for a voter is one approval
    a.data[:] = 1.0
    costs = np.maximum(np.round(rng.lognormal(np.log(50_000), 1.0, m)), 1.0)
    budget = round(budget_share * float(costs.sum()))
    return Election(a, costs, budget, [f"p{j:04d}" for j in range(m)])


def ours_mes(e: Election, utility: str) -> Run:
    started = time.perf_counter()
    r = equal_shares(
        e.approvals, e.costs, e.budget, utility=utility, tie_break="lexicographic", projects=e.ids
    )
    return Run(time.perf_counter() - started, list(r.ids), r.total_cost, r.exact_rounds)


def ours_greedy(e: Election) -> Run:
    started = time.perf_counter()
    r = greedy_by_votes(e.approvals, e.costs, e.budget, tie_break="lexicographic", projects=e.ids)
    return Run(time.perf_counter() - started, list(r.ids), r.total_cost)


def pabutools_election(e: Election) -> tuple[Any, Any]:
    from pabutools.election import ApprovalBallot, ApprovalProfile, Instance, Project

    projects = [Project(p, int(c)) for p, c in zip(e.ids, e.costs, strict=True)]
    instance = Instance(projects, budget_limit=e.budget)
    a = e.approvals
    ballots = [
        ApprovalBallot([projects[j] for j in a.indices[a.indptr[i] : a.indptr[i + 1]]])
        for i in range(a.shape[0])
    ]
    return instance, ApprovalProfile(ballots, instance=instance)


def theirs_mes(instance: Any, profile: Any, utility: str) -> Run:
    from pabutools.election import Cardinality_Sat, Cost_Sat
    from pabutools.rules import method_of_equal_shares
    from pabutools.tiebreaking import lexico_tie_breaking

    sat = Cost_Sat if utility == "cost" else Cardinality_Sat
    started = time.perf_counter()
    out = method_of_equal_shares(instance, profile, sat_class=sat, tie_breaking=lexico_tie_breaking)
    seconds = time.perf_counter() - started
    return Run(seconds, [p.name for p in out], float(sum(p.cost for p in out)))


def theirs_greedy(instance: Any, profile: Any, e: Election) -> Run:
    from pabutools.election import Cost_Sat
    from pabutools.rules import greedy_utilitarian_welfare
    from pabutools.tiebreaking import lexico_tie_breaking

    started = time.perf_counter()
    out = greedy_utilitarian_welfare(
        instance, profile, sat_class=Cost_Sat, tie_breaking=lexico_tie_breaking
    )
    seconds = time.perf_counter() - started
    votes = dict(zip(e.ids, np.diff(sp.csc_array(e.approvals).indptr).tolist(), strict=True))
    funded = [p.name for p in out if votes[p.name] > 0]
    return Run(seconds, funded, float(sum(p.cost for p in out if votes[p.name] > 0)))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--voters", type=int, default=100_000, help="voters n (full size)")
    ap.add_argument("--projects", type=int, default=1_000, help="projects m")
    ap.add_argument("--pabutools-voters", type=int, default=10_000,
                    help="voters for the size pabutools runs at by default")  # fmt: skip
    ap.add_argument("--pabutools-full", action="store_true",
                    help="also run pabutools at the full size (about 6 minutes)")  # fmt: skip
    ap.add_argument("--utility", choices=["cost", "approval"], default="cost")
    ap.add_argument("--budget-share", type=float, default=0.2,
                    help="budget as a share of the total cost")  # fmt: skip
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    console = Console(width=150)
    table = Table(
        title=f"Method of Equal Shares ({args.utility} utility, no completion) and greedy by votes:"
        f" budget {args.budget_share:.0%} of the total cost (2-core machine)",
        caption="agrees: the same projects funded, in the same order, as the pabutools method of "
        "the same kind at the same size.  exact rounds: rounds commonplan decided in fractions.",
    )
    for col in ("voters", "projects", "approvals", "method", "seconds", "vs commonplan",
                "funded", "cost / budget", "exact rounds", "extra MiB", "agrees"):  # fmt: skip
        table.add_column(col, justify="left" if col in ("method", "agrees") else "right")

    with console.status("warming up (numba kernels)"):
        warm = election(200, 20, args.budget_share, 1)
        ours_mes(warm, args.utility)
        ours_greedy(warm)

    sizes = sorted({args.pabutools_voters, args.voters})
    failures: list[str] = []
    for n in sizes:
        with console.status(f"building an election of {n:,} voters × {args.projects:,} projects"):
            e = election(n, args.projects, args.budget_share, args.seed)
        rows: list[tuple[str, Run | None, float, str]] = []
        with console.status(f"n = {n:,}: commonplan"):
            out = in_child(partial(ours_mes, e, args.utility))
            rows.append(("commonplan MES", out.value, out.extra_mib, out.error))
            out = in_child(partial(ours_greedy, e))
            rows.append(("commonplan greedy", out.value, out.extra_mib, out.error))
        if n == args.pabutools_voters or args.pabutools_full:
            with console.status(f"n = {n:,}: building pabutools' Instance and ApprovalProfile"):
                instance, profile = pabutools_election(e)
            with console.status(f"n = {n:,}: pabutools MES (exact fractions, pure Python)"):
                out = in_child(partial(theirs_mes, instance, profile, args.utility), TIME_LIMIT)
                rows.append(("pabutools MES", out.value, out.extra_mib, out.error))
            with console.status(f"n = {n:,}: pabutools greedy"):
                out = in_child(partial(theirs_greedy, instance, profile, e), TIME_LIMIT)
                rows.append(("pabutools greedy", out.value, out.extra_mib, out.error))
            del instance, profile
        by_name = {name: run for name, run, _, _ in rows}
        base = by_name["commonplan MES"]
        for name, run, mib, err in rows:
            if run is None:
                table.add_row(f"{n:,}", f"{args.projects:,}", f"{e.approvals.nnz:,}", name,
                              "", "", "", "", "", "", f"failed: {err}")  # fmt: skip
                failures.append(f"FAIL n = {n:,}, {name}: {err}")
                continue
            kind = name.split()[-1]
            other = by_name.get(("pabutools " if name.startswith("commonplan") else "commonplan ")
                                + kind)  # fmt: skip
            agrees = "—" if other is None else ("yes" if other.funded == run.funded else "NO")
            if agrees == "NO":
                failures.append(f"FAIL n = {n:,}: {name} and its counterpart fund different sets")
            ratio = "" if base is None or run is base else f"{run.seconds / base.seconds:.3g}×"
            table.add_row(
                f"{n:,}", f"{args.projects:,}", f"{e.approvals.nnz:,}", name,
                f"{run.seconds:.3f}", ratio, f"{len(run.funded)}",
                f"{run.cost / e.budget:.3f}",
                "" if run.exact_rounds is None else str(run.exact_rounds),
                "" if mib != mib else f"{mib:.0f}", agrees,
            )  # fmt: skip
        table.add_section()
    console.print(table)
    for line in failures:
        console.print(line)


if __name__ == "__main__":
    main()
