"""Vote counting: ratification bounds, consent, and the Schulze method against the literature."""

from __future__ import annotations

import json
import random
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from commonplan.errors import TieError, VotingError
from commonplan.voting.tally import (
    Ballot,
    Objection,
    approval_ratification,
    consent,
    schulze,
    strongest_paths,
)

# --- approval ratification -----------------------------------------------------------------------


def test_quorum_exactly_met_and_one_short() -> None:
    at = approval_ratification(150, 100, 50, 600)  # 300 of 600 = 50 %
    assert at.ratified and at.failed == () and at.turnout == 0.5
    short = approval_ratification(150, 100, 49, 600)
    assert not short.ratified and short.failed == ("quorum",)
    assert short.reason == (
        "quorum not met: 299 of 600 members voted (49.8 %), 50 % needed (at least 300)"
    )


def test_reason_in_the_words_of_the_brief() -> None:
    r = approval_ratification(200, 40, 6, 600)
    assert r.reason == "quorum not met: 246 of 600 members voted (41 %), 50 % needed (at least 300)"


def test_percentage_never_rounds_onto_the_bound() -> None:
    r = approval_ratification(2000, 999, 0, 6000)  # 2999 / 6000 = 49.983 %
    assert not r.ratified and "(49.98 %), 50 % needed" in r.reason


@pytest.mark.parametrize(("strict", "ratified"), [(True, False), (False, True)])
def test_tie_at_the_threshold_is_decided_by_strict(strict: bool, ratified: bool) -> None:
    r = approval_ratification(50, 50, 0, 100, strict=strict)
    assert r.ratified is ratified and r.yes_share == 0.5
    assert r.failed == (() if ratified else ("threshold",))
    assert ("more than 50 %" if strict else "at least 50 %") in r.reason


def test_two_thirds_as_a_float_means_two_thirds() -> None:
    # float(2/3) < 2/3; read naively, 2 yes against 1 no would pass "more than two thirds".
    assert not approval_ratification(2, 1, 0, 3, threshold=2 / 3).ratified
    assert approval_ratification(2, 1, 0, 3, threshold=2 / 3, strict=False).ratified
    assert not approval_ratification(2, 1, 0, 3, threshold=Fraction(2, 3)).ratified
    assert approval_ratification(2, 1, 0, 3, threshold=2 / 3).threshold == Fraction(2, 3)


def test_one_tenth_quorum_is_exactly_met() -> None:
    assert approval_ratification(60, 0, 0, 600, quorum=0.1).failed == ()
    assert approval_ratification(59, 0, 0, 600, quorum=0.1).failed == ("quorum",)


def test_all_abstain_has_no_yes_share_and_both_conditions_can_fail() -> None:
    r = approval_ratification(0, 0, 10, 600)
    assert r.yes_share is None and r.failed == ("quorum", "threshold")
    assert "no yes or no votes were cast" in r.reason and r.reason.startswith("quorum not met")


def test_unanimity_strict_is_unreachable_and_said_so() -> None:
    r = approval_ratification(10, 0, 0, 10, threshold=1.0)
    assert not r.ratified and "not reachable" in r.reason
    assert approval_ratification(10, 0, 0, 10, threshold=1.0, strict=False).ratified


def test_ratification_to_dict_records_the_rule_and_is_json() -> None:
    d = approval_ratification(246, 100, 0, 600, quorum=0.6, threshold=Fraction(2, 3)).to_dict()
    assert json.loads(json.dumps(d)) == d
    assert d["rule"] == "approval_ratification" and d["strict"] is True
    assert d["quorum_exact"] == "3/5" and d["threshold_exact"] == "2/3"
    assert d["ratified"] is False and d["failed"] == ["quorum"]


@pytest.mark.parametrize(
    ("args", "kwargs", "message"),
    [
        ((-1, 0, 0, 10), {}, "yes must not be negative"),
        ((1, -2, 0, 10), {}, "no must not be negative"),
        ((1, 0, 0, 0), {}, "eligible must be at least 1"),
        ((5, 5, 1, 10), {}, r"5 \+ 5 \+ 1 = 11 exceeds eligible = 10"),
        ((1, 0, 0, 10), {"quorum": 1.5}, "quorum must be between 0 and 1"),
        ((1, 0, 0, 10), {"threshold": float("nan")}, "threshold must be a number"),
        ((1.0, 0, 0, 10), {}, "yes must be a whole number"),
        ((1, 0, True, 10), {}, "abstain must be a whole number"),
    ],
)
def test_invalid_ratification_names_the_offender(
    args: tuple[object, ...], kwargs: dict[str, object], message: str
) -> None:
    with pytest.raises(VotingError, match=message):
        approval_ratification(*args, **kwargs)  # type: ignore[arg-type]


