"""Watching many series at once: Harrison & Stevens' multi-state dynamic linear model.

Each series (a workplace's output of one product, its hours, an input) follows the linear growth
model, level μ and slope β, in the usual state-space form (the form of statsmodels'
``UnobservedComponents("local linear trend")``)::

    y_t = μ_t + ε_t                     ε_t ~ N(0, κ_ε⁽ʲ⁾ V)
    μ_t = μ_{t−1} + β_{t−1} + η_t       η_t ~ N(0, κ_μ⁽ʲ⁾ W_μ)
    β_t = β_{t−1} + ζ_t                 ζ_t ~ N(0, κ_β⁽ʲ⁾ W_β)

where the model M_t = j in force in period t is one of four states, drawn afresh each period with
prior probabilities π_j (Harrison & Stevens' class II mixture):

=========  ======================  ===================================================
j          state                   variance multipliers (κ_ε, κ_μ, κ_β)
=========  ======================  ===================================================
0          steady                  (1, 1, 1)
1          level step              (1, ``step_factor``, 1): the level jumps
2          slope change            (1, 1, ``slope_factor``): the growth rate changes
3          outlier                 (``outlier_factor``, 1, 1): one wrong observation
=========  ======================  ===================================================

V is the measurement variance: the reconciled value's own variance when one is given
(``obs_std``), else the series' ``noise_var``.

Filtering with collapsing of order 1 (Harrison & Stevens 1976, §7).  The posterior after period
t − 1 is a mixture of four normals, one per state M_{t−1} = i, with weights
p_i = P(M_{t−1} = i | D_{t−1}), means m_i and covariances C_i.  Period t runs the Kalman filter
along each of the 16 paths (i → j)::

    a_i = G m_i,   R_ij = G C_i Gᵀ + W_j,   G = [[1, 1], [0, 1]],  W_j = diag(κ_μ⁽ʲ⁾W_μ, κ_β⁽ʲ⁾W_β)
    f_i = a_i[0],  S_ij = R_ij[0, 0] + κ_ε⁽ʲ⁾ V,   e_i = y_t − f_i,   K_ij = R_ij[:, 0] / S_ij
    m_ij = a_i + K_ij e_i,   C_ij = R_ij − K_ij K_ijᵀ S_ij
    p_ij ∝ p_i π_j N(y_t; f_i, S_ij)

and then collapses the 16 back to 4, one per current state j, by matching moments::

    p_j = Σ_i p_ij,   m_j = Σ_i p_ij m_ij / p_j,
    C_j = Σ_i p_ij (C_ij + (m_ij − m_j)(m_ij − m_j)ᵀ) / p_j

Before collapsing, Σ_j p_ij = P(M_{t−1} = i | D_t) is the probability of each state one period
back in the light of this period's observation: that is what tells a level step (the next value
stays up) from an outlier (it comes back), and what :func:`detect` reads.  A missing observation
(NaN) skips the measurement: the paths keep their predictions and p_ij = p_i π_j.

With π = (1, 0, 0, 0) the model is the plain local linear trend and the filter is exactly the
Kalman filter (the tests check it against statsmodels).  Forecasts (:func:`forecast`) start from
the collapsed posterior (m, C) and assume the steady state from then on::

    E y_{t+k} = μ_t + k β_t
    Var y_{t+k} = C_μμ + 2k C_μβ + k² C_ββ + Σ_{h<k} (W_μ + h² W_β) + V

which is the interval a plan's figure is compared against: a value outside it is news.

All functions take and return arrays shaped (n_series,).  One period of 10⁵ series, update and
:func:`detect`, takes about 0.1 s warm with the numba kernel (2.4 s to compile it the first
time, then cached on disk) and 0.6 s with the numpy engine (``benchmarks/monitor.py``).

Limits.  Collapsing keeps one period of hindsight: a change is judged from the value that shows
it and the next one, so the 3σ-step target is met with V known but not with V estimated from a
short history (more false alarms).  A change of slope is usually signalled first as a level step
(the ramp's first rise), rarely as a slope change.

Reference: P. J. Harrison and C. F. Stevens, "Bayesian forecasting", J. R. Statist. Soc. B 38
(1976) 205–247.

One concept — the multi-state model: its state, update, forecast and the signals read from it — so
one module, however long.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Literal, NamedTuple

import numpy as np
from numba import njit
from numpy.typing import ArrayLike, NDArray

from commonplan.errors import DataError, NonFiniteError, ShapeError
from commonplan.numerics.types import Array

__all__ = [
    "LEVEL_RATIO",
    "SLOPE_RATIO",
    "STATES",
    "DetectionRule",
    "Forecast",
    "MonitorParams",
    "MonitorState",
    "MonitorUpdate",
    "SignalKind",
    "Signals",
    "detect",
    "fit_initial_state",
    "forecast",
    "initial_state",
    "update",
]


STATES = ("steady", "step", "slope", "outlier")
"""The four states, in the order of the columns of every probability array."""

STEADY, STEP, SLOPE, OUTLIER = range(4)

LEVEL_RATIO = 1e-3
"""Default W_μ / V: the level's steady drift per period, as a share of the measurement variance."""

