"""1,000 generated plan problems (commonplan.plan.stress) against an independent HiGHS model:
ties and exact copies of techniques, ρ near 1, units over twelve orders of magnitude, capacities,
weighted groups with ceilings, least labour, infeasible floors.  Zero exceptions; the same status;
objectives within 1e-7; every plan feasible; every conflicting set infeasible and minimal.
``python benchmarks/plan_cases.py`` runs the larger batch (bigger economies, more seeds)."""

from __future__ import annotations

import numpy as np
import pytest

import commonplan as cp
from commonplan.plan.stress import conflict_holds, plan_case, referee

BATCHES = 8
PER_BATCH = 125  # 1,000 in all


def _feasible(case: cp.OptimizeResult, c: object) -> list[str]:
    """The plan's violations, recomputed from the public arrays."""
    e = c.economy  # type: ignore[attr-defined]
    kw = c.kwargs  # type: ignore[attr-defined]
    assert case.activity is not None and case.net_output is not None
    z = case.activity
    made = np.bincount(e.makes, weights=z, minlength=e.n) - e.inputs @ z
    bad = []
    if not np.allclose(made, case.net_output, rtol=1e-9, atol=1e-9 * np.abs(made).max()):
        bad.append("net output is not (M − B) z")
    floors = np.asarray(kw.get("floors", np.zeros(e.n)), dtype=np.float64)
    short = floors - made
    room = 1e-7 * np.maximum(floors, np.abs(made)) + 1e-12 * float(np.abs(made).max())
    if (short > room).any():
        bad.append(f"floors short by up to {short.max():.3g}")
    for name, cap in dict(kw.get("caps") or {}).items():
        if float(e.direct(name) @ z) > cap * (1 + 1e-7):
            bad.append(f"{name} above its cap")
    if (z < -1e-9 * max(1.0, float(np.abs(z).max()))).any():
        bad.append("negative activity")
    return bad


@pytest.mark.parametrize("batch", range(BATCHES))
def test_generated_plans_agree_with_an_independent_model(batch: int) -> None:
    seen: dict[str, int] = {}
    for seed in range(batch * PER_BATCH, (batch + 1) * PER_BATCH):
        c = plan_case(seed, n_max=80)
        r = cp.optimize(c.economy, **c.kwargs)  # any exception fails the test: valid input
        ref = referee(c)
        where = f"seed {seed} ({c.kind}, n={c.economy.n}, {c.kwargs['objective']})"
        assert r.status == ref.status, f"{where}: {r.status} against {ref.status}: {r.message}"
        seen[r.status] = seen.get(r.status, 0) + 1
        if r.status == "optimal":
            scale = max(1.0, abs(ref.objective))
            assert abs(r.objective_value - ref.objective) <= 1e-7 * scale, where
            assert r.gap <= 1e-7, where
            assert not _feasible(r, c), f"{where}: {_feasible(r, c)}"
        else:
            assert r.diagnosis is not None, where
            assert not conflict_holds(c, r.diagnosis), f"{where}: {conflict_holds(c, r.diagnosis)}"
    assert seen.get("optimal", 0) > PER_BATCH // 2 and seen.get("infeasible", 0) > 5, seen