@st.composite
def ratification_counts(draw: st.DrawFn) -> tuple[int, int, int, int]:
    e = draw(st.integers(1, 40))
    y = draw(st.integers(0, e))
    n = draw(st.integers(0, e - y))
    return y, n, draw(st.integers(0, e - y - n)), e


@settings(max_examples=60, deadline=None)
@given(
    ratification_counts(),
    st.fractions(0, 1, max_denominator=12),
    st.fractions(0, 1, max_denominator=12),
    st.booleans(),
)
def test_ratified_iff_the_exact_rule_holds(
    counts: tuple[int, int, int, int], q: Fraction, t: Fraction, strict: bool
) -> None:
    y, n, a, e = counts
    r = approval_ratification(y, n, a, e, quorum=q, threshold=t, strict=strict)
    quorum_met = (y + n + a) * q.denominator >= q.numerator * e
    lhs, rhs = y * t.denominator, t.numerator * (y + n)
    majority = y + n > 0 and (lhs > rhs if strict else lhs >= rhs)
    assert r.ratified == (quorum_met and majority)
    assert ("quorum" in r.failed) != quorum_met and ("threshold" in r.failed) != majority


# --- consent -------------------------------------------------------------------------------------


def test_consent_with_no_objection_passes() -> None:
    r = consent([], 60, participants=30)
    assert r.passed and r.failed == () and r.sustained == () and r.turnout == 0.5
    assert r.reason.startswith("consent given: 0 sustained objections")


def test_withdrawn_and_unreasoned_objections_do_not_block() -> None:
    objections = [
        Objection("too much steel for the rail plan", member="m7", withdrawn=True),
        Objection("   "),
    ]
    r = consent(objections, 60, participants=40)
    assert r.passed and r.withdrawn == 1 and r.unreasoned == 1 and r.sustained_count == 0


def test_sustained_objection_blocks_and_its_reason_is_listed() -> None:
    r = consent(
        [Objection(" no childcare in the new district "), "cuts the clinic"], 60, participants=40
    )
    assert not r.passed and r.failed == ("objections",)
    assert r.sustained == ("no childcare in the new district", "cuts the clinic")
    assert r.reason == (
        'blocked: 2 sustained objections, at most 0 allowed: "no childcare in the new district"; '
        '"cuts the clinic"'
    )


def test_sustained_limit_allows_that_many() -> None:
    assert consent(["a reason"], 60, participants=40, sustained_limit=1).passed
    assert not consent(["a", "b"], 60, participants=40, sustained_limit=1).passed
    assert consent(1, 60, participants=40, sustained_limit=1).passed
    r = consent(2, 60, participants=40, sustained_limit=1)
    assert not r.passed and r.sustained == () and r.sustained_count == 2


def test_consent_quorum_boundary() -> None:
    assert consent([], 61, participants=31).passed  # 31/61 > 1/2
    r = consent(["x"], 61, participants=30)
    assert r.failed == ("quorum", "objections")
    assert "30 of 61 members took part (49.2 %), 50 % needed (at least 31)" in r.reason


def test_consent_to_dict_is_json() -> None:
    d = consent([Objection("x", member="m1")], 10, participants=9, quorum=0.75).to_dict()
    assert json.loads(json.dumps(d)) == d
    assert d["rule"] == "consent" and d["quorum_exact"] == "3/4" and d["sustained"] == ["x"]


@pytest.mark.parametrize(
    ("objections", "eligible", "participants", "message"),
    [
        ("a reason", 10, 5, "not a single string"),
        (["fine", 3], 10, 5, "objection 1: expected an Objection"),
        (-1, 10, 5, "objections must not be negative"),
        ([], 10, 11, "participants = 11 exceeds eligible = 10"),
        ([], 0, 0, "eligible must be at least 1"),
    ],
)
def test_invalid_consent_names_the_offender(
    objections: object, eligible: int, participants: int, message: str
) -> None:
    with pytest.raises(VotingError, match=message):
        consent(objections, eligible, participants=participants)  # type: ignore[arg-type]