SLOPE_RATIO = 1e-5
"""Default W_β / V: the slope's steady drift per period, as a share of the measurement variance."""

_FLOOR = 1e-300  # a variance below this is taken as this: keeps logs and divisions finite


@dataclass(frozen=True)
class MonitorParams:
    """The prior of the multi-state model: how often each state occurs and how wild it is.

    ``p_steady``, ``p_step``, ``p_slope``, ``p_outlier``: prior probability π_j that a period is
    in that state (each ≥ 0, summing to 1, ``p_steady`` > 0).  ``step_factor``: the level's
    disturbance variance in a step period, as a multiple of the steady W_μ; ``slope_factor``:
    the slope's, of W_β; ``outlier_factor``: the measurement variance of an outlier, of V (each
    ≥ 1).  With the default W_μ = :data:`LEVEL_RATIO` · V a step's standard deviation is
    2 √V, and with W_β = :data:`SLOPE_RATIO` · V a slope change's is 0.1 √V a period.  The
    defaults were tuned with ``benchmarks/monitor.py`` for :class:`DetectionRule`'s defaults:
    with V known, a 3σ level step is signalled within three periods with probability 0.935 at
    0.87 false alarms per 100 periods per series (V estimated from 24 periods: 0.92 and 1.45).
    """

    p_steady: float = 0.95
    p_step: float = 0.035
    p_slope: float = 0.005
    p_outlier: float = 0.01
    step_factor: float = 4000.0
    slope_factor: float = 1000.0
    outlier_factor: float = 100.0

    def __post_init__(self) -> None:
        probs = self.prior
        for name, value in zip(STATES, probs, strict=True):
            if not math.isfinite(value) or value < 0 or value > 1:
                raise DataError(f"p_{name} must be a probability in [0, 1], got {value!r}")
        if self.p_steady <= 0:
            raise DataError("p_steady must be > 0: the steady state must be possible")
        if abs(sum(probs) - 1.0) > 1e-9:
            raise DataError(
                f"p_steady + p_step + p_slope + p_outlier must be 1, got {sum(probs)!r}"
            )
        for name in ("step_factor", "slope_factor", "outlier_factor"):
            value = getattr(self, name)
            if not math.isfinite(value) or value < 1:
                raise DataError(f"{name} must be a finite number ≥ 1, got {value!r}")

    @property
    def prior(self) -> tuple[float, float, float, float]:
        """π in the order of :data:`STATES`."""
        return (self.p_steady, self.p_step, self.p_slope, self.p_outlier)

    @classmethod
    def steady_only(cls) -> MonitorParams:
        """π = (1, 0, 0, 0): the plain local linear trend (Kalman filter)."""
        return cls(p_steady=1.0, p_step=0.0, p_slope=0.0, p_outlier=0.0)


@dataclass(frozen=True, eq=False)
class MonitorState:
    """The collapsed posterior after a period: four normals per series, one per current state.

    ``prob`` (n, 4): P(M_t = j | D_t); ``mean`` (n, 4, 2): level and slope per state; ``cov``
    (n, 4, 3): C_μμ, C_μβ, C_ββ per state.  ``noise_var`` V, ``level_var`` W_μ and
    ``slope_var`` W_β (n,) are the steady variances.  ``last_forecast``, ``last_slope`` and
    ``last_innovation`` (n,) remember the previous period's one-step forecast, prior slope and
    forecast error (NaN before the first update), to size a change found one period late.
    ``periods``: updates so far.  Build one with :func:`initial_state` or
    :func:`fit_initial_state`.
    """

    prob: Array
    mean: Array
    cov: Array
    noise_var: Array
    level_var: Array
    slope_var: Array
    params: MonitorParams = field(default_factory=MonitorParams)
    last_forecast: Array | None = None
    last_slope: Array | None = None
    last_innovation: Array | None = None
    last_step_prob: Array | None = None
    last_step_size: Array | None = None
    periods: int = 0

    @property
    def n(self) -> int:
        return int(self.prob.shape[0])

    @property
    def level(self) -> Array:
        """E[μ_t | D_t], the mixture's mean level."""
        out: Array = np.einsum("sj,sj->s", self.prob, self.mean[:, :, 0])
        return out

    @property
    def slope(self) -> Array:
        """E[β_t | D_t], the mixture's mean slope."""
        out: Array = np.einsum("sj,sj->s", self.prob, self.mean[:, :, 1])
        return out

    def collapsed(self) -> tuple[Array, Array]:
        """The whole mixture matched by one normal per series: mean (n, 2) and cov (n, 3)."""
        return _collapse(self.prob, self.mean, self.cov)


