"""Method of Equal Shares and greedy by votes: hand-solved instances, and pabutools as an oracle.

pabutools (GPL) is a test-only dependency; the package never imports it.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from fractions import Fraction
from typing import Any
from unittest.mock import patch

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from commonplan.errors import TieError, VotingError
from commonplan.numerics import mes
from commonplan.numerics.mes import RecordedTie, equal_shares, greedy_by_votes

pabutools = pytest.importorskip("pabutools")
from pabutools.election import (  # noqa: E402
    ApprovalBallot,
    ApprovalProfile,
    Cardinality_Sat,
    Cost_Sat,
    Instance,
    Project,
)
from pabutools.fractions import frac  # noqa: E402
from pabutools.rules import greedy_utilitarian_welfare, method_of_equal_shares  # noqa: E402
from pabutools.tiebreaking import lexico_tie_breaking  # noqa: E402

# ---------------------------------------------------------------------------------------------
# hand-solved instances


def lackner_skowron() -> tuple[np.ndarray, list[str]]:
    """Running example of Lackner & Skowron, "Multi-Winner Voting with Approval Preferences"
    (Springer 2023), also in pabutools' tests: 12 voters, candidates a–g of cost 1, budget 4."""
    ballots = ["ab"] * 3 + ["ac"] * 3 + ["ad"] * 2 + ["bcf", "e", "f", "g"]
    ids = list("abcdefg")
    a = np.array([[p in b for p in ids] for b in ballots], dtype=bool)
    return a, ids


@pytest.mark.parametrize("utility", ["cost", "approval"])
def test_lackner_skowron_running_example(utility: str) -> None:
    # Each voter gets 4/12 = 1/3.  a (8 supporters) costs each 1/8 and is funded.  Then b's
    # supporters (three with 1/3 − 1/8 = 5/24 left, and the b-c-f voter with 1/3) hold
    # 23/24 < 1, the same for c, and d, e, f, g never had enough: only a.
    a, ids = lackner_skowron()
    r = equal_shares(a, np.ones(7), 4, utility=utility, projects=ids)  # type: ignore[arg-type]
    assert r.ids == ("a",)
    assert r.rho == (1 / 8,)
    assert r.share == (1 / 8,)
    assert_allclose(r.remaining, [5 / 24] * 8 + [1 / 3] * 4)
    assert r.total_cost == 1.0 and r.ties == ()


def red_blue() -> tuple[np.ndarray, list[str]]:
    """equalshares.net / Peters & Skowron's motivating example: 51 of 100 voters approve 10 red
    projects, 49 approve 10 blue ones, every project costs 1, the budget is 10."""
    red = [f"red-{k:02d}" for k in range(1, 11)]
    blue = [f"blue-{k:02d}" for k in range(1, 11)]
    a = np.zeros((100, 20), dtype=bool)
    a[:51, :10] = True
    a[51:, 10:] = True
    return a, red + blue


def test_red_blue_is_proportional_and_greedy_is_not() -> None:
    # Shares of 1/10.  A red project costs its 51 supporters 1/51 each, a blue one 1/49: reds
    # first.  After five reds each red voter has 1/10 − 5/51 = 0.1/51 left, 0.1 in all: no sixth.
    # Blue voters afford four (1/10 − 4/49 = 0.9/49 each left, 0.9 in all).  No completion: 9.
    a, ids = red_blue()
    costs = np.ones(20)
    r = equal_shares(a, costs, 10, tie_break="lexicographic", projects=ids)
    assert r.ids == tuple(ids[:5] + ids[10:14])
    assert_allclose(r.rho, [1 / 51] * 5 + [1 / 49] * 4, rtol=1e-15)
    assert r.total_cost == 9.0
    assert_allclose(r.remaining, [0.1 / 51] * 51 + [0.9 / 49] * 49, rtol=1e-12)
    # the reds tie at 1/51 in each of the first five rounds and share every supporter
    assert r.ties[0] == RecordedTie(0, tuple(ids[:10]), "red-01", "lexicographic")
    assert [t.chosen for t in r.ties] == list(r.ids)
    with pytest.raises(TieError, match=r"round 1 of equal shares: projects 'red-01',") as info:
        equal_shares(a, costs, 10, projects=ids)
    assert info.value.tied == tuple(ids[:10])
    # greedy by votes spends everything on the 51 %: the ten reds tie on votes, but all of them
    # fit, so no rule is needed
    g = greedy_by_votes(a, costs, 10, projects=ids)
    assert g.ids == tuple(ids[:10]) and g.votes == (51,) * 10 and g.ties == ()