def test_negative_sustained_limit_refused() -> None:
    with pytest.raises(VotingError, match="sustained_limit must not be negative"):
        consent([], 10, participants=5, sustained_limit=-1)


# --- Schulze: the literature's example -----------------------------------------------------------

# Wikipedia, "Schulze method", and Schulze (2011): 45 voters, 5 candidates.
WIKI = [
    (5, "ACBED"),
    (5, "ADECB"),
    (8, "BEDAC"),
    (3, "CABED"),
    (7, "CAEBD"),
    (2, "CBADE"),
    (7, "DCEBA"),
    (8, "EBADC"),
]
WIKI_D = (
    (0, 20, 26, 30, 22),
    (25, 0, 16, 33, 18),
    (19, 29, 0, 17, 24),
    (15, 12, 28, 0, 14),
    (23, 27, 21, 31, 0),
)
WIKI_P = (
    (0, 28, 28, 30, 24),
    (25, 0, 28, 33, 24),
    (25, 29, 0, 29, 24),
    (25, 28, 28, 0, 24),
    (25, 28, 28, 31, 0),
)


def test_wikipedia_example_with_counts() -> None:
    r = schulze([list(b) for _, b in WIKI], list("ABCDE"), counts=[n for n, _ in WIKI])
    assert r.d == WIKI_D and r.p == WIKI_P
    assert r.order == ("E", "A", "C", "B", "D") and r.winner == "E" and r.winners == ("E",)
    assert r.voters == 45 and r.ballots == 8 and not r.tie_broken


def test_wikipedia_example_one_ballot_per_voter_100k() -> None:
    ballots = [tuple(b) for n, b in WIKI for _ in range(n)] * 2222  # 99 990 ballots
    r = schulze(ballots, list("ABCDE"))
    assert r.voters == 99_990
    assert r.d == tuple(tuple(2222 * x for x in row) for row in WIKI_D)
    assert r.p == tuple(tuple(2222 * x for x in row) for row in WIKI_P)
    assert r.order == ("E", "A", "C", "B", "D")


def test_schulze_to_dict_is_json() -> None:
    d = schulze([list(b) for _, b in WIKI], list("ABCDE"), counts=[n for n, _ in WIKI]).to_dict()
    assert json.loads(json.dumps(d)) == d
    assert d["rule"] == "schulze" and d["link_strength"] == "winning votes"
    assert d["d"][0] == [0, 20, 26, 30, 22] and d["ranking"] == [["E"], ["A"], ["C"], ["B"], ["D"]]


# --- Schulze: ballots, ties, errors --------------------------------------------------------------


def test_tied_positions_and_unranked_candidates() -> None:
    r = schulze([[{"A", "B"}, "C"]], ["A", "B", "C", "D"], tie_break=["A", "B", "C", "D"])
    assert r.d == ((0, 0, 1, 1), (0, 0, 1, 1), (0, 0, 0, 1), (0, 0, 0, 0))
    r = schulze([["B"]], ["A", "B", "C"])  # A and C unranked: equal, below B
    assert r.d == ((0, 0, 0), (1, 0, 1), (0, 0, 0))
    assert r.ranking == (("B",), ("A", "C")) and r.order is None and r.winner == "B"


def test_empty_ballot_abstains() -> None:
    r = schulze([[], ["A"]], ["A", "B"])
    assert r.voters == 2 and r.d == ((0, 1), (0, 0)) and r.winner == "A"


def test_cycle_is_a_tie_that_errors_by_default() -> None:
    cycle = [["A", "B", "C"], ["B", "C", "A"], ["C", "A", "B"]]
    with pytest.raises(TieError, match="tied: A, B, C") as info:
        schulze(cycle, ["A", "B", "C"])
    assert info.value.tied == ("A", "B", "C") and isinstance(info.value, VotingError)
    r = schulze(cycle, ["A", "B", "C"], tie_break=["B", "C", "A"])
    assert r.winners == ("A", "B", "C") and r.winner == "B" and r.tie_broken
    assert r.ranking == (("B", "C", "A"),) and r.order == ("B", "C", "A")