@dataclass(frozen=True, eq=False)
class MonitorUpdate:
    """What one period's observations told.

    ``state``: the posterior to pass to the next :func:`update`.  ``prob`` (n, 4):
    P(M_t = j | D_t), columns in the order of :data:`STATES`; ``prob_previous`` (n, 4):
    P(M_{t−1} = j | D_t).  ``level``, ``slope`` and their standard deviations: the collapsed
    posterior.  ``forecast``, ``forecast_std``: the one-step forecast of this period's value
    made before seeing it (steady state assumed), so ``innovation`` = y − forecast and
    ``z`` = innovation / forecast_std (NaN where y is missing).  ``step_size``: the level
    change if this period is a step; ``step_size_previous``, ``slope_change_previous``,
    ``outlier_size_previous``: the sizes of a step, slope change or outlier one period back.
    ``step_prob_earlier``, ``step_size_earlier``: the previous update's P(M_{t−2} = step |
    D_{t−1}) and step size (0 before), for the run rule.  ``observed``: where y was not missing.
    """

    state: MonitorState
    prob: Array
    prob_previous: Array
    level: Array
    slope: Array
    level_std: Array
    slope_std: Array
    forecast: Array
    forecast_std: Array
    innovation: Array
    z: Array
    step_size: Array
    slope_change: Array
    step_size_previous: Array
    slope_change_previous: Array
    outlier_size_previous: Array
    step_prob_earlier: Array
    step_size_earlier: Array
    observed: NDArray[np.bool_]


def _vector(name: str, value: ArrayLike, n: int | None, *, allow_nan: bool = False) -> Array:
    a = np.asarray(value, dtype=np.float64)
    if n is not None and a.ndim == 0:
        a = np.full(n, float(a))
    if a.ndim != 1 or (n is not None and a.shape[0] != n):
        want = f"({n},)" if n is not None else "(n_series,)"
        raise ShapeError(f"{name} must have shape {want}, got {a.shape}")
    bad = ~np.isfinite(a) if not allow_nan else np.isinf(a)
    if bad.any():
        s = int(np.flatnonzero(bad)[0])
        what = "an infinity" if allow_nan else "NaN or an infinity"
        raise NonFiniteError(f"{name} holds {what} at series {s} ({a[s]!r})")
    return a


def _positive(name: str, a: Array, *, strict: bool) -> None:
    bad = a <= 0 if strict else a < 0
    if bad.any():
        s = int(np.flatnonzero(bad)[0])
        must = "> 0" if strict else "≥ 0"
        raise DataError(f"{name} must be {must}; series {s} has {a[s]!r}")


def initial_state(
    level: ArrayLike,
    *,
    noise_var: ArrayLike,
    slope: ArrayLike = 0.0,
    level_var: ArrayLike | None = None,
    slope_var: ArrayLike | None = None,
    level_uncertainty: ArrayLike | None = None,
    slope_uncertainty: ArrayLike | None = None,
    params: MonitorParams | None = None,
) -> MonitorState:
    """The prior for period 1: level and slope known up to the given variances, all steady.

    ``level``, ``noise_var`` V (> 0) per series; scalars broadcast.  ``level_var`` W_μ defaults
    to :data:`LEVEL_RATIO` · V and ``slope_var`` W_β to :data:`SLOPE_RATIO` · V;
    ``level_uncertainty`` (the variance of the level, C_μμ) to V; ``slope_uncertainty`` (C_ββ)
    to 0.01 V.  These are the posterior at period 0: the first update predicts from them
    through G.
    """
    mu = _vector("level", level, None)
    n = mu.shape[0]
    v = _vector("noise_var", noise_var, n)
    _positive("noise_var", v, strict=True)
    wl = LEVEL_RATIO * v if level_var is None else _vector("level_var", level_var, n)
    _positive("level_var", wl, strict=True)
    ws = SLOPE_RATIO * v if slope_var is None else _vector("slope_var", slope_var, n)
    _positive("slope_var", ws, strict=False)
    cl = (
        v.copy()
        if level_uncertainty is None
        else _vector("level_uncertainty", level_uncertainty, n)
    )
    _positive("level_uncertainty", cl, strict=False)
    cs = (
        0.01 * v
        if slope_uncertainty is None
        else _vector("slope_uncertainty", slope_uncertainty, n)
    )
    _positive("slope_uncertainty", cs, strict=False)
    b = _vector("slope", slope, n)
    prob = np.zeros((n, 4))
    prob[:, STEADY] = 1.0
    mean = np.empty((n, 4, 2))
    mean[:, :, 0] = mu[:, None]
    mean[:, :, 1] = b[:, None]
    cov = np.zeros((n, 4, 3))
    cov[:, :, 0] = cl[:, None]
    cov[:, :, 2] = cs[:, None]
    return MonitorState(prob, mean, cov, v, wl, ws, params or MonitorParams())