XYZ = np.array([[1, 1, 1], [1, 0, 1], [1, 0, 1]], dtype=bool)
XYZ_COSTS = [3, 2, 7]


def test_poor_supporter_pays_what_is_left_approval_utility() -> None:
    # Own example, solved by hand.  3 voters, budget 12: 4 each.  X (cost 3, all three) costs
    # each 1; Y (2, voter 0 alone) costs 2; Z (7, all three) 7/3.  Round 1: X at 1 → 3, 3, 3.
    # Round 2: Y at 2 beats Z at 7/3 → voter 0 has 1.  Round 3: Z: voter 0 cannot pay 7/3 and pays
    # the 1 left (poor); the others pay (7 − 1)/2 = 3, exactly what they have (Σ b = c).
    r = equal_shares(XYZ, XYZ_COSTS, 12, utility="approval", projects="XYZ")
    assert r.ids == ("X", "Y", "Z")
    assert r.rho == (1.0, 2.0, 3.0) and r.share == (1.0, 2.0, 3.0)
    assert r.total_cost == 12.0
    assert_allclose(r.remaining, 0.0, atol=0)
    assert r.exact_rounds >= 1  # Σ b = c exactly: decided in fractions


def test_cost_utility_tie_and_the_rules_that_decide_it() -> None:
    # Cost utility: X and Z both cost each supporter 1/3 of their cost per unit: ρ = 1/3, a tie
    # between projects with the same supporters.
    with pytest.raises(TieError, match="'X', 'Z' tie") as info:
        equal_shares(XYZ, XYZ_COSTS, 12, projects="XYZ")
    assert info.value.tied == ("X", "Z")
    # lexicographic: X (4 → 3 each), then Z at ρ = (7/3)/7 = 1/3 beats Y at 1 (→ 2/3 each), then
    # Y needs 2 from voter 0, who has 2/3.
    r = equal_shares(XYZ, XYZ_COSTS, 12, tie_break="lexicographic", projects="XYZ")
    assert r.ids == ("X", "Z") and r.total_cost == 10.0
    assert r.ties == (RecordedTie(0, ("X", "Z"), "X", "lexicographic"),)
    assert_allclose(r.rho, [1 / 3, 1 / 3], rtol=1e-15)
    assert_allclose(r.remaining, [2 / 3] * 3)
    # a priority order: Z (4 − 7/3 = 5/3 each left), then X at 1 each; Y never affordable
    r = equal_shares(XYZ, XYZ_COSTS, 12, tie_break=["Z", "X", "Y"], projects="XYZ")
    assert r.ids == ("Z", "X") and r.tie_break == "priority" and r.priority == ("Z", "X", "Y")
    assert r.ties == (RecordedTie(0, ("X", "Z"), "Z", "priority"),)
    # a priority order that does not rank the tied projects decides nothing
    with pytest.raises(TieError) as info:
        equal_shares(XYZ, XYZ_COSTS, 12, tie_break=["Y"], projects="XYZ")
    assert info.value.tied == ("X", "Z")


def test_tie_between_independent_projects_needs_no_rule() -> None:
    # Two voters, two projects of cost 1 with one supporter each, budget 2: both ρ = 1 (approval)
    # and funding one changes nothing for the other.  "error" funds both, recording the tie.
    a = np.eye(2, dtype=bool)
    r = equal_shares(a, [1, 1], 2, utility="approval", projects=["q", "p"])
    assert r.ids == ("q", "p")
    assert r.ties == (RecordedTie(0, ("q", "p"), "q", "independent"),)
    # with a supporter in common (who has money) the order can matter: a rule is needed
    b = np.array([[1, 1], [1, 0], [0, 1]], dtype=bool)
    with pytest.raises(TieError) as info:
        equal_shares(b, [2, 2], 3, utility="approval", projects=["q", "p"])
    assert info.value.tied == ("q", "p")


