"""Plausibility screens for production reports: evidence beside the balances.

Each screen returns a :class:`Screen`: the statistic, a p-value or score, the threshold it was
judged against, whether it flags, and the reason in plain words.  A screen that cannot say
anything on the data given (too few numbers, too narrow a range) returns ``applicable=False``
and says why: it never guesses.  None of them proves anything; each says where to look.

=========================  ====================================================================
screen                     statistic
=========================  ====================================================================
:func:`bunching`           fulfilment r = reported / planned: share of r in [1, 1 + w) against
                           the share in [1 − w, 1), binomial test (a smooth density puts about
                           as much just below 100 % as just above)
:func:`storming`           share of a period's output in its last third, from sub-period
                           reports; z against the uniform share 1/3 with the workplace's own
                           sub-period variability
:func:`digit_heaping`      χ² on the last digit (uniform over 0..9), with the share of 0 and 5
:func:`round_numbers`      share of reports that are multiples of a round unit, binomial against
                           the share expected by chance
:func:`robust_z`           (x − median) / (1.4826 · MAD) of per-unit hours or inputs against the
                           coefficients or the workplace's own history
:func:`benford`            χ² of first digits against log₁₀(1 + 1/d); only where the numbers
                           span ≥ 2 orders of magnitude (else "not applicable")
:func:`hard_measure_gap`   z of a report against a hard-to-fake measure (energy, freight,
                           receipts) through its ratio, with both uncertainties
=========================  ====================================================================
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import stats

from commonplan.errors import DataError, NonFiniteError, ShapeError
from commonplan.numerics.types import Array

__all__ = [
    "Screen",
    "benford",
    "bunching",
    "digit_heaping",
    "hard_measure_gap",
    "robust_z",
    "round_numbers",
    "storming",
]


@dataclass(frozen=True)
class Screen:
    """Evidence from one screen.  ``p_value`` is nan for score-only screens."""

    name: str
    statistic: float
    p_value: float
    threshold: float
    flagged: bool
    applicable: bool
    reason: str
    n: int


def _finite(x: ArrayLike, name: str) -> Array:
    v = np.asarray(x, dtype=np.float64).reshape(-1)
    bad = np.flatnonzero(~np.isfinite(v))
    if len(bad):
        raise NonFiniteError(f"{name}[{bad[0]}] is {v[bad[0]]}: screens need finite numbers")
    return v


def _na(name: str, reason: str, n: int) -> Screen:
    return Screen(name, float("nan"), float("nan"), float("nan"), False, False, reason, n)


def bunching(
    reported: ArrayLike, planned: ArrayLike, *, width: float = 0.02, alpha: float = 0.01
) -> Screen:
    """Fulfilment bunched just above 100 %: more r in [1, 1 + width) than in [1 − width, 1).

    One-sided binomial test, p = P(X ≥ above | above + below, ½).
    """
    rep = _finite(reported, "reported")
    pl = _finite(planned, "planned")
    if len(rep) != len(pl):
        raise ShapeError(f"reported has {len(rep)} entries, planned {len(pl)}")
    if (pl <= 0).any():
        j = int(np.flatnonzero(pl <= 0)[0])
        raise DataError(f"planned[{j}] is {pl[j]}: fulfilment needs a positive plan")
    r = rep / pl
    above = int(((r >= 1) & (r < 1 + width)).sum())
    below = int(((r >= 1 - width) & (r < 1)).sum())
    n = above + below
    if n < 5:
        return _na("bunching", f"only {n} fulfilment ratios within ±{width:.0%} of 100 %", len(r))
    p = float(stats.binomtest(above, n, 0.5, alternative="greater").pvalue)
    flagged = p < alpha
    why = (
        f"{above} of {n} fulfilment ratios near 100 % lie just above it (within {width:.0%}), "
        f"{below} just below; p = {p:.2g}"
    )
    return Screen("bunching", above / n, p, alpha, flagged, True, why, len(r))


def storming(
    subperiod_output: ArrayLike, *, alpha: float = 0.01, share_threshold: float = 0.45
) -> Screen:
    """Storming index: share of a period's output made in its last third.

    ``subperiod_output``: (periods × k) output per sub-period (k ≥ 3, e.g. 10 ten-day parts of
    a month, or days), one row per period.  The index is the mean share of the last ⌈k/3⌉
    sub-periods; against 1/3 (k divisible by 3, else ⌈k/3⌉/k), a one-sided t-test over periods.
    Flags when p < α and the index exceeds ``share_threshold``.
    """
    x = np.atleast_2d(np.asarray(subperiod_output, dtype=np.float64))
    _finite(x.ravel(), "subperiod_output")
    P, k = x.shape
    if k < 3:
        return _na("storming", f"{k} sub-periods: need at least 3 to find a last third", P)
    if (x < 0).any():
        raise DataError("subperiod_output must be non-negative")
    tot = x.sum(axis=1)
    ok = tot > 0
    if ok.sum() < 2:
        return _na("storming", "fewer than 2 periods with output", P)
    last = int(np.ceil(k / 3))
    share = x[ok, k - last :].sum(axis=1) / tot[ok]
    expect = last / k
    idx = float(share.mean())
    sd = float(share.std(ddof=1))
    if sd == 0:
        p = 0.0 if idx > expect else 1.0
    else:
        t = (idx - expect) / (sd / np.sqrt(len(share)))
        p = float(stats.t.sf(t, len(share) - 1))
    flagged = p < alpha and idx > share_threshold
    why = (
        f"{idx:.0%} of output in the last {last} of {k} sub-periods on average over "
        f"{len(share)} periods (even pace: {expect:.0%}); p = {p:.2g}"
    )
    return Screen("storming", idx, p, alpha, flagged, True, why, len(share))


def _last_digit(v: Array, decimals: int) -> NDArray[np.int64]:
    scaled = np.round(np.abs(v) * 10**decimals)
    out: NDArray[np.int64] = (scaled % 10).astype(np.int64)
    return out


def digit_heaping(values: ArrayLike, *, decimals: int = 0, alpha: float = 0.01) -> Screen:
    """χ² test of the last digit (at ``decimals`` places) against uniform 0..9.

    Needs at least 50 numbers (expected count ≥ 5 per digit).  The reason names the share of
    0s and 5s, the usual heaps of invented figures.
    """
    v = _finite(values, "values")
    n = len(v)
    if n < 50:
        return _na("last-digit heaping", f"{n} numbers: need at least 50 for a digit test", n)
    d = _last_digit(v, decimals)
    obs = np.bincount(d, minlength=10)
    chi2 = float(((obs - n / 10) ** 2 / (n / 10)).sum())
    p = float(stats.chi2.sf(chi2, 9))
    share05 = (obs[0] + obs[5]) / n
    why = f"last digits: {share05:.0%} are 0 or 5 (chance: 20 %); χ²(9) = {chi2:.1f}, p = {p:.2g}"
    return Screen("last-digit heaping", chi2, p, alpha, p < alpha, True, why, n)


def round_numbers(values: ArrayLike, *, unit: float = 100.0, alpha: float = 0.01) -> Screen:
    """Share of nonzero reports that are exact multiples of ``unit``, against chance.

    Chance: for numbers spread over many units, 1 in ``unit / resolution`` where the resolution
    is the finest step seen in the data (the smallest nonzero last-place step, at least 1e-9 of
    the unit).  One-sided binomial test.
    """
    v = _finite(values, "values")
    v = v[v != 0]
    n = len(v)
    if unit <= 0:
        raise DataError(f"unit must be positive, got {unit}")
    if n < 20:
        return _na("round numbers", f"{n} nonzero numbers: need at least 20", n)
    if np.max(np.abs(v)) < 10 * unit:
        return _na("round numbers", f"numbers below 10 × {unit:g}: roundness means little", n)
    # resolution: the coarsest power of ten that all numbers are multiples of... not round ones
    steps = [10.0**e for e in range(-6, 10)]
    res = 1e-6
    for s in steps:
        frac = np.abs(v / s - np.round(v / s))
        if np.mean(frac < 1e-9) >= 0.99:
            res = s
    p0 = min(1.0, res / unit)
    if p0 >= 1.0:
        return _na("round numbers", f"every number is recorded in steps of {res:g}", n)
    hits = int((np.abs(v / unit - np.round(v / unit)) < 1e-9).sum())
    p = float(stats.binomtest(hits, n, p0, alternative="greater").pvalue)
    why = (
        f"{hits} of {n} reports are multiples of {unit:g} (chance at a recorded resolution of "
        f"{res:g}: {p0:.1%}); p = {p:.2g}"
    )
    return Screen("round numbers", hits / n, p, alpha, p < alpha, True, why, n)


def robust_z(
    value: float, reference: ArrayLike, *, threshold: float = 3.5, what: str = "hours per unit"
) -> Screen:
    """Robust z-score of ``value`` against ``reference`` (the coefficients, or the workplace's
    own history): (value − median) / (1.4826 · MAD).  Flags |z| > ``threshold`` (3.5, Iglewicz
    & Hoaglin).  A score, not a test: ``p_value`` is nan.
    """
    ref = _finite(reference, "reference")
    if not np.isfinite(value):
        raise NonFiniteError(f"value is {value}: screens need finite numbers")
    n = len(ref)
    if n < 5:
        return _na("robust z", f"{n} reference values: need at least 5", n)
    med = float(np.median(ref))
    mad = 1.4826 * float(np.median(np.abs(ref - med)))
    if mad == 0:
        mad = 1.2533 * float(np.mean(np.abs(ref - med)))  # mean absolute deviation fallback
    if mad == 0:
        return _na("robust z", "the reference values are all equal: no spread to judge by", n)
    z = (value - med) / mad
    why = (
        f"{what} {value:.4g} against a median of {med:.4g} (robust spread {mad:.3g}): "
        f"{z:+.1f} robust standard deviations"
    )
    return Screen("robust z", z, float("nan"), threshold, abs(z) > threshold, True, why, n)


BENFORD = np.log10(1.0 + 1.0 / np.arange(1, 10))
"""First-digit probabilities of Benford's law, digits 1..9."""


