"""Synthetic economies of any size, with the structure of real input-output tables.

Real tables share a few features this generator reproduces:

* **A supply hierarchy.**  Most input flows run "downstream" (raw materials → parts → final goods):
  real tables can be ordered so that 80–87 % of the off-diagonal coefficient mass lies on one side
  of the diagonal (measured on the tables in ``shared/data/io``; cf. Simpson & Tsukui 1965).  Each
  product here takes a share ``1 − feedback`` of its inputs from products upstream of it, and the
  rest from anywhere (services, energy and repairs feed back up the chain).
* **Hubs by preferential attachment.**  A supplier's chance to be chosen as an input is
  proportional to (rank + 1)^(−1/2) — the expected degree profile of the Barabási–Albert model —
  so a few products (energy, transport, trade) are inputs to nearly everything.
* **Intermediate shares like real ones.**  Each process's inputs add up to a share of its output
  drawn uniformly from ``intermediate_share`` (default 0.3–0.7; real tables average 0.35–0.58), so
  every column sum is below one and the economy is productive by construction (ρ(A) ≤ max column
  sum < 1).
* **Primary inputs.**  Labour per unit is proportional to value added (1 − intermediate share)
  with a spread; CO2 is heavy-tailed (a few dirty processes emit most).

Product order is shuffled, so a solver cannot rely on being handed the hierarchy.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp

from commonplan.economy.model import Economy
from commonplan.errors import DataError
from commonplan.progress import OnProgress, Steps

__all__ = ["synthetic_economy", "write_economy"]


_UNITS = {"co2": "tonnes", "land": "hectares", "water": "cubic metres"}


def synthetic_economy(
    n: int,
    *,
    inputs_per_product: int = 10,
    techniques: int = 1,
    seed: int = 0,
    feedback: float = 0.15,
    intermediate_share: tuple[float, float] = (0.3, 0.7),
    shuffle: bool = True,
    resources: tuple[str, ...] = ("co2",),
    on_progress: OnProgress | None = None,
) -> Economy:
    """A random productive economy of ``n`` products and ``n × techniques`` processes.

    Each process draws ``inputs_per_product`` inputs (duplicates merge, so a few have fewer).
    The result has labour, the named ``resources`` (default just ``"co2"``; e.g.
    ``("co2", "land", "water")``) and one final demand ``"households"``.  Every resource is
    heavy-tailed (lognormal): a few processes use most of it, so techniques trade one off against
    another.
    Deterministic for a given ``seed``.  ``shuffle=False`` lists products in supply-chain order,
    most upstream first.  ``on_progress(fraction, step)`` is told how far it has got (see
    :mod:`commonplan.progress`).
    """
    if n < 1 or inputs_per_product < 0 or techniques < 1:
        raise DataError("need n ≥ 1, inputs_per_product ≥ 0 and techniques ≥ 1")
    if not 0.0 <= feedback <= 1.0:
        raise DataError("feedback must be a share between 0 and 1")
    lo, hi = intermediate_share
    if not 0.0 <= lo <= hi < 1.0:
        raise DataError("intermediate_share must be (low, high) with 0 ≤ low ≤ high < 1")
    steps = Steps(on_progress, [("drawing the inputs", 1.0), ("checking the economy", 1.0)])
    steps.begin("drawing the inputs")
    rng = np.random.default_rng(seed)
    m = n * techniques
    k = min(inputs_per_product, max(n - 1, 0)) if n > 1 else 0
    rank_of_process = np.tile(np.arange(n), techniques)  # product (by hidden rank) each makes
    user = np.repeat(rank_of_process, k)
    u = rng.random(m * k)
    # inverse CDF of weights ∝ (i + 1)^(-1/2) on 0..top-1:  i = floor((1 + u (√top − 1))²) − 1
    top = np.where(rng.random(m * k) < feedback, n, np.maximum(user, 1)).astype(np.float64)
    supplier = np.floor((1.0 + u * (np.sqrt(top) - 1.0)) ** 2).astype(np.int64) - 1
    supplier = np.clip(supplier, 0, n - 1)
    weight = rng.lognormal(0.0, 1.0, m * k)

    perm = rng.permutation(n)  # hidden rank -> position in the table
    if not shuffle:
        perm = np.arange(n)
    B = sp.csc_array((weight, (perm[supplier], np.repeat(np.arange(m), k))), shape=(n, m))
    B.sum_duplicates()
    share = rng.uniform(lo, hi, m)
    colsum = np.asarray(B.sum(axis=0)).ravel()
    scale = np.divide(share, colsum, out=np.zeros(m), where=colsum > 0)
    B = sp.csc_array(B @ sp.diags_array(scale))
    makes = perm[rank_of_process]

    labour = (1.0 - share) * rng.uniform(0.5, 1.5, m)  # hours per unit
    co2 = rng.lognormal(-3.0, 1.5, m)
    y = rng.lognormal(0.0, 1.0, n)
    drawn = {"co2": co2} | {r: rng.lognormal(-2.0, 1.0, m) for r in resources if r != "co2"}
    # list processes product by product (techniques of a product side by side), as tables do
    group = np.argsort(makes, kind="stable")
    B = sp.csc_array(B[:, group])
    makes, labour = makes[group], labour[group]
    drawn = {r: v[group] for r, v in drawn.items()}
    width = len(str(n))
    products = [f"P{i:0{width}d}" for i in range(n)]
    processes = (
        products
        if techniques == 1
        else [f"P{makes[p]:0{width}d}.{group[p] // n}" for p in range(m)]
    )
    steps.begin("checking the economy")
    economy = Economy.from_processes(
        B,
        makes,
        labour,
        resources={r: drawn[r] for r in resources},
        products=products,
        processes=processes,
        final_demand={"households": y},
        units={"output": "unit", "labour": "hours"} | {r: _UNITS.get(r, "unit") for r in resources},
        name=f"synthetic-{n}",
        meta={
            "source": "commonplan.synthetic_economy",
            "n": n,
            "inputs_per_product": inputs_per_product,
            "techniques": techniques,
            "seed": seed,
            "feedback": feedback,
            "shuffle": shuffle,
            "intermediate_share": list(intermediate_share),
            "resources": list(resources),
        },
    )
    steps.finish()
    return economy


def write_economy(
    economy: Economy, directory: str | Path, *, on_progress: OnProgress | None = None
) -> Path:
    """Write an economy in the sparse table layout that :func:`commonplan.read_economy` reads.

    One technique per product: ``A.npz`` (``scipy.sparse.save_npz``), ``vectors.csv`` (one row per
    product: final demands, gross output, labour and resource coefficients) and ``meta.json``.
    Several techniques: ``inputs.npz`` (products × processes), ``processes.csv`` (one row per
    process: the product it makes, labour, resources), ``vectors.csv`` (final demands) and
    ``meta.json``.  ``on_progress(fraction, step)`` is told how far it has got (see
    :mod:`commonplan.progress`).
    """
    steps = Steps(on_progress, [("writing the coefficients", 2.0), ("writing the vectors", 1.0)])
    steps.begin("writing the coefficients")
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    e = economy
    vec = pd.DataFrame(index=pd.Index(e.products, name="product"))
    roles: dict[str, dict[str, str]] = {}
    if any(nm != c for nm, c in zip(e.names, e.products, strict=True)):
        vec["name"] = e.names
    for key, v in e.final_demand.items():
        vec[f"y_{key}"] = v
    if e.gross_output is not None:
        vec["x_gross_output"] = e.gross_output
        roles["x_gross_output"] = {"role": "gross_output"}
    for key in e.final_demand:
        roles[f"y_{key}"] = {"role": "final_demand", "name": key}
    primary = ({"labour": e.labour} if e.labour is not None else {}) | dict(e.resources)
    for key in primary:
        roles[f"{key}_coef"] = {"role": "labour" if key == "labour" else "resource", "name": key}
    if e.single_technique and np.array_equal(e.makes, np.arange(e.n)):
        sp.save_npz(out / "A.npz", sp.csr_matrix(e.inputs))
        for key, v in primary.items():
            vec[f"{key}_coef"] = v
    else:
        sp.save_npz(out / "inputs.npz", sp.csc_matrix(e.inputs))
        proc = pd.DataFrame(
            {"makes": [e.products[i] for i in e.makes]}, index=pd.Index(e.processes, name="process")
        )
        for key, v in primary.items():
            proc[f"{key}_coef"] = v
        steps.begin("writing the vectors")
        proc.to_csv(out / "processes.csv")
    steps.begin("writing the vectors")
    vec.to_csv(out / "vectors.csv")
    meta = {
        "name": e.name,
        **dict(e.meta),
        "units": dict(e.units),
        "columns": roles,
        "adjustments": list(e.adjustments),
    }
    (out / "meta.json").write_text(json.dumps(meta, indent=1, default=str))
    steps.finish()
    return out