def test_greedy_tie_that_matters() -> None:
    a = np.eye(3, dtype=bool)  # one vote each, cost 1 each, room for two
    with pytest.raises(TieError, match="have 1 votes each and do not all fit") as info:
        greedy_by_votes(a, [1, 1, 1], 2, projects=["c", "a", "b"])
    assert info.value.tied == ("c", "a", "b")
    g = greedy_by_votes(a, [1, 1, 1], 2, tie_break="lexicographic", projects=["c", "a", "b"])
    assert g.ids == ("a", "b")
    assert g.ties[0] == RecordedTie(0, ("c", "a", "b"), "a", "lexicographic")
    g = greedy_by_votes(a, [1, 1, 1], 2, tie_break=["b", "c"], projects=["c", "a", "b"])
    assert g.ids == ("b", "c")


def test_nothing_to_fund() -> None:
    a = np.array([[1, 0], [1, 0]], dtype=bool)
    r = equal_shares(a, [5, 1], 4)  # project 0 needs 5 from two voters holding 2 each
    assert r.selected == () and r.total_cost == 0.0
    assert_allclose(r.remaining, [2, 2])
    assert equal_shares(a, [1, 1], 0).selected == ()
    r = equal_shares(sp.csr_array((0, 2)), [1, 1], 10)
    assert r.selected == () and r.remaining.shape == (0,)
    # project 1 has no supporter: never funded by either rule
    assert 1 not in equal_shares(a, [1, 1], 100).selected
    assert greedy_by_votes(a, [1, 1], 100).selected == (0,)


def test_input_forms_agree() -> None:
    a, _ = lackner_skowron()
    costs = np.ones(7)
    want = equal_shares(a, costs, 4).selected
    for form in (a.astype(int), a.tolist(), sp.csc_array(a), sp.coo_matrix(a), 2.0 * a):
        assert equal_shares(form, costs, 4).selected == want


# ---------------------------------------------------------------------------------------------
# refused input


BAD = [
    (dict(costs=[1, 0, 1]), r"project 'b' \(index 1\) costs 0.0"),
    (dict(costs=[1, float("nan"), 1]), r"project 'b' \(index 1\) costs nan"),
    (dict(costs=[1, -2, 1]), "every cost must be a positive, finite number"),
    (dict(costs=[1, 1]), r"costs has shape \(2,\) but approvals has 3 project columns"),
    (dict(budget=-1.0), "budget must be a finite number ≥ 0"),
    (dict(budget=float("inf")), "budget must be a finite number ≥ 0"),
    (dict(budget="lots"), "budget must be a number"),
    (dict(projects=["a", "b"]), "2 project ids for 3 project columns"),
    (dict(projects=["a", "b", "a"]), "project id 'a' appears twice"),
    (dict(tie_break="coin"), "unknown tie_break 'coin'"),
    (dict(tie_break=["a", "z"]), "tie_break lists 'z', which is not a project id"),
    (dict(tie_break=["a", "a"]), "tie_break lists 'a' twice"),
    (dict(utility="joy"), "unknown utility 'joy'"),
    (dict(approvals=np.ones(3)), "voters × projects matrix"),
    (dict(approvals=[[1, -1, 0]]), "voter 0's approval of project 'b' is -1.0"),
    (dict(approvals=[[1, 0, 0], [0, 0, float("nan")]]), "voter 1's approval of project 'c'"),
]


@pytest.mark.parametrize(("change", "message"), BAD)
def test_bad_input_is_refused_and_changes_nothing(change: dict[str, Any], message: str) -> None:
    args: dict[str, Any] = dict(
        approvals=np.array([[1, 0, 1], [0, 1, 1]], dtype=float),
        costs=np.array([1.0, 2.0, 3.0]),
        budget=4.0,
        projects=["a", "b", "c"],
    )
    args.update(change)
    before = copy.deepcopy(args)
    with pytest.raises(VotingError, match=message):
        equal_shares(**args)
    if "utility" not in change:
        with pytest.raises(VotingError, match=message):
            greedy_by_votes(**args)
    np.testing.assert_equal(args, before)  # NaN equals NaN here


def test_a_tie_error_changes_nothing() -> None:
    a, costs = XYZ.copy(), np.array(XYZ_COSTS, dtype=float)
    with pytest.raises(TieError):
        equal_shares(a, costs, 12, projects="XYZ")
    assert np.array_equal(a, XYZ) and costs.tolist() == XYZ_COSTS


# ---------------------------------------------------------------------------------------------
# pabutools as the oracle