def benford(values: ArrayLike, *, alpha: float = 0.01, min_orders: float = 2.0) -> Screen:
    """χ² test of first digits against Benford's law — at sector level, where the numbers span
    at least ``min_orders`` orders of magnitude (log₁₀(max/min) of the nonzero |values|, from the
    1st to the 99th percentile); else not applicable.  Needs 100 numbers or more."""
    v = np.abs(_finite(values, "values"))
    v = v[v > 0]
    n = len(v)
    if n < 100:
        return _na("Benford", f"{n} nonzero numbers: need at least 100 for a first-digit test", n)
    lo, hi = np.percentile(v, [1, 99])
    span = float(np.log10(hi / lo))
    if span < min_orders:
        return _na(
            "Benford",
            f"the numbers span {span:.1f} orders of magnitude: Benford's law needs at least "
            f"{min_orders:g}, so it does not apply",
            n,
        )
    first = (v / 10 ** np.floor(np.log10(v))).astype(np.int64)
    first = np.clip(first, 1, 9)
    obs = np.bincount(first, minlength=10)[1:]
    exp = n * BENFORD
    chi2 = float(((obs - exp) ** 2 / exp).sum())
    p = float(stats.chi2.sf(chi2, 8))
    worst = int(np.argmax(np.abs(obs - exp) / np.sqrt(exp))) + 1
    why = (
        f"first digits over {span:.1f} orders of magnitude: χ²(8) = {chi2:.1f}, p = {p:.2g}; "
        f"digit {worst} is {obs[worst - 1] / n:.1%} (Benford: {BENFORD[worst - 1]:.1%})"
    )
    return Screen("Benford", chi2, p, alpha, p < alpha, True, why, n)