def fit_initial_state(
    history: ArrayLike,
    *,
    noise_var: ArrayLike | None = None,
    min_relative_std: float = 1e-6,
    min_std: float = 1e-12,
    level_ratio: float = LEVEL_RATIO,
    slope_ratio: float = SLOPE_RATIO,
    params: MonitorParams | None = None,
) -> MonitorState:
    """The prior from a first stretch of each series, (n_series, k): a straight line fitted.

    Level and slope by least squares on each row's observed values (NaN skipped; with one value
    the slope is 0), V the residual variance (with fewer than three values, the variance of the
    values), floored at (``min_relative_std`` · |level|)² and ``min_std``² so that a constant
    series is watched at that resolution rather than with zero variance; a known ``noise_var``
    (from reconciliation) replaces the estimate.  W_μ = ``level_ratio``
    · V, W_β = ``slope_ratio`` · V; the level and slope uncertainties are the fit's.  The state
    is the posterior at the last period of the history.  A row with no value at all is an error.
    """
    h = np.asarray(history, dtype=np.float64)
    if h.ndim != 2 or h.shape[1] < 1:
        raise ShapeError(f"history must have shape (n_series, k ≥ 1), got {h.shape}")
    if np.isinf(h).any():
        s, t = (int(i) for i in np.argwhere(np.isinf(h))[0])
        raise NonFiniteError(f"history holds an infinity at series {s}, period {t}")
    for name, value in (
        ("min_relative_std", min_relative_std),
        ("min_std", min_std),
        ("level_ratio", level_ratio),
        ("slope_ratio", slope_ratio),
    ):
        if not math.isfinite(value) or value < 0:
            raise DataError(f"{name} must be a finite number ≥ 0, got {value!r}")
    if min_std <= 0 or level_ratio <= 0:
        raise DataError("min_std and level_ratio must be > 0")
    obs = ~np.isnan(h)
    cnt = obs.sum(axis=1)
    if (cnt == 0).any():
        raise DataError(f"series {int(np.flatnonzero(cnt == 0)[0])} has no value in the history")
    k = h.shape[1]
    t = np.arange(k, dtype=np.float64) - (k - 1)  # the last period is t = 0
    y = np.where(obs, h, 0.0)
    tw = np.where(obs, t, 0.0)
    tbar = tw.sum(axis=1) / cnt
    ybar = y.sum(axis=1) / cnt
    dt = np.where(obs, t - tbar[:, None], 0.0)
    dy = np.where(obs, h - ybar[:, None], 0.0)
    stt = (dt * dt).sum(axis=1)
    slope = np.where(stt > 0, (dt * dy).sum(axis=1) / np.where(stt > 0, stt, 1.0), 0.0)
    level = ybar - slope * tbar
    resid = np.where(obs, h - level[:, None] - slope[:, None] * t, 0.0)
    ss = (resid * resid).sum(axis=1)
    var = np.where(cnt > 2, ss / np.maximum(cnt - 2, 1), (dy * dy).sum(axis=1) / cnt)
    floor = np.maximum((min_relative_std * np.abs(level)) ** 2, min_std**2)
    v = np.maximum(var, floor) if noise_var is None else _vector("noise_var", noise_var, h.shape[0])
    lu = v * (1.0 / cnt + np.where(stt > 0, tbar**2 / np.where(stt > 0, stt, 1.0), 0.0))
    su = np.where(stt > 0, v / np.where(stt > 0, stt, 1.0), 0.01 * v)
    return initial_state(
        level,
        noise_var=v,
        slope=slope,
        level_var=level_ratio * v,
        slope_var=slope_ratio * v,
        level_uncertainty=np.maximum(lu, level_ratio * v),
        slope_uncertainty=su,
        params=params,
    )


def _collapse(p: Array, m: Array, c: Array) -> tuple[Array, Array]:
    """Moment-match mixtures over axis 1: p (n, k), m (n, k, 2), c (n, k, 3) → (n, 2), (n, 3)."""
    mm = np.einsum("sk,skd->sd", p, m)
    d0 = m[:, :, 0] - mm[:, None, 0]
    d1 = m[:, :, 1] - mm[:, None, 1]
    cc = np.empty((p.shape[0], 3))
    cc[:, 0] = np.einsum("sk,sk->s", p, c[:, :, 0] + d0 * d0)
    cc[:, 1] = np.einsum("sk,sk->s", p, c[:, :, 1] + d0 * d1)
    cc[:, 2] = np.einsum("sk,sk->s", p, c[:, :, 2] + d1 * d1)
    return mm, cc


def _gains(par: MonitorParams) -> Array:
    """(3, 4): in each state j (columns, :data:`STATES`), the multiples of the level's drift
    W_μ, the slope's W_β and the measurement variance V (rows): a step widens W_μ, a slope
    change W_β, an outlier V."""
    gains = np.ones((3, 4))
    gains[0, STEP] = par.step_factor
    gains[1, SLOPE] = par.slope_factor
    gains[2, OUTLIER] = par.outlier_factor
    return gains


class _Period(NamedTuple):
    """A period's inputs to the path kernels, for every series (n of them)."""

    yv: Array  # (n,) the observations (NaN: missing)
    v: Array  # (n,) V, the measurement variance
    wl: Array  # (n,) W_μ, the level's steady drift
    ws: Array  # (n,) W_β, the slope's
    pw: Array  # (n, 4) P(M_{t−1} | D_{t−1})
    m: Array  # (n, 4, 2) the previous collapsed means
    c: Array  # (n, 4, 3) and covariances
    log_pi: Array  # (4,) log π_j
    gains: Array  # (3, 4) :func:`_gains`