def pabutools_outcomes(
    a: np.ndarray, costs: Sequence[Any], budget: Any, ids: Sequence[str]
) -> tuple[list[str], list[str], list[str]]:
    """pabutools' MES (cost, approval utility) and greedy, lexicographic ties, in order."""
    projects = [Project(p, c) for p, c in zip(ids, costs, strict=True)]
    instance = Instance(projects, budget_limit=frac(budget))  # a float: its exact binary value
    profile = ApprovalProfile(
        [ApprovalBallot([projects[j] for j in np.flatnonzero(row)]) for row in a],
        instance=instance,
    )
    out = []
    for sat in (Cost_Sat, Cardinality_Sat):
        chosen = method_of_equal_shares(
            instance, profile, sat_class=sat, tie_breaking=lexico_tie_breaking
        )
        out.append([p.name for p in chosen])
    greedy = greedy_utilitarian_welfare(
        instance, profile, sat_class=Cost_Sat, tie_breaking=lexico_tie_breaking
    )
    votes = dict(zip(ids, a.sum(axis=0), strict=True))
    out.append([p.name for p in greedy if votes[p.name] > 0])  # we never fund a 0-vote project
    return out[0], out[1], out[2]


NAMES = ["a", "b", "c", "d", "e", "f", "g", "10", "9", "B"]


@st.composite
def elections(draw: st.DrawFn, float_costs: bool = False) -> dict[str, Any]:
    n = draw(st.integers(1, 8))
    m = draw(st.integers(1, 6))
    density = draw(st.sampled_from([0.2, 0.5, 0.8]))
    cells = draw(st.lists(st.floats(0, 1), min_size=n * m, max_size=n * m))
    a = np.array(cells).reshape(n, m) < density
    if float_costs:
        cost = st.sampled_from([0.1, 0.25, 0.3, 1.5, 2.2, 3.0, 0.7])
        costs: list[Any] = draw(st.lists(cost, min_size=m, max_size=m))
        budget: Any = draw(st.sampled_from([0.5, 1.0, 2.3, 3.3, 5.1]))
    else:
        scale = draw(st.sampled_from([1, 2, 6]))  # common factors make exact ties likely
        costs = [scale * c for c in draw(st.lists(st.integers(1, 6), min_size=m, max_size=m))]
        budget = draw(st.integers(0, 40))
    ids = draw(st.permutations(NAMES))[:m]
    return dict(a=a, costs=costs, budget=budget, ids=ids)


def assert_same_as_pabutools(e: dict[str, Any]) -> None:
    a, costs, budget, ids = e["a"], e["costs"], e["budget"], e["ids"]
    cost_sat, card_sat, greedy = pabutools_outcomes(a, costs, budget, ids)
    fl = np.array(costs, dtype=float)
    for utility, want in (("cost", cost_sat), ("approval", card_sat)):
        r = equal_shares(
            sp.csr_array(a), fl, budget, utility=utility, tie_break="lexicographic", projects=ids
        )
        assert list(r.ids) == want, utility
        # what the voters paid is what the funded projects cost
        paid = sum(Fraction(r.per_voter) - Fraction(x) for x in r.remaining.tolist())
        assert float(paid) == pytest.approx(r.total_cost, rel=1e-9, abs=1e-12)
        assert (r.remaining >= 0).all()
        # "error" decides the same way, or names a tie the lexicographic run broke
        try:
            strict = equal_shares(a, fl, budget, utility=utility, projects=ids)
        except TieError as exc:
            assert any(set(exc.tied) <= set(t.tied) for t in r.ties)
        else:
            assert set(strict.ids) == set(want)
            assert all(t.how == "independent" for t in strict.ties)
    g = greedy_by_votes(a, fl, budget, tie_break="lexicographic", projects=ids)
    assert list(g.ids) == greedy


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(elections())
def test_equal_shares_and_greedy_match_pabutools(e: dict[str, Any]) -> None:
    assert_same_as_pabutools(e)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(elections(float_costs=True))
def test_float_costs_match_pabutools_exact_binary_values(e: dict[str, Any]) -> None:
    # pabutools turns a float cost into the fraction of its exact binary value, as we do
    assert_same_as_pabutools(e)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(elections())
def test_exact_path_matches_pabutools(e: dict[str, Any]) -> None:
    # an absurd float error bound sends nearly every round to exact arithmetic
    with patch.object(mes, "_U", 1e-3):
        assert_same_as_pabutools(e)