def test_lower_ties_are_ordered_by_the_priority() -> None:
    r = schulze([["A"]], ["A", "B", "C"], tie_break=["A", "C", "B"])
    assert r.ranking == (("A",), ("C", "B")) and r.order == ("A", "C", "B")
    assert not r.tie_broken and r.tie_break == ("A", "C", "B")


def test_no_ballots_is_a_tie_of_all() -> None:
    with pytest.raises(TieError) as info:
        schulze([], ["A", "B"])
    assert info.value.tied == ("A", "B")
    assert schulze([], ["A"]).winner == "A"


@pytest.mark.parametrize(
    ("ballots", "message"),
    [
        ([["A"], ["A", "Z"]], "ballot 1: unknown candidate 'Z'"),
        ([["A"], ["A"], ["Z"], ["Z"]], "ballot 2: unknown candidate 'Z'"),
        ([["B", "A", "B"]], "ballot 0: candidate 'B' is ranked more than once"),
        ([["C"], ["A", {"A", "B"}]], "ballot 1: candidate 'A' is ranked more than once"),
        ([["A"], "AB"], "ballot 1: expected a sequence"),
        ([["A"], 7], "ballot 1: expected a sequence"),
        ([["A", set()]], "ballot 0: position 1 is an empty set"),
        ([["A", ("B", "C")]], "ballot 0: position 1 must be a candidate id or a set"),
        ([[{"A", 3}]], "ballot 0: unknown candidate 3"),
    ],
)
def test_invalid_ballot_names_its_index(ballots: list[object], message: str) -> None:
    with pytest.raises(VotingError, match=message):
        schulze(ballots, ["A", "B", "C"])  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("candidates", "kwargs", "message"),
    [
        (["A", "B", "A"], {}, "candidate 'A' is listed twice"),
        ([], {}, "at least one candidate"),
        ("AB", {}, "not a single string"),
        (["A", "B"], {"counts": [1, -1]}, "ballot 1: count -1 is negative"),
        (["A", "B"], {"counts": [1]}, "2 ballots, 1 counts"),
        (["A", "B"], {"counts": [1.5, 1]}, "whole numbers"),
        (["A", "B"], {"tie_break": "first"}, "tie_break must be 'error'"),
        (["A", "B"], {"tie_break": ["A", "Z"]}, "tie_break: unknown candidate 'Z'"),
        (["A", "B"], {"tie_break": ["A"]}, r"missing \['B'\]"),
        (["A", "B"], {"tie_break": ["A", "A", "B"]}, "'A' is listed twice"),
    ],
)
def test_invalid_parameters_name_the_offender(
    candidates: list[str], kwargs: dict[str, object], message: str
) -> None:
    with pytest.raises(VotingError, match=message):
        schulze([["A"], ["B"]], candidates, **kwargs)  # type: ignore[arg-type]


# --- Schulze: properties against a textbook reference ---------------------------------------------


def reference_d(ballots: list[Ballot], candidates: list[str]) -> list[list[int]]:
    """d by the definition, one ballot and one pair at a time."""
    m = len(candidates)
    d = [[0] * m for _ in range(m)]
    for ballot in ballots:
        rank = {c: len(ballot) for c in candidates}
        for g, group in enumerate(ballot):
            for c in [group] if isinstance(group, str) else group:
                rank[c] = g
        for i, a in enumerate(candidates):
            for j, b in enumerate(candidates):
                d[i][j] += rank[a] < rank[b]
    return d


def reference_p(d: list[list[int]]) -> list[list[int]]:
    """The strongest paths by the triple loop of Wikipedia's pseudocode."""
    m = len(d)
    p = [[d[i][j] if i != j and d[i][j] > d[j][i] else 0 for j in range(m)] for i in range(m)]
    for i in range(m):
        for j in range(m):
            if i != j:
                for k in range(m):
                    if i != k and j != k:
                        p[j][k] = max(p[j][k], min(p[j][i], p[i][k]))
    return p


