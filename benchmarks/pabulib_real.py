"""Benchmark: completed equal shares on real PaBuLib elections, commonplan against pabutools.

Elections: tests/data/pabulib (see its README.md) — Wrocław 2020 (76 projects, 89,419
one-project ballots, budget 16,000,000) rebuilt from its vote counts, Łódź 2020 Koziny
(9 projects, 1,270 ballots of up to 5 approvals, budget 478,000), Warsaw 2017 Kamionek
(9 projects, 927 ballots of up to 7 approvals, budget 308,298.85) and Warsaw 2019 Targówek
Fabryczny (17 projects, 344 ballots of up to 16 approvals, budget 400,000).  The rule: equal
shares with every voter's share raised by 1 (money) at a time while the outcome fits and is not
exhaustive, then greedy by votes — commonplan's ``equal_shares_completed(…, increment=1)``
and pabutools' ``completion_by_rule_combination([method_of_equal_shares(
voter_budget_increment=1), greedy_utilitarian_welfare])``, ``Cost_Sat``, lexicographic ties.

Seconds are wall time around the rule's call alone (the files are parsed before: parse times
are printed apart).  "cold" is the first call in this process (for commonplan: numba kernels
loaded from their on-disk cache, or compiled if there is none); "median" and "worst" are over
--runs further calls.  pabutools runs on its ``ApprovalMultiProfile`` (identical ballots counted
once, with their multiplicity: the same election for its equal shares, 76 distinct ballots in
Wrocław, 182 in Koziny).  With --plain-profile it also runs on the one-ballot-per-voter
``ApprovalProfile`` that ``parse_pabulib`` returns: in full on the small elections; on Wrocław
one run of equal shares at the final share, times the number of shares tried, is printed as an
estimate (a full run takes hours).  --write-outcomes writes pabutools' outcomes (at B / n, raised,
completed; on its multiprofile) to tests/data/pabulib/pabutools_outcomes.json, which
tests/test_pabulib_real.py compares commonplan with.  Run::

    python benchmarks/pabulib_real.py                  # about a minute
    python benchmarks/pabulib_real.py --plain-profile  # about 3 more minutes
    python benchmarks/pabulib_real.py --write-outcomes
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from commonplan.numerics.mes import CompletedResult, equal_shares_completed  # noqa: E402
from commonplan.voting.pabulib import read_pb  # noqa: E402
from pabulib_instances import (  # noqa: E402
    INCREMENT,
    PABUTOOLS_OUTCOMES,
    TITLES,
    election_files,
    pabutools_completed,
)


def timed(fn: Callable[[], Any], runs: int) -> tuple[Any, float, list[float]]:
    """fn's value, its first call's seconds, and the seconds of ``runs`` more calls."""
    started = time.perf_counter()
    value = fn()
    cold = time.perf_counter() - started
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return value, cold, times


def plain_estimate(instance: Any, profile: Any, done: CompletedResult) -> float:
    """Seconds of pabutools' equal shares on the plain profile at the final share, times the
    number of shares the raising tries (B / n, each raise kept, and the one refused)."""
    from pabutools.election import Cost_Sat, Instance
    from pabutools.rules import method_of_equal_shares
    from pabutools.tiebreaking import lexico_tie_breaking

    n = profile.num_ballots()
    raised = Instance(list(instance), budget_limit=instance.budget_limit + done.steps * n)
    started = time.perf_counter()
    out = method_of_equal_shares(
        raised, profile, sat_class=Cost_Sat, tie_breaking=lexico_tie_breaking
    )
    seconds = time.perf_counter() - started
    assert [p.name for p in out] == list(done.mes.ids), "pabutools disagrees at the final share"
    return seconds * (done.steps + 2)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--runs", type=int, default=5, help="timed calls after the first (commonplan)")
    ap.add_argument("--pabutools-runs", type=int, default=2,
                    help="timed calls after the first (pabutools)")  # fmt: skip
    ap.add_argument("--plain-profile", action="store_true",
                    help="also time pabutools on one ballot per voter (see above)")  # fmt: skip
    ap.add_argument("--write-outcomes", action="store_true",
                    help="write pabutools' outcomes for tests/test_pabulib_real.py")  # fmt: skip
    args = ap.parse_args()

    from pabutools.election import parse_pabulib

    console = Console(width=150)
    table = Table(
        title="Equal shares completed (raise by 1 per voter, then greedy by votes) on real "
        "PaBuLib elections (2-core machine)",
        caption="agrees: the same projects funded, in the same order (equal shares', then the "
        "fill's), by both libraries.",
    )
    for col in ("election", "voters", "method", "cold s", "median s", "worst s", "raises",
                "funded", "cost / budget", "agrees"):  # fmt: skip
        table.add_column(col, justify="left" if col in ("election", "method") else "right")
    outcomes: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for key, path in election_files(Path(tmp)).items():
            name = TITLES[key]
            started = time.perf_counter()
            e = read_pb(path)
            ours_parse = time.perf_counter() - started
            started = time.perf_counter()
            instance, profile = parse_pabulib(str(path))
            theirs_parse = time.perf_counter() - started
            console.print(
                f"{name}: read_pb {ours_parse:.2f} s, pabutools' parse_pabulib {theirs_parse:.2f} s"
            )

            def ours(e: Any = e) -> CompletedResult:
                return equal_shares_completed(
                    e.approvals, e.costs, e.budget, increment=INCREMENT,
                    tie_break="lexicographic", projects=e.projects,
                )  # fmt: skip

            done, cold, times = timed(ours, args.runs)
            with console.status(f"{name}: pabutools"):
                oracle, t_cold, t_times = timed(
                    lambda i=instance, p=profile: pabutools_completed(i, p, plain=False),
                    args.pabutools_runs,
                )
            outcomes[key] = pabutools_completed(instance, profile)
            agrees = "yes" if list(done.ids) == oracle["completed"] else "NO"
            agrees += "" if list(done.mes.ids) == oracle["raised"] else " (equal shares' part NO)"
            n, shares = e.approvals.shape[0], f"{done.steps:,}"
            for method, c, ts in (("commonplan", cold, times),
                                  ("pabutools, multiprofile", t_cold, t_times)):  # fmt: skip
                table.add_row(
                    name, f"{n:,}", method, f"{c:.3f}", f"{statistics.median(ts):.3f}",
                    f"{max(ts):.3f}", shares, f"{len(done.ids)}",
                    f"{done.total_cost / e.budget:.4f}", agrees,
                )  # fmt: skip
            if args.plain_profile:
                if n <= 10_000:
                    with console.status(f"{name}: pabutools on the plain profile"):
                        started = time.perf_counter()
                        full = pabutools_completed(instance, profile, False, plain=False)
                        s = time.perf_counter() - started
                    ok = "yes" if full["completed"] == oracle["completed"] else "NO"
                    table.add_row(name, f"{n:,}", "pabutools, plain profile", f"{s:.1f}", "", "",
                                  shares, "", "", ok)  # fmt: skip
                else:
                    with console.status(f"{name}: one run of pabutools on the plain profile"):
                        s = plain_estimate(instance, profile, done)
                    table.add_row(name, f"{n:,}", "pabutools, plain profile (estimate)",
                                  f"≈ {s:,.0f}", "", "", shares, "", "", "")  # fmt: skip
            table.add_section()
    console.print(table)
    if args.write_outcomes:
        import pabutools

        PABUTOOLS_OUTCOMES.write_text(
            json.dumps({"pabutools": pabutools.__version__, "increment": INCREMENT,
                        "multiprofile": True, "elections": outcomes},
                       ensure_ascii=False, indent=1) + "\n",
            encoding="utf-8",
        )  # fmt: skip
        console.print(f"pabutools' outcomes written to {PABUTOOLS_OUTCOMES.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