_Paths = tuple[Array, Array, Array, Array, tuple[Array, Array, Array, Array, Array, Array]]
"""P(M_t | D_t), P(M_{t−1} | D_t), the collapsed means and covariances, and per series the
one-step forecast and its variance, the prior slope, and the level and slope at t of the paths
with a step at t − 1 and the slope at t of those with a slope change at t − 1."""


def _paths_numpy(x: _Period) -> _Paths:
    """The 16 paths and their collapse as whole-array operations (see :func:`_paths_numba`)."""
    yv, v, wl, ws, pw, m, c, log_pi, gains = x
    n = yv.shape[0]
    k_mu, k_beta, k_eps = gains
    with np.errstate(divide="ignore"):
        log_w = np.log(pw)
    # predict each previous component through G (axis 1: previous state i)
    a0 = m[:, :, 0] + m[:, :, 1]
    a1 = m[:, :, 1]
    r00 = c[:, :, 0] + 2.0 * c[:, :, 1] + c[:, :, 2]
    r01 = c[:, :, 1] + c[:, :, 2]
    r11 = c[:, :, 2]
    # one-step forecast of y_t from the collapsed prior, steady state
    f = np.einsum("si,si->s", pw, a0)
    fvar = np.einsum("si,si->s", pw, r00 + (a0 - f[:, None]) ** 2) + wl + v
    # the 16 paths (axis 1: i, axis 2: j)
    R00 = r00[:, :, None] + wl[:, None, None] * k_mu
    R01 = np.broadcast_to(r01[:, :, None], R00.shape)
    R11 = r11[:, :, None] + ws[:, None, None] * k_beta
    S = np.maximum(R00 + v[:, None, None] * k_eps, _FLOOR)
    observed = ~np.isnan(yv)
    e = np.where(observed, yv, 0.0)[:, None] - a0  # (n, i)
    e3 = e[:, :, None]
    K0 = R00 / S
    K1 = R01 / S
    o3 = observed[:, None, None]
    M0 = np.where(o3, a0[:, :, None] + K0 * e3, a0[:, :, None])
    M1 = np.where(o3, a1[:, :, None] + K1 * e3, a1[:, :, None])
    P00 = np.where(o3, R00 - K0 * R00, R00)
    P01 = np.where(o3, R01 - K0 * R01, R01)
    P11 = np.where(o3, R11 - K1 * R01, R11)
    P00 = np.maximum(P00, 0.0)
    P11 = np.maximum(P11, 0.0)
    loglik = np.where(o3, -0.5 * (np.log(S) + e3 * e3 / S), 0.0)
    lw = log_w[:, :, None] + log_pi + loglik
    lw -= lw.max(axis=(1, 2), keepdims=True)
    p = np.exp(lw)
    p /= p.sum(axis=(1, 2), keepdims=True)
    prob_prev = p.sum(axis=2)
    prob = p.sum(axis=1)
    # collapse over i for each j; a state j with zero weight takes the i-weights of the prior
    pj = prob[:, None, :]
    q = np.where(pj > 0, p / np.where(pj > 0, pj, 1.0), pw[:, :, None])
    mean = np.empty((n, 4, 2))
    mean[:, :, 0] = np.einsum("sij,sij->sj", q, M0)
    mean[:, :, 1] = np.einsum("sij,sij->sj", q, M1)
    d0 = M0 - mean[:, None, :, 0]
    d1 = M1 - mean[:, None, :, 1]
    cov = np.empty((n, 4, 3))
    cov[:, :, 0] = np.einsum("sij,sij->sj", q, P00 + d0 * d0)
    cov[:, :, 1] = np.einsum("sij,sij->sj", q, P01 + d0 * d1)
    cov[:, :, 2] = np.einsum("sij,sij->sj", q, P11 + d1 * d1)
    # sizes of changes: now (state j at t) and one period back (state i at t − 1)
    slope_prior = np.einsum("si,si->s", pw, a1)
    back = p / np.maximum(prob_prev[:, :, None], _FLOOR)
    lvl_back = np.einsum("sj,sj->s", back[:, STEP], M0[:, STEP])
    slp_back = np.einsum("sj,sj->s", back[:, STEP], M1[:, STEP])
    slope_back = np.einsum("sj,sj->s", back[:, SLOPE], M1[:, SLOPE])
    return prob, prob_prev, mean, cov, (f, fvar, slope_prior, lvl_back, slp_back, slope_back)


