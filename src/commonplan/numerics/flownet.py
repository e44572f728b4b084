"""The balances of commonplan's production reports, as a linear system for reconciliation.

Pure arrays: the domain layer maps its database rows (workplaces, deliveries, reports) to the
index arrays below and hands the result to :func:`commonplan.numerics.reconcile_linear`.

Quantities (true values, one period)::

    Fᶠ   flow f, from workplace sender[f] to receiver[f] (−1: outside the network — a
         consumers' council, an import)
    Oʷ   output of workplace w          Uʷ  its own use          Sʷ  its stock change
    Hʷ   hours worked at w              Iᵏ  input use k: one input (kind) of workplace wₖ

Balances (hard)::

    Oʷ − Σ_{f: sender f = w} Fᶠ − Uʷ − Sʷ = 0          each workplace (output is delivered,
                                                        used at home or stocked)
    Iᵏ − Σ_{f: use f = k} Fᶠ = 0                       each input use (inputs used are inputs
                                                        received, net of input stock change when
                                                        that is a flow from a stock node)

Coefficients (soft: hold within a stated standard deviation, as pseudo-measurements eₖ = 0 ± τ)::

    Iᵏ − aₖ O^{wₖ} − eₖ = 0,     eₖ ~ N(0, τₖ²)          inputs against technical coefficients
    Hʷ − lʷ Oʷ − e'ʷ = 0,         e'ʷ ~ N(0, τ'ʷ²)      hours against labour coefficients

Reports: each is one measurement of one quantity (kind, target) with a standard deviation; a
quantity may be reported several times (a delivery by its sender and by its receiver, a meter).
The first report of a quantity is its measured variable; every further report r adds a balance
r − q = 0.  Quantities nobody reported are unmeasured (projected out, estimated when observable).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike, NDArray

from commonplan.errors import DataError, ShapeError
from commonplan.numerics.reconcile import Reconciliation
from commonplan.numerics.types import Array, Index

__all__ = [
    "Balance",
    "FlowSystem",
    "Quantity",
    "SyntheticReports",
    "flow_system",
    "quantity_estimates",
    "synthetic_reports",
]


class Quantity(IntEnum):
    """Kinds of quantity a report can measure (``target`` indexes flows, workplaces or uses)."""

    FLOW = 0
    OUTPUT = 1
    OWN_USE = 2
    STOCK = 3
    HOURS = 4
    INPUT = 5
    COEFFICIENT = 6  # the soft-constraint pseudo-measurements (not reportable)


class Balance(IntEnum):
    """Kinds of balance row in a :class:`FlowSystem`."""

    OUTPUT = 0
    INPUT = 1
    TECHNICAL = 2
    LABOUR = 3
    SAME_QUANTITY = 4


@dataclass(frozen=True, eq=False)
class FlowSystem:
    """A x + B u = b for a flow network, with the maps back to reports and quantities.

    Measurements are the reports (``report_of[i]`` ≥ 0, in the order given) followed by the
    coefficient pseudo-measurements (``report_of[i] = −1``).  ``quantity_of[i]`` (measurement)
    and ``unmeasured[j]`` (column of B) are quantity ids; ``kind_of``/``target_of`` decode a
    quantity id; ``balance_kind``/``balance_ref`` describe each row.
    """

    A: sp.csr_array
    B: sp.csr_array
    b: Array
    y: Array
    sigma: Array
    report_of: Index
    quantity_of: Index
    unmeasured: Index
    kind_of: NDArray[np.int8]
    target_of: Index
    balance_kind: NDArray[np.int8]
    balance_ref: Index
    n_reports: int


def flow_system(
    n_workplaces: int,
    sender: ArrayLike,
    receiver: ArrayLike,
    *,
    report_kind: ArrayLike,
    report_target: ArrayLike,
    report_value: ArrayLike,
    report_sigma: ArrayLike,
    flow_use: ArrayLike | None = None,
    use_workplace: ArrayLike | None = None,
    use_coef: ArrayLike | None = None,
    use_sd: ArrayLike | None = None,
    labour_coef: ArrayLike | None = None,
    labour_sd: ArrayLike | None = None,
) -> FlowSystem:
    """Build the reconciliation system of a flow network (see the module docstring).

    ``sender``/``receiver`` (n_f): workplace of each end of each flow, −1 outside.
    ``report_kind`` (a :class:`Quantity` code), ``report_target``, ``report_value``,
    ``report_sigma``: one entry per report.  ``flow_use`` (n_f): the input use each flow feeds
    (−1: none); ``use_workplace``, ``use_coef``, ``use_sd`` (n_k): the workplace, technical
    coefficient aₖ and its absolute standard deviation τₖ (nan: no technical balance) of each
    input use.  ``labour_coef``, ``labour_sd`` (n_w): lʷ and τ'ʷ (nan: no labour balance).
    """
    W = int(n_workplaces)
    snd = np.asarray(sender, dtype=np.intp).reshape(-1)
    rcv = np.asarray(receiver, dtype=np.intp).reshape(-1)
    nf = len(snd)
    if len(rcv) != nf:
        raise ShapeError(f"receiver has {len(rcv)} entries, sender {nf}: one per flow")
    for name, v in (("sender", snd), ("receiver", rcv)):
        bad = np.flatnonzero((v < -1) | (v >= W))
        if len(bad):
            raise DataError(f"{name}[{bad[0]}] = {v[bad[0]]} is not a workplace (0..{W - 1}, −1)")
    use = np.full(nf, -1, np.intp) if flow_use is None else np.asarray(flow_use, np.intp)
    uw = np.zeros(0, np.intp) if use_workplace is None else np.asarray(use_workplace, np.intp)
    nk = len(uw)
    ua = np.full(nk, np.nan) if use_coef is None else np.asarray(use_coef, np.float64)
    us = np.full(nk, np.nan) if use_sd is None else np.asarray(use_sd, np.float64)
    lc = np.full(W, np.nan) if labour_coef is None else np.asarray(labour_coef, np.float64)
    ls = np.full(W, np.nan) if labour_sd is None else np.asarray(labour_sd, np.float64)
    if len(use) != nf or len(ua) != nk or len(us) != nk or len(lc) != W or len(ls) != W:
        raise ShapeError("flow_use, use_coef, use_sd, labour_coef or labour_sd has a wrong length")
    bad = np.flatnonzero((use < -1) | (use >= nk))
    if len(bad):
        raise DataError(f"flow_use[{bad[0]}] = {use[bad[0]]} is not an input use (0..{nk - 1})")
    bad = np.flatnonzero((uw < 0) | (uw >= W))
    if len(bad):
        raise DataError(f"use_workplace[{bad[0]}] = {uw[bad[0]]} is not a workplace")
    tech = np.flatnonzero(np.isfinite(ua) & np.isfinite(us))
    lab = np.flatnonzero(np.isfinite(lc) & np.isfinite(ls))
    for name, sd, idx in (("use_sd", us, tech), ("labour_sd", ls, lab)):
        if (sd[idx] <= 0).any():
            j = idx[np.flatnonzero(sd[idx] <= 0)[0]]
            raise DataError(f"{name}[{j}] must be positive (a tolerance of 0 is a hard balance)")

    # quantity ids: [F | O | U | S | H | I | e (tech) | e' (labour)]
    sizes = [nf, W, W, W, W, nk]
    off = np.concatenate([[0], np.cumsum(sizes)])
    nq_rep = int(off[-1])
    ne, nl = len(tech), len(lab)
    nq = nq_rep + ne + nl
    kind_of = np.concatenate(
        [np.full(s, k, np.int8) for k, s in enumerate(sizes)]
        + [np.full(ne + nl, Quantity.COEFFICIENT, np.int8)]
    )
    target_of = np.concatenate([np.arange(s) for s in sizes] + [tech, lab]).astype(np.intp)

    rk = np.asarray(report_kind, np.intp).reshape(-1)
    rt = np.asarray(report_target, np.intp).reshape(-1)
    rv = np.asarray(report_value, np.float64).reshape(-1)
    rs = np.asarray(report_sigma, np.float64).reshape(-1)
    nr = len(rk)
    if not (len(rt) == len(rv) == len(rs) == nr):
        raise ShapeError("report_kind, report_target, report_value, report_sigma differ in length")
    bad = np.flatnonzero((rk < 0) | (rk > Quantity.INPUT))
    if len(bad):
        raise DataError(f"report {bad[0]}: kind {rk[bad[0]]} is not a reportable quantity")
    limit = np.asarray(sizes, np.intp)[np.clip(rk, 0, 5)]
    bad = np.flatnonzero((rt < 0) | (rt >= limit))
    if len(bad):
        j = bad[0]
        raise DataError(f"report {j}: target {rt[j]} out of range for {Quantity(rk[j]).name}")
    rq = off[rk] + rt

    # measurements: reports, then pseudo-measurements
    quantity_of = np.concatenate([rq, nq_rep + np.arange(ne + nl)]).astype(np.intp)
    y = np.concatenate([rv, np.zeros(ne + nl)])
    sigma = np.concatenate([rs, us[tech], ls[lab]])
    m = len(y)
    # primary measurement of each quantity: its first report
    order = np.argsort(quantity_of, kind="stable")
    qs = quantity_of[order]
    first = np.ones(m, bool)
    first[1:] = qs[1:] != qs[:-1]
    primary = np.full(nq, -1, np.intp)
    primary[qs[first]] = order[first]
    extra = order[~first]
    unmeasured = np.flatnonzero(primary < 0).astype(np.intp)
    ucol = np.full(nq, -1, np.intp)
    ucol[unmeasured] = np.arange(len(unmeasured))

    rows: list[Index] = []
    qids: list[Index] = []
    vals: list[Array] = []
    kinds: list[NDArray[np.int8]] = []
    refs: list[Index] = []
    nrow = 0

    def add(r: Index, q: Index, v: Array) -> None:
        rows.append(r + nrow)
        qids.append(q)
        vals.append(v)

    # output balances
    w = np.arange(W)
    add(w, off[1] + w, np.ones(W))
    fo = np.flatnonzero(snd >= 0)
    add(snd[fo], off[0] + fo, -np.ones(len(fo)))
    add(w, off[2] + w, -np.ones(W))
    add(w, off[3] + w, -np.ones(W))
    kinds.append(np.full(W, Balance.OUTPUT, np.int8))
    refs.append(w)
    nrow += W
    # input balances
    k = np.arange(nk)
    add(k, off[5] + k, np.ones(nk))
    fu = np.flatnonzero(use >= 0)
    add(use[fu], off[0] + fu, -np.ones(len(fu)))
    kinds.append(np.full(nk, Balance.INPUT, np.int8))
    refs.append(k)
    nrow += nk
    # technical coefficients
    t = np.arange(ne)
    add(t, off[5] + tech, np.ones(ne))
    add(t, off[1] + uw[tech], -ua[tech])
    add(t, nq_rep + t, -np.ones(ne))
    kinds.append(np.full(ne, Balance.TECHNICAL, np.int8))
    refs.append(tech.astype(np.intp))
    nrow += ne
    # labour coefficients
    t = np.arange(nl)
    add(t, off[4] + lab, np.ones(nl))
    add(t, off[1] + lab, -lc[lab])
    add(t, nq_rep + ne + t, -np.ones(nl))
    kinds.append(np.full(nl, Balance.LABOUR, np.int8))
    refs.append(lab.astype(np.intp))
    nrow += nl
    # further reports of a quantity: r − q = 0 (q: the quantity's primary measurement)
    ne2 = len(extra)
    t = np.arange(ne2)
    kinds.append(np.full(ne2, Balance.SAME_QUANTITY, np.int8))
    refs.append(extra.astype(np.intp))

    r_all = np.concatenate(rows)
    q_all = np.concatenate(qids)
    v_all = np.concatenate(vals)
    # map quantity entries to measurement columns (primary) or unmeasured columns
    meas = primary[q_all]
    isu = meas < 0
    A_rows = [r_all[~isu], t + nrow, t + nrow]
    A_cols = [meas[~isu], extra, primary[quantity_of[extra]]]
    A_vals = [v_all[~isu], np.ones(ne2), -np.ones(ne2)]
    nrow += ne2
    A = sp.csr_array(
        (np.concatenate(A_vals), (np.concatenate(A_rows), np.concatenate(A_cols))),
        shape=(nrow, m),
    )
    B = sp.csr_array((v_all[isu], (r_all[isu], ucol[q_all[isu]])), shape=(nrow, len(unmeasured)))
    A.sum_duplicates()
    B.sum_duplicates()
    report_of = np.concatenate([np.arange(nr), np.full(ne + nl, -1)]).astype(np.intp)
    return FlowSystem(
        A=A,
        B=B,
        b=np.zeros(nrow),
        y=y,
        sigma=sigma,
        report_of=report_of,
        quantity_of=quantity_of,
        unmeasured=unmeasured,
        kind_of=kind_of,
        target_of=target_of,
        balance_kind=np.concatenate(kinds),
        balance_ref=np.concatenate(refs),
        n_reports=nr,
    )


def quantity_estimates(system: FlowSystem, rec: Reconciliation) -> tuple[Array, Array]:
    """Reconciled value and standard error of every quantity (nan: unobservable)."""
    nq = len(system.kind_of)
    value = np.full(nq, np.nan)
    se = np.full(nq, np.nan)
    value[system.unmeasured] = rec.u
    se[system.unmeasured] = rec.u_se
    # a quantity's measurements all reconcile to the same value; take the last written
    value[system.quantity_of] = rec.x
    se[system.quantity_of] = rec.x_se
    return value, se


@dataclass(frozen=True, eq=False)
class SyntheticReports:
    """A generated period of reports with commonplan's structure, and the truth behind them.

    ``kwargs``: the arguments of :func:`flow_system`; ``truth`` (per report): the true value;
    ``reporter`` (per report): the workplace that filed it (−1: a consumers' council).
    """

    n_workplaces: int
    kwargs: dict[str, object]
    truth: Array
    reporter: Index

    def system(self, values: Array | None = None) -> FlowSystem:
        """The reconciliation system, with ``values`` in place of the reports' values."""
        kw = dict(self.kwargs)
        if values is not None:
            kw["report_value"] = values
        return flow_system(self.n_workplaces, **kw)  # type: ignore[arg-type]


def synthetic_reports(
    rng: np.random.Generator,
    n_workplaces: int,
    *,
    suppliers: int = 4,
    input_kinds: int = 2,
    window: int = 20,
    rel_sd: float = 0.01,
    coef_sd: float = 0.03,
) -> SyntheticReports:
    """Generate a regional economy: workplace w buys from ``suppliers`` workplaces among the
    ``window`` before it (on a ring), grouped in ``input_kinds`` input uses, and delivers the rest
    of its output to consumers.  Every flow is reported by sender and receiver (the consumers'
    council for final deliveries); each workplace reports output, own use, stock change, hours
    and each input use.  Reports have relative standard deviation ``rel_sd`` (exact values are
    returned as ``truth``: add the noise you want); technical and labour coefficients hold within
    relative ``coef_sd``.
    """
    W = int(n_workplaces)
    d = max(0, min(suppliers, W - 1))
    win = max(d, min(window, W - 1))
    recv = np.repeat(np.arange(W), d)
    if d:
        # distinct offsets 1..win per workplace: random keys, take the d smallest
        keys = rng.random((W, win))
        offs = np.argsort(keys, axis=1)[:, :d] + 1
        send = (recv - offs.reshape(-1)) % W
    else:
        send = np.zeros(0, np.intp)
    kinds = min(input_kinds, max(d, 1))
    use_of_pair = recv * kinds + (np.arange(len(recv)) % kinds)
    F = rng.lognormal(0.0, 0.5, len(recv)) * 10.0
    C = rng.lognormal(0.0, 0.5, W) * 10.0
    out = np.bincount(send, weights=F, minlength=W)
    U = 0.05 * (out + C)
    S = rng.normal(0.0, 0.02, W) * (out + C)
    O = out + C + U + S
    sender = np.concatenate([send, np.arange(W)]).astype(np.intp)
    receiver = np.concatenate([recv, np.full(W, -1)]).astype(np.intp)
    flow_use = np.concatenate([use_of_pair, np.full(W, -1)]).astype(np.intp)
    nk = W * kinds
    I = np.bincount(use_of_pair, weights=F, minlength=nk)
    uw = np.repeat(np.arange(W), kinds)
    a_true = I / O[uw]
    a = a_true * (1 + coef_sd * rng.standard_normal(nk))
    l_true = rng.uniform(0.5, 2.0, W)
    H = l_true * O
    lc = l_true * (1 + coef_sd * rng.standard_normal(W))
    nf = len(sender)
    fl = np.arange(nf)
    wk = np.arange(W)
    kind = np.concatenate(
        [np.zeros(2 * nf, np.intp)]
        + [np.full(W, q, np.intp) for q in (Quantity.OUTPUT, Quantity.OWN_USE, Quantity.STOCK)]
        + [np.full(W, Quantity.HOURS, np.intp), np.full(nk, Quantity.INPUT, np.intp)]
    )
    target = np.concatenate([fl, fl, wk, wk, wk, wk, np.arange(nk)])
    Fall = np.concatenate([F, C])
    truth = np.concatenate([Fall, Fall, O, U, S, H, I])
    scale = np.concatenate([Fall, Fall, O, O, O, H, I])
    sd = rel_sd * np.maximum(np.abs(truth), 0.1 * scale)
    reporter = np.concatenate([sender, receiver, wk, wk, wk, wk, uw]).astype(np.intp)
    kwargs: dict[str, object] = dict(
        sender=sender,
        receiver=receiver,
        report_kind=kind,
        report_target=target,
        report_value=truth.copy(),
        report_sigma=sd,
        flow_use=flow_use,
        use_workplace=uw,
        use_coef=a,
        use_sd=coef_sd * a * O[uw],
        labour_coef=lc,
        labour_sd=coef_sd * lc * O,
    )
    return SyntheticReports(W, kwargs, truth, reporter)