def test_float_and_exact_paths_agree_on_a_larger_election() -> None:
    rng = np.random.default_rng(7)
    n, m = 800, 30
    a = rng.random((n, m)) < rng.uniform(0.02, 0.3, m)
    costs = rng.integers(1, 20, m) * 50.0
    budget = 0.4 * costs.sum()
    for utility in ("cost", "approval"):
        fast = equal_shares(a, costs, budget, utility=utility, tie_break="lexicographic")
        with patch.object(mes, "_U", 1e-4):
            slow = equal_shares(a, costs, budget, utility=utility, tie_break="lexicographic")
        assert fast.selected == slow.selected and fast.exact_rounds < slow.exact_rounds
        assert_allclose(fast.remaining, slow.remaining, atol=1e-9)


def exact_share(budgets: Sequence[float], c: float) -> Fraction | None:
    """π with Σ min(bᵢ, π) = c, by sorting, in fractions (None: Σ b < c)."""
    b = sorted(Fraction(x) for x in budgets)
    if sum(b) < c:
        return None
    paid = Fraction(0)
    for k, x in enumerate(b):
        pi = (Fraction(c) - paid) / (len(b) - k)
        if pi <= x:
            return pi
        paid += x
    raise AssertionError


def evaluate(budgets: Sequence[float], c: float, passes: int | None = None) -> tuple[Any, ...]:
    """The kernel's float price of one project with these supporters' budgets."""
    m = len(budgets)
    args = (0, np.array([0, m]), np.arange(m), np.array(budgets, dtype=float), np.array([c]),
            np.ones(1), 0.0, mes._U)  # fmt: skip
    if passes is None:
        return tuple(mes._evaluate(*args))
    with patch.object(mes, "_FIXED_POINT_PASSES", passes):  # the Python original reads it
        return tuple(mes._evaluate.py_func(*args))


@pytest.mark.parametrize("passes", [None, 0, 1])
def test_float_price_is_within_its_bound(passes: int | None) -> None:
    # passes 0 and 1: straight to (or soon to) the sort the kernel falls back on
    rng = np.random.default_rng(3)
    for _ in range(60):
        m = int(rng.integers(1, 40))
        budgets = rng.pareto(1.0, m) * rng.choice([1e-3, 1.0, 1e4])
        c = float(budgets.sum() * rng.uniform(0.05, 1.5))
        st, rho, _, pi, epi, _, payers = evaluate(budgets.tolist(), c, passes)
        exact = exact_share(budgets.tolist(), c)
        if exact is None:
            assert st in (mes._UNAFFORDABLE, mes._UNSURE)
            continue
        assert st in (mes._PRICED, mes._UNSURE)
        assert abs(Fraction(pi) - exact) <= Fraction(epi) and rho == pi
        if st == mes._PRICED:
            assert payers == sum(Fraction(x) >= exact for x in budgets.tolist())


def test_price_when_the_poor_join_one_at_a_time() -> None:
    # Budgets placed so that each pass of the poor/rich iteration finds exactly one more poor
    # supporter (bₖ between the (k−1)-th and k-th iterate): beyond the passes the kernel makes,
    # it sorts the budgets instead.  14 supporters, 12 of them poor one after another.
    c, m, chain = 100.0, 14, 12
    budgets: list[float] = []
    pi_prev = pi = c / m
    for k in range(chain):
        low = pi_prev if k else 0.0
        budgets.append(low + (pi - low) / 2)  # in [π_{k−1}, π_k): poor from pass k on
        pi_prev, pi = pi, (c - sum(budgets)) / (m - k - 1)
    budgets += [1e3] * (m - chain)
    st, _, _, share, err, beta, payers = evaluate(budgets[::-1], c)
    exact = exact_share(budgets, c)
    assert exact is not None and st == mes._PRICED and payers == m - chain and beta == 0
    assert abs(Fraction(share) - exact) <= Fraction(err) and err < 1e-12


# ---------------------------------------------------------------------- completion