@njit(nogil=True, cache=True)  # type: ignore[misc]
def _paths_numba(x: _Period) -> _Paths:
    """One period for every series: predict, filter along the 16 paths, weigh, collapse."""
    yv, v, wl, ws, pw, m, c, log_pi, gains = x
    n = yv.shape[0]
    prob = np.empty((n, 4))
    prob_prev = np.empty((n, 4))
    mean = np.empty((n, 4, 2))
    cov = np.empty((n, 4, 3))
    f_out = np.empty(n)
    fvar_out = np.empty(n)
    slope_prior = np.empty(n)
    lvl_back = np.empty(n)
    slp_back = np.empty(n)
    slope_back = np.empty(n)
    k_mu = gains[0]
    k_beta = gains[1]
    k_eps = gains[2]
    a0 = np.empty(4)
    a1 = np.empty(4)
    r00 = np.empty(4)
    r01 = np.empty(4)
    r11 = np.empty(4)
    M0 = np.empty((4, 4))
    M1 = np.empty((4, 4))
    P00 = np.empty((4, 4))
    P01 = np.empty((4, 4))
    P11 = np.empty((4, 4))
    lw = np.empty((4, 4))
    for s in range(n):
        y = yv[s]
        obs = not np.isnan(y)
        f = 0.0
        b = 0.0
        for i in range(4):
            a0[i] = m[s, i, 0] + m[s, i, 1]
            a1[i] = m[s, i, 1]
            r00[i] = c[s, i, 0] + 2.0 * c[s, i, 1] + c[s, i, 2]
            r01[i] = c[s, i, 1] + c[s, i, 2]
            r11[i] = c[s, i, 2]
            f += pw[s, i] * a0[i]
            b += pw[s, i] * a1[i]
        fv = wl[s] + v[s]
        for i in range(4):
            fv += pw[s, i] * (r00[i] + (a0[i] - f) ** 2)
        f_out[s] = f
        fvar_out[s] = fv
        slope_prior[s] = b
        top = -np.inf
        for i in range(4):
            lwi = np.log(pw[s, i]) if pw[s, i] > 0 else -np.inf
            e = y - a0[i]
            for j in range(4):
                R00 = r00[i] + wl[s] * k_mu[j]
                R01 = r01[i]
                R11 = r11[i] + ws[s] * k_beta[j]
                if obs:
                    S = max(R00 + v[s] * k_eps[j], _FLOOR)
                    K0 = R00 / S
                    K1 = R01 / S
                    M0[i, j] = a0[i] + K0 * e
                    M1[i, j] = a1[i] + K1 * e
                    P00[i, j] = max(R00 - K0 * R00, 0.0)
                    P01[i, j] = R01 - K0 * R01
                    P11[i, j] = max(R11 - K1 * R01, 0.0)
                    lw[i, j] = lwi + log_pi[j] - 0.5 * (np.log(S) + e * e / S)
                else:
                    M0[i, j] = a0[i]
                    M1[i, j] = a1[i]
                    P00[i, j] = R00
                    P01[i, j] = R01
                    P11[i, j] = R11
                    lw[i, j] = lwi + log_pi[j]
                top = max(top, lw[i, j])
        total = 0.0
        for i in range(4):
            for j in range(4):
                lw[i, j] = np.exp(lw[i, j] - top)
                total += lw[i, j]
        for i in range(4):
            prob_prev[s, i] = 0.0
        for j in range(4):
            prob[s, j] = 0.0
        for i in range(4):
            for j in range(4):
                lw[i, j] /= total
                prob_prev[s, i] += lw[i, j]
                prob[s, j] += lw[i, j]
        for j in range(4):
            pj = prob[s, j]
            mu = 0.0
            be = 0.0
            for i in range(4):
                q = lw[i, j] / pj if pj > 0 else pw[s, i]
                mu += q * M0[i, j]
                be += q * M1[i, j]
            c0 = 0.0
            c1 = 0.0
            c2 = 0.0
            for i in range(4):
                q = lw[i, j] / pj if pj > 0 else pw[s, i]
                d0 = M0[i, j] - mu
                d1 = M1[i, j] - be
                c0 += q * (P00[i, j] + d0 * d0)
                c1 += q * (P01[i, j] + d0 * d1)
                c2 += q * (P11[i, j] + d1 * d1)
            mean[s, j, 0] = mu
            mean[s, j, 1] = be
            cov[s, j, 0] = c0
            cov[s, j, 1] = c1
            cov[s, j, 2] = c2
        ps = max(prob_prev[s, STEP], _FLOOR)
        pl = max(prob_prev[s, SLOPE], _FLOOR)
        lv = 0.0
        sl = 0.0
        sb = 0.0
        for j in range(4):
            lv += lw[STEP, j] / ps * M0[STEP, j]
            sl += lw[STEP, j] / ps * M1[STEP, j]
            sb += lw[SLOPE, j] / pl * M1[SLOPE, j]
        lvl_back[s] = lv
        slp_back[s] = sl
        slope_back[s] = sb
    return (
        prob,
        prob_prev,
        mean,
        cov,
        (f_out, fvar_out, slope_prior, lvl_back, slp_back, slope_back),
    )