@st.composite
def elections(draw: st.DrawFn) -> tuple[list[str], list[Ballot]]:
    m = draw(st.integers(1, 5))
    candidates = list("ABCDE"[:m])
    ballots: list[Ballot] = []
    for _ in range(draw(st.integers(0, 15))):
        ranked = draw(st.permutations(candidates))[: draw(st.integers(0, m))]
        ballot: list[str | frozenset[str]] = []
        for c in ranked:  # join some neighbours into a tied group
            if ballot and draw(st.integers(0, 3)) == 0:
                last = ballot.pop()
                ballot.append(frozenset({last} if isinstance(last, str) else last) | {c})
            else:
                ballot.append(c)
        ballots.append(ballot)
    return candidates, ballots


@settings(max_examples=50, deadline=None)
@given(elections())
def test_matrices_match_the_textbook_reference(election: tuple[list[str], list[Ballot]]) -> None:
    candidates, ballots = election
    r = schulze(ballots, candidates, tie_break=candidates)
    d = reference_d(ballots, candidates)
    assert [list(row) for row in r.d] == d
    assert [list(row) for row in r.p] == reference_p(d)
    beats = {
        (a, b)
        for i, a in enumerate(candidates)
        for j, b in enumerate(candidates)
        if r.p[i][j] > r.p[j][i]
    }
    assert all((b, a) not in beats for a in r.winners for b in candidates)
    flat = [c for tier in r.ranking for c in tier]
    assert sorted(flat) == candidates and r.order == tuple(flat)
    assert all(flat.index(a) < flat.index(b) for a, b in beats)  # the order extends "beats"


@settings(max_examples=50, deadline=None)
@given(elections())
def test_condorcet_winner_is_the_schulze_winner(election: tuple[list[str], list[Ballot]]) -> None:
    candidates, ballots = election
    d = reference_d(ballots, candidates)
    m = len(candidates)
    condorcet = [i for i in range(m) if all(d[i][j] > d[j][i] for j in range(m) if j != i)]
    assume(condorcet)
    r = schulze(ballots, candidates)  # a Condorcet winner is unique: no TieError
    assert r.winners == (candidates[condorcet[0]],) and r.winner == candidates[condorcet[0]]


@settings(max_examples=40, deadline=None)
@given(elections(), st.randoms(use_true_random=False))
def test_result_does_not_depend_on_ballot_order(
    election: tuple[list[str], list[Ballot]], rng: random.Random
) -> None:
    candidates, ballots = election
    counts = [rng.randint(0, 4) for _ in ballots]
    pairs = list(zip(ballots, counts, strict=True))
    rng.shuffle(pairs)
    r1 = schulze(ballots, candidates, counts=counts, tie_break=candidates)
    r2 = schulze(
        [b for b, _ in pairs], candidates, counts=[n for _, n in pairs], tie_break=candidates
    )
    assert r1 == r2 and r1.voters == sum(counts)


def test_strongest_paths_handles_many_candidates() -> None:
    rng = np.random.default_rng(3)
    d = rng.integers(0, 50, size=(12, 12))
    np.fill_diagonal(d, 0)
    assert strongest_paths(d).tolist() == reference_p(d.tolist())


def test_pairwise_counts_survive_chunking() -> None:
    # 30 candidates: chunks of 4660 distinct ballots, so 6000 ballots take two chunks.
    rng = random.Random(5)
    candidates = [f"c{i:02d}" for i in range(30)]
    ballots: list[list[str]] = [rng.sample(candidates, rng.randint(0, 30)) for _ in range(6000)]
    r = schulze(ballots, candidates, tie_break=candidates)
    ranks = np.full((len(ballots), 30), 30)
    for b, ballot in enumerate(ballots):
        for g, c in enumerate(ballot):
            ranks[b, candidates.index(c)] = g
        ranks[b, ranks[b] == 30] = len(ballot)
    expected = (ranks[:, :, None] < ranks[:, None, :]).sum(axis=0)
    assert np.array_equal(np.array(r.d), expected)


def test_the_voting_package_names_its_modules_public_names() -> None:
    import commonplan.voting as voting
    from commonplan.numerics import mes
    from commonplan.voting import choices, pabulib, tally

    modules = {choices: choices.__all__, pabulib: pabulib.__all__, tally: tally.__all__}
    modules[mes] = ["equal_shares", "greedy_by_votes"]
    assert sorted(voting.__all__) == sorted(n for names in modules.values() for n in names)
    for module, names in modules.items():
        for name in names:
            assert getattr(voting, name) is getattr(module, name), name
