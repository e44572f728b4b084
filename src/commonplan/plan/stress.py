"""Awkward plan problems for testing and benchmarking the solvers, and an independent referee.

:func:`plan_case` draws one plan question from a seed: an economy of 1–3 techniques per product
(some exact or near copies of one another: ties the technique choice must not cycle on), with
ρ(A) from ordinary to near 1, product units scaled over twelve orders of magnitude, labour and
1–3 resource caps at 30–120 % of today's use, floors, capacities on a few processes, and one of
the objectives (common fulfilment, weighted groups with ceilings, least labour).  A share of the
cases is infeasible on purpose (floors above what the caps allow).

:func:`referee` solves the same question as one linear programme built here from the public
arrays of the economy (not from :mod:`commonplan.numerics.lp`), with HiGHS's simplex:

    maximise    Σ_g w_g t_g  (or minimise labour·z)
    subject to  (M − B) z − Σ_g T_g t_g ≥ f,   C z ≤ c,   0 ≤ z ≤ u,   lo ≤ t ≤ hi

:func:`violations` checks a plan against the question from the public arrays, and
:func:`conflict_holds` checks a diagnosis: its conflicting set must be infeasible on its own,
and dropping any one member must make it feasible.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp

from commonplan.economy.model import LABOUR, Economy
from commonplan.economy.synthetic import synthetic_economy
from commonplan.numerics.types import Array
from commonplan.plan.inputs import TargetGroup

__all__ = ["PlanCase", "Referee", "conflict_holds", "plan_case", "referee", "violations"]

_RESOURCES = ("co2", "land", "water")


@dataclass(frozen=True)
class PlanCase:
    """One plan question: ``optimize(economy, **kwargs)``; ``kind`` names its twist.  ``units``:
    where the twist measured products in other units (product i in units of ``units[i]``), the
    referee solves in the original units — the same plan, well scaled."""

    seed: int
    kind: str
    economy: Economy
    kwargs: Mapping[str, Any] = field(default_factory=dict)
    units: Array | None = None


@dataclass(frozen=True)
class Referee:
    """The independent LP's answer: ``status`` "optimal" or "infeasible"; ``objective`` in the
    units :func:`commonplan.optimize` reports (Σ w t, or the input minimised)."""

    status: str
    objective: float


def plan_case(seed: int, *, n_max: int = 200) -> PlanCase:
    """A random plan question; the same seed gives the same question."""
    rng = np.random.default_rng(seed)
    kinds = ("plain", "ties", "copies", "near-one", "magnitudes", "capacities", "infeasible")
    kind = kinds[seed % len(kinds)]
    n = int(np.exp(rng.uniform(np.log(3), np.log(n_max))))
    techniques = int(rng.integers(1, 4)) if kind != "copies" else 3
    resources = _RESOURCES[: int(rng.integers(1, 4))]
    share = (0.7, 0.97) if kind == "near-one" else (0.3, 0.7)
    base = synthetic_economy(
        n,
        inputs_per_product=int(rng.integers(1, 8)),
        techniques=techniques,
        seed=seed,
        intermediate_share=share,
        resources=resources,
    )
    e, units = _twist(base, kind, rng)
    y = e.final_demand["households"]
    choice, _ = e.pricer.values(np.asarray(e.labour))
    x = e.pricer.quantities(choice, y[:, None])[:, 0]
    activity = np.zeros(e.m)
    activity[choice] = x
    today = {name: float(e.direct(name) @ activity) for name in e.input_names}
    caps = {
        name: float(rng.uniform(0.3, 1.2)) * today[name]
        for name in e.input_names
        if rng.random() < 0.8 or name == LABOUR
    }
    floor_share = rng.uniform(1.0, 3.0) if kind == "infeasible" else rng.uniform(0.0, 0.8)
    kwargs: dict[str, Any] = {"caps": caps, "floors": floor_share * y * (rng.random(e.n) < 0.6)}
    if kind == "capacities" or rng.random() < 0.2:
        some = rng.choice(e.m, size=min(e.m, int(rng.integers(1, 12))), replace=False)
        kwargs["capacities"] = {
            e.processes[k]: float(rng.uniform(0.0, 1.5) * max(activity[k], 1e-9)) for k in some
        }
    objective = rng.choice(["max_fulfilment", "max_weighted", "min_labour"], p=[0.5, 0.3, 0.2])
    if objective == "min_labour":
        kwargs["caps"] = {k: v for k, v in caps.items() if k != LABOUR}
        kwargs["targets"] = {"households": dict(zip(e.products, 0.5 * y, strict=True))}
    elif objective == "max_weighted":
        groups = []
        for g in range(int(rng.integers(2, 4))):
            pick = rng.random(e.n) < 0.5
            amounts = {e.products[i]: float(y[i]) for i in np.flatnonzero(pick)}
            if not amounts:
                amounts = {e.products[0]: 1.0}
            ceiling = float(rng.uniform(0.5, 3.0)) if rng.random() < 0.5 else None
            groups.append(TargetGroup(f"g{g}", amounts, float(rng.uniform(0.2, 5)), ceiling))
        kwargs["targets"] = groups
    kwargs["objective"] = str(objective)
    return PlanCase(seed, kind, e, kwargs, units)


def _twist(e: Economy, kind: str, rng: np.random.Generator) -> tuple[Economy, Array | None]:
    """The case's twist on a synthetic economy: copied techniques, scaled units."""
    B = sp.csc_array(e.inputs)
    labour = np.asarray(e.labour, dtype=np.float64)
    res = {k: np.asarray(v, dtype=np.float64) for k, v in e.resources.items()}
    makes = np.asarray(e.makes)
    processes = list(e.processes)
    if kind in ("ties", "copies"):
        # duplicate a third of the processes exactly ("copies") or within 1e-13 ("ties")
        dup = rng.choice(e.m, size=max(1, e.m // 3), replace=False)
        eps = 0.0 if kind == "copies" else 1e-13
        wiggle = 1.0 + eps * rng.standard_normal(len(dup))
        B = sp.csc_array(sp.hstack([B, B[:, dup] * wiggle[None, :]]))
        labour = np.concatenate([labour, labour[dup] * wiggle])
        res = {k: np.concatenate([v, v[dup]]) for k, v in res.items()}
        makes = np.concatenate([makes, makes[dup]])
        processes += [f"{processes[k]}~" for k in dup]
    y = e.final_demand["households"]
    s = None
    if kind == "magnitudes":
        # product i measured in units s_i: B_ik → B_ik / s_i · s_make(k), y_i → y_i / s_i
        s = 10.0 ** rng.uniform(-6, 6, e.n)
        B = sp.csc_array(sp.diags_array(1.0 / s) @ B @ sp.diags_array(s[makes]))
        labour = labour * s[makes]
        res = {k: v * s[makes] for k, v in res.items()}
        y = y / s
    twisted = Economy.from_processes(
        B,
        makes,
        labour,
        resources=res,
        products=e.products,
        processes=processes,
        final_demand={"households": y},
        name=f"{e.name}-{kind}",
    )
    return twisted, s


# ---------------------------------------------------------------------- the referee


def _arrays(case: PlanCase) -> dict[str, Any]:
    """The LP's arrays, from the economy's public attributes and the question's plain values
    (in the original units where the case changed them)."""
    e, kwargs = case.economy, case.kwargs
    objective = kwargs.get("objective", "max_fulfilment")
    n, m = e.n, e.m
    idx = {c: i for i, c in enumerate(e.products)}

    def vector(amounts: Any) -> Array:
        if isinstance(amounts, Mapping):
            v = np.zeros(n)
            for c, a in amounts.items():
                v[idx[c]] = a
            return v
        if isinstance(amounts, str):
            return np.maximum(np.asarray(e.final_demand[amounts], dtype=np.float64), 0.0)
        return np.asarray(amounts, dtype=np.float64)

    targets = kwargs.get("targets")
    if targets is None:
        groups = [TargetGroup("households", "households")]
    elif isinstance(targets, list):
        groups = targets
    else:
        groups = [TargetGroup(k, v) for k, v in dict(targets).items()]
    T = np.column_stack([vector(g.amounts) for g in groups])
    if objective == "max_fulfilment":
        T = T.sum(axis=1, keepdims=True)
        w, lo, hi = np.ones(1), np.zeros(1), np.full(1, np.inf)
        ceilings = [g.ceiling for g in groups if g.ceiling is not None]
        if ceilings:
            hi[0] = min(ceilings)
    elif objective == "max_weighted":
        w = np.array([g.weight for g in groups], dtype=np.float64)
        lo = np.zeros(len(groups))
        hi = np.array([np.inf if g.ceiling is None else g.ceiling for g in groups])
    else:
        w, lo, hi = np.zeros(len(groups)), np.ones(len(groups)), np.ones(len(groups))
    names = list(e.input_names)
    C = np.vstack([np.asarray(e.direct(k), dtype=np.float64) for k in names])
    cap = np.full(len(names), np.inf)
    for k, v in dict(kwargs.get("caps") or {}).items():
        cap[names.index(k)] = float(v)
    u = np.full(m, np.inf)
    pidx = {c: k for k, c in enumerate(e.processes)}
    for c, v in dict(kwargs.get("capacities") or {}).items():
        u[pidx[c]] = float(v)
    f = vector(kwargs["floors"]) if kwargs.get("floors") is not None else np.zeros(n)
    phi = np.zeros(len(names))
    if objective.startswith("min_"):
        phi[names.index(objective[4:])] = 1.0
    M = sp.csc_array((np.ones(m), (np.asarray(e.makes), np.arange(m))), shape=(n, m))
    net = sp.csc_array(M - e.inputs)
    if case.units is not None:  # back to the original units: z_k → z_k s_make(k), y_i → y_i s_i
        s, sk = case.units, case.units[np.asarray(e.makes)]
        net = sp.csc_array(sp.diags_array(s) @ net @ sp.diags_array(1.0 / sk))
        T, f, C, u = T * s[:, None], f * s, C / sk[None, :], u * sk
    return {"net": net, "T": T, "w": w, "lo": lo, "hi": hi, "C": C,
            "cap": cap, "u": u, "f": f, "phi": phi}  # fmt: skip


def referee(case: PlanCase) -> Referee:
    """Solve the question independently (see the module's text)."""
    return _solve(_arrays(case))


def _solve(a: Mapping[str, Any]) -> Referee:
    import highspy

    net, T, C, cap = a["net"], a["T"], a["C"], a["cap"]
    n, m = net.shape
    G = T.shape[1]
    capped = np.flatnonzero(np.isfinite(cap))
    A = sp.csc_array(
        sp.vstack(
            [
                sp.hstack([net, sp.csc_array(-T)]),
                sp.hstack([sp.csc_array(C[capped]), sp.csc_array((len(capped), G))]),
            ]
        )
    )
    lo = np.concatenate([a["f"], np.full(len(capped), -np.inf)])
    up = np.concatenate([np.full(n, np.inf), cap[capped]])
    big = np.abs(A).max(axis=1).toarray().ravel()
    for bound in (lo, up):
        big = np.maximum(big, np.where(np.isfinite(bound), np.abs(bound), 0.0))
    rows = np.where(big > 0, big, 1.0)  # each row divided by its largest entry: tolerances relative
    A = sp.csc_array(sp.diags_array(1.0 / rows) @ A)
    h = highspy.Highs()  # type: ignore[no-untyped-call]
    h.setOptionValue("output_flag", False)
    h.setOptionValue("solver", "simplex")
    h.setOptionValue("primal_feasibility_tolerance", 1e-9)
    h.setOptionValue("dual_feasibility_tolerance", 1e-9)
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = m + G, A.shape[0]
    lp.col_cost_ = np.concatenate([a["phi"] @ C, -a["w"]])
    lp.col_lower_ = np.concatenate([np.zeros(m), a["lo"]])
    lp.col_upper_ = np.concatenate([a["u"], a["hi"]])
    lp.row_lower_ = lo / rows
    lp.row_upper_ = up / rows
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = A.indptr
    lp.a_matrix_.index_ = A.indices
    lp.a_matrix_.value_ = A.data
    h.passModel(lp)
    h.run()
    status = h.getModelStatus()
    if status == highspy.HighsModelStatus.kOptimal:
        value = float(h.getInfo().objective_function_value)
        return Referee("optimal", value if a["phi"].any() else -value)
    if status == highspy.HighsModelStatus.kInfeasible:
        return Referee("infeasible", float("nan"))
    if status == highspy.HighsModelStatus.kUnbounded:
        return Referee("unbounded", float("nan"))
    return Referee(h.modelStatusToString(status), float("nan"))


def conflict_holds(case: PlanCase, diagnosis: Any) -> list[str]:
    """What is wrong with a diagnosis's conflicting set (empty when it is infeasible on its own
    and each member is needed), checked with the referee's LP; only checked for minimality where
    the diagnosis claims it."""
    e, a = case.economy, _arrays(case)
    names = list(e.input_names)
    pidx = {c: k for k, c in enumerate(e.processes)}
    idx = {c: i for i, c in enumerate(e.products)}
    members = (
        [("cap", names.index(c)) for c in diagnosis.caps]
        + [("floor", idx[c]) for c in diagnosis.floors]
        + [("capacity", pidx[c]) for c in diagnosis.capacities]
        + [("targets", g) for g in range(len(diagnosis.targets))]
    )

    def feasible(keep: list[tuple[str, int]]) -> bool:
        b = dict(a)
        b["phi"], b["w"] = np.zeros_like(a["phi"]), np.zeros_like(a["w"])
        b["cap"] = np.full_like(a["cap"], np.inf)
        b["f"], b["u"] = np.zeros_like(a["f"]), np.full_like(a["u"], np.inf)
        b["lo"] = np.zeros_like(a["lo"])
        b["hi"] = np.full_like(a["hi"], np.inf)
        for what, i in keep:
            if what == "cap":
                b["cap"][i] = a["cap"][i]
            elif what == "floor":
                b["f"][i] = a["f"][i]
            elif what == "capacity":
                b["u"][i] = a["u"][i]
            else:
                b["lo"] = a["lo"].copy()
        return _solve(b).status != "infeasible"

    problems = []
    if feasible(members):
        problems.append(f"the conflicting set {members} is feasible on its own")
    elif diagnosis.minimal:
        for member in members:
            if not feasible([x for x in members if x != member]):
                problems.append(f"{member} is not needed: the set without it is still infeasible")
    return problems


def violations(case: PlanCase, result: Any) -> list[str]:
    """What is wrong with an optimal plan (empty if nothing), recomputed from the economy's
    public arrays: net output (M − B) z as reported, floors met, caps kept, activity ≥ 0."""
    e, kw = case.economy, case.kwargs
    assert result.activity is not None and result.net_output is not None
    z = result.activity
    made = np.bincount(e.makes, weights=z, minlength=e.n) - e.inputs @ z
    bad = []
    if not np.allclose(made, result.net_output, rtol=1e-9, atol=1e-9 * np.abs(made).max()):
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