def update(
    state: MonitorState,
    y: ArrayLike,
    *,
    obs_std: ArrayLike | None = None,
    engine: Literal["numba", "numpy"] = "numba",
) -> MonitorUpdate:
    """One period: the new observation of every series (NaN: missing) → the posterior.

    ``obs_std`` (n,), optional: the standard deviation of each observation, e.g. from
    reconciliation; it replaces √V for this period (0 means exact; NaN means "use V").
    ``engine``: ``"numba"`` (compiled loop over series, the default) or ``"numpy"`` (the same
    arithmetic as whole-array operations: no compile time, a few times slower).
    """
    n = state.n
    yv = _vector("y", y, n, allow_nan=True)
    if obs_std is None:
        v = state.noise_var
    else:
        sd = _vector("obs_std", obs_std, n, allow_nan=True)
        _positive("obs_std", np.nan_to_num(sd, nan=0.0), strict=False)
        v = np.where(np.isnan(sd), state.noise_var, sd * sd)
    par = state.params
    observed = ~np.isnan(yv)
    if engine not in ("numba", "numpy"):
        raise DataError(f"engine must be 'numba' or 'numpy', got {engine!r}")
    kernel = _paths_numba if engine == "numba" else _paths_numpy
    with np.errstate(divide="ignore"):
        log_pi = np.log(np.array(par.prior))
    period = _Period(
        yv,
        v,
        state.level_var,
        state.slope_var,
        state.prob,
        state.mean,
        state.cov,
        log_pi,
        _gains(par),
    )
    prob, prob_prev, mean, cov, out = kernel(period)
    f, fvar, slope_prior, lvl_back, slp_back, slope_back = out
    fstd = np.sqrt(fvar)
    step_size = np.where(observed, mean[:, STEP, 0] - f, 0.0)
    slope_change = mean[:, SLOPE, 1] - slope_prior
    nan = np.full(n, np.nan)
    last_f = state.last_forecast if state.last_forecast is not None else nan
    last_b = state.last_slope if state.last_slope is not None else nan
    last_e = state.last_innovation if state.last_innovation is not None else nan
    innovation = np.where(observed, yv - f, np.nan)
    step_back = lvl_back - slp_back - last_f
    zero = np.zeros(n)
    new_state = MonitorState(
        prob=prob,
        mean=mean,
        cov=cov,
        noise_var=state.noise_var,
        level_var=state.level_var,
        slope_var=state.slope_var,
        params=par,
        last_forecast=f,
        last_slope=slope_prior,
        last_innovation=innovation,
        last_step_prob=prob_prev[:, STEP],
        last_step_size=step_back,
        periods=state.periods + 1,
    )
    cm, cc = _collapse(prob, mean, cov)
    return MonitorUpdate(
        state=new_state,
        prob=prob,
        prob_previous=prob_prev,
        level=cm[:, 0],
        slope=cm[:, 1],
        level_std=np.sqrt(cc[:, 0]),
        slope_std=np.sqrt(cc[:, 2]),
        forecast=f,
        forecast_std=fstd,
        innovation=innovation,
        z=innovation / fstd,
        step_size=step_size,
        slope_change=slope_change,
        step_size_previous=step_back,
        slope_change_previous=slope_back - last_b,
        outlier_size_previous=last_e,
        step_prob_earlier=zero if state.last_step_prob is None else state.last_step_prob,
        step_size_earlier=zero if state.last_step_size is None else state.last_step_size,
        observed=observed,
    )


@dataclass(frozen=True, eq=False)
class Forecast:
    """k-step forecasts per series, steady state assumed: mean, std, and the interval
    [lower, upper] at ``coverage`` (normal quantiles)."""

    steps: int
    mean: Array
    std: Array
    lower: Array
    upper: Array
    coverage: float


def forecast(state: MonitorState, steps: int = 1, *, coverage: float = 0.95) -> Forecast:
    """Forecast y_{t+steps} from the collapsed posterior (see the module docstring)."""
    if not isinstance(steps, int | np.integer) or steps < 1:
        raise DataError(f"steps must be a whole number ≥ 1, got {steps!r}")
    if not 0 < coverage < 1:
        raise DataError(f"coverage must be in (0, 1), got {coverage!r}")
    k = float(steps)
    mm, cc = state.collapsed()
    mean = mm[:, 0] + k * mm[:, 1]
    h2 = (k - 1) * k * (2 * k - 1) / 6.0  # Σ_{h<k} h²
    var = (
        cc[:, 0]
        + 2 * k * cc[:, 1]
        + k * k * cc[:, 2]
        + k * state.level_var
        + h2 * state.slope_var
        + state.noise_var
    )
    std = np.sqrt(np.maximum(var, 0.0))
    from statistics import NormalDist

    zq = NormalDist().inv_cdf(0.5 + coverage / 2)
    return Forecast(int(steps), mean, std, mean - zq * std, mean + zq * std, coverage)


class SignalKind(IntEnum):
    """What :func:`detect` found in a series this period."""

    NONE = 0
    STEP_UP = 1
    STEP_DOWN = 2
    SLOPE_UP = 3
    SLOPE_DOWN = 4
    OUTLIER = 5