def hard_measure_gap(
    reported: float,
    reported_sd: float,
    measure: float,
    measure_sd: float,
    ratio: float,
    ratio_sd: float,
    *,
    threshold: float = 3.0,
    what: str = "energy metered",
) -> Screen:
    """Disagreement of a report with a hard-to-fake measure (energy, freight, receipts).

    The measure predicts the report as ``measure / ratio`` (e.g. kWh per unit of output), with
    the uncertainties of the measure and of the ratio propagated to first order.  z = (reported
    − predicted) / √(sd_reported² + sd_predicted²); two-sided p-value; flags |z| > threshold.
    """
    vals = [reported, reported_sd, measure, measure_sd, ratio, ratio_sd]
    if not all(np.isfinite(vals)):
        raise NonFiniteError("hard_measure_gap needs finite numbers")
    if ratio <= 0 or reported_sd < 0 or measure_sd < 0 or ratio_sd < 0:
        raise DataError("ratio must be positive and the standard deviations non-negative")
    pred = measure / ratio
    pred_sd = abs(pred) * float(
        np.hypot(measure_sd / measure if measure else 0.0, ratio_sd / ratio)
    )
    sd = float(np.hypot(reported_sd, pred_sd))
    if sd == 0:
        return _na("hard measure", "no uncertainty given: a gap cannot be judged", 1)
    z = (reported - pred) / sd
    p = float(2 * stats.norm.sf(abs(z)))
    why = (
        f"reported {reported:.4g}; {what} implies {pred:.4g} ± {pred_sd:.2g}: "
        f"{z:+.1f} standard deviations apart"
    )
    return Screen("hard measure", z, p, threshold, abs(z) > threshold, True, why, 1)