def pabutools_completed(
    a: np.ndarray, costs: Sequence[Any], budget: Any, ids: Sequence[str], increment: Any
) -> tuple[list[str], list[str]]:
    """pabutools' iterated equal shares (``voter_budget_increment``), then greedy from there."""
    from pabutools.rules import completion_by_rule_combination

    projects = [Project(p, c) for p, c in zip(ids, costs, strict=True)]
    instance = Instance(projects, budget_limit=frac(budget))
    profile = ApprovalProfile(
        [ApprovalBallot([projects[j] for j in np.flatnonzero(row)]) for row in a],
        instance=instance,
    )
    mes_kw = {"sat_class": Cost_Sat, "tie_breaking": lexico_tie_breaking,
              "voter_budget_increment": increment}  # fmt: skip
    alone = method_of_equal_shares(instance, profile, **mes_kw)
    both = completion_by_rule_combination(
        instance,
        profile,
        [method_of_equal_shares, greedy_utilitarian_welfare],
        [mes_kw, {"sat_class": Cost_Sat, "tie_breaking": lexico_tie_breaking}],
    )
    return [p.name for p in alone], [p.name for p in both]


@st.composite
def city_ballots(draw: st.DrawFn) -> dict[str, Any]:
    """Ballots shaped like a city's: many voters, each approving a few of 5–25 projects whose
    costs differ by a factor of up to 50, a budget that plain equal shares barely spends."""
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    n, m = int(rng.integers(20, 300)), int(rng.integers(5, 25))
    popularity = rng.beta(0.6, 2.5, m)
    a = rng.random((n, m)) < popularity[None, :]
    a[:, rng.integers(m)] |= rng.random(n) < 0.05  # every project gets a few
    costs = [int(c) for c in rng.integers(20, 1000, m)]
    budget = int(sum(costs) * rng.uniform(0.15, 0.6))
    ids = [f"p{j}" for j in range(m)]
    increment = draw(st.sampled_from([1, 2, 5]))
    return dict(a=a, costs=costs, budget=budget, ids=ids, increment=increment)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(city_ballots())
def test_completed_equal_shares_match_pabutools(e: dict[str, Any]) -> None:
    a, costs, budget, ids, inc = e["a"], e["costs"], e["budget"], e["ids"], e["increment"]
    alone, both = pabutools_completed(a, costs, budget, ids, inc)
    kw = {"tie_break": "lexicographic", "projects": ids, "increment": float(inc)}
    r = mes.equal_shares_completed(
        sp.csr_array(a), np.array(costs, float), budget, fill=False, **kw
    )
    assert list(r.ids) == alone
    full = mes.equal_shares_completed(sp.csr_array(a), np.array(costs, float), budget, **kw)
    votes = dict(zip(ids, a.sum(axis=0), strict=True))
    assert list(full.ids) == [p for p in both if votes[p] > 0]
    # what it funds fits, and nothing else that anyone wanted would still fit
    assert full.total_cost <= budget
    left = budget - full.total_cost
    assert all(costs[j] > left for j in range(len(ids)) if j not in full.selected and votes[ids[j]])
    plain = equal_shares(sp.csr_array(a), np.array(costs, float), budget, **{
        k: v for k, v in kw.items() if k != "increment"})  # fmt: skip
    assert full.total_cost >= plain.total_cost  # completing never funds less


def test_completion_funds_what_plain_equal_shares_leaves_unfunded() -> None:
    """Three camps with one expensive project each and a cheap shared one: at B/n nobody's camp
    can pay for its own project; raised one step at a time, equal shares funds two of them, and
    the fill spends what is left on the cheap one."""
    a = np.zeros((30, 4), dtype=bool)
    a[:10, 0] = a[10:20, 1] = a[20:, 2] = True
    a[::3, 3] = True
    costs = np.array([400.0, 390.0, 380.0, 35.0])
    plain = equal_shares(a, costs, 850.0, tie_break="lexicographic")
    assert plain.selected == (3,)  # each camp has 850/30 × 10 ≈ 283 < its project's cost
    done = mes.equal_shares_completed(a, costs, 850.0, tie_break="lexicographic")
    assert set(done.selected) == {1, 2, 3} and done.total_cost <= 850.0
    assert done.steps > 0 and done.mes.budget > 850.0


def test_completion_input_is_checked() -> None:
    a = np.array([[1, 0], [1, 1], [0, 1]], dtype=bool)
    for bad in (0.0, -1.0, float("nan"), float("inf")):
        with pytest.raises(VotingError, match="increment"):
            mes.equal_shares_completed(a, [1.0, 2.0], 1.5, increment=bad)
    same = mes.equal_shares_completed(a, [1.0, 2.0], 1.5, increment=None, fill=False)
    assert same.selected == equal_shares(a, [1.0, 2.0], 1.5).selected == (0,)
    assert same.steps == 0 and same.filled == ()