@dataclass(frozen=True)
class DetectionRule:
    """When the posterior is a signal.

    A change one period back is signalled when its probability P(M_{t−1} = state | D_t) reaches
    ``step`` (level step), ``slope`` (slope change) or ``outlier``: a step or slope change once the
    next value confirms it, an outlier once the next value has come back.  Run rule: a step is
    also signalled when P(M_{t−1} = step | D_t) + P(M_{t−2} = step | D_{t−1}) reaches ``run``
    with both steps the same way (a step the filter half-absorbed the first time).  A step this
    very period is signalled at once when P(M_t = step | D_t) ≥ ``immediate`` (1: always wait).
    Of several, the most probable wins.  With :class:`MonitorParams`' defaults and V known, the
    defaults keep false alarms under one per 100 periods per series on steady noise
    (``benchmarks/monitor.py``).
    """

    step: float = 0.2
    run: float = 0.2
    slope: float = 0.5
    outlier: float = 0.5
    immediate: float = 0.99

    def __post_init__(self) -> None:
        for name in ("step", "run", "slope", "outlier", "immediate"):
            value = getattr(self, name)
            if not (isinstance(value, int | float) and math.isfinite(value) and 0 < value <= 1):
                raise DataError(f"DetectionRule.{name} must be in (0, 1], got {value!r}")


@dataclass(frozen=True, eq=False)
class Signals:
    """Per series: ``kind`` (int8, :class:`SignalKind`), its ``probability``, the estimated
    ``size`` (level change, slope change or outlier's departure; 0 where no signal), ``lag``
    (0: this period, 1: the period before; −1 where none)."""

    kind: NDArray[np.int8]
    probability: Array
    size: Array
    lag: NDArray[np.int8]

    @property
    def flagged(self) -> NDArray[np.intp]:
        """Indices of the series with a signal."""
        return np.flatnonzero(self.kind != SignalKind.NONE)

    def reason(self, s: int, name: str | None = None) -> str:
        """A plain-words reason for series ``s`` (``name`` defaults to "series s")."""
        who = name if name is not None else f"series {s}"
        kind = SignalKind(int(self.kind[s]))
        if kind is SignalKind.NONE:
            return f"{who}: nothing unusual"
        when = "this period" if self.lag[s] == 0 else "last period"
        pct = f"{100 * self.probability[s]:.0f} %"
        size = f"{abs(float(self.size[s])):.4g}"
        if kind in (SignalKind.STEP_UP, SignalKind.STEP_DOWN):
            way = "up" if kind is SignalKind.STEP_UP else "down"
            return f"{who}: the level stepped {way} by about {size} {when} (probability {pct})"
        if kind in (SignalKind.SLOPE_UP, SignalKind.SLOPE_DOWN):
            way = "faster" if kind is SignalKind.SLOPE_UP else "slower"
            return (
                f"{who}: the trend changed {when}: it now grows {way} by about {size} a period "
                f"(probability {pct})"
            )
        return (
            f"{who}: the value {when} was off by about {size} and the next one came back: "
            f"an outlier, a one-off error or event (probability {pct})"
        )

    def reasons(self, names: list[str] | None = None) -> list[str]:
        """The reasons of every flagged series, in index order."""
        return [self.reason(int(s), None if names is None else names[s]) for s in self.flagged]


def detect(result: MonitorUpdate, rule: DetectionRule | None = None) -> Signals:
    """Read the posterior of one :func:`update` against ``rule`` (see :class:`DetectionRule`)."""
    r = rule or DetectionRule()
    n = result.state.n
    pb = result.prob_previous
    p_step = pb[:, STEP]
    earlier = result.step_prob_earlier
    same_way = np.sign(result.step_size_previous) == np.sign(result.step_size_earlier)
    run = (earlier < r.step) & same_way & (p_step + earlier >= r.run)
    cand = np.stack(
        [
            np.where(p_step >= r.step, p_step, np.where(run, p_step + earlier, 0.0)),
            np.where(pb[:, SLOPE] >= r.slope, pb[:, SLOPE], 0.0),
            np.where(pb[:, OUTLIER] >= r.outlier, pb[:, OUTLIER], 0.0),
            np.where(result.prob[:, STEP] >= r.immediate, result.prob[:, STEP], 0.0),
        ],
        axis=1,
    )
    cand = np.minimum(cand, 1.0)
    best = cand.argmax(axis=1)
    rows = np.arange(n)
    prob = cand[rows, best]
    hit = prob > 0
    sizes = np.stack(
        [
            result.step_size_previous,
            result.slope_change_previous,
            result.outlier_size_previous,
            result.step_size,
        ],
        axis=1,
    )
    size = np.nan_to_num(np.where(hit, sizes[rows, best], 0.0), nan=0.0)
    up = (size >= 0).astype(np.intp)
    kinds = np.array(
        [
            [SignalKind.STEP_DOWN, SignalKind.STEP_UP],
            [SignalKind.SLOPE_DOWN, SignalKind.SLOPE_UP],
            [SignalKind.OUTLIER, SignalKind.OUTLIER],
            [SignalKind.STEP_DOWN, SignalKind.STEP_UP],
        ],
        dtype=np.int8,
    )
    kind = np.where(hit, kinds[best, up], np.int8(SignalKind.NONE)).astype(np.int8)
    lag = np.where(hit, np.where(best == 3, 0, 1), -1).astype(np.int8)
    return Signals(kind, np.where(hit, prob, 0.0), size, lag)
