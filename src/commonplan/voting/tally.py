"""Counting votes: ratifying a plan, consent to a proposal, and choosing between drafts.

Three rules, each a pure function returning a frozen result that records the rule, its parameters
and every number the decision rests on, so that a recount can show exactly what was applied:

    approval_ratification   yes / no / abstain against a quorum and a yes-share threshold
    consent                 passes unless (more than ``sustained_limit``) reasoned objections stand
    schulze                 ranked ballots between alternative drafts (Schulze 2011)

Quorum and threshold comparisons are exact (rational arithmetic on the counts), so a count that
sits exactly on a bound is decided by the documented rule and never by rounding.  A float
parameter is read as the simple fraction it stands for: the first of
``Fraction(x).limit_denominator(10**k)``, k = 1, 2, …, that converts back to exactly ``x`` —
0.5 is 1/2, 0.1 is 1/10 and ``2/3`` is two thirds (not 0.6666666666666666, which would let 2 yes
against 1 no pass a strict two-thirds majority).  Pass a :class:`fractions.Fraction` to give the
bound exactly.

Invalid input raises :class:`commonplan.errors.VotingError` naming the count, objection, ballot
or candidate at fault; a tie that no explicit rule decides raises
:class:`commonplan.errors.TieError` naming the tied candidates.

One concept — the counting rules and their recountable results — so one module, however long.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Iterable, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, fields
from fractions import Fraction
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from commonplan.errors import TieError, VotingError, said

__all__ = [
    "Ballot",
    "ConsentResult",
    "Objection",
    "RatificationResult",
    "SchulzeResult",
    "approval_ratification",
    "consent",
    "schulze",
    "strongest_paths",
]

Ballot = Sequence[str | AbstractSet[str]]
"""A ranking: candidate ids, most preferred first; a set in place of an id ranks its members equal.

Candidates a ballot does not name rank below every candidate it names, equal among themselves.
"""

_MAX_DENOMINATOR_EXPONENT = 18  # 10**18 recovers every float in [0, 1] exactly


# --- shared helpers ------------------------------------------------------------------------------


def _count(value: object, name: str) -> int:
    """A non-negative integer count (bool refused), else VotingError naming ``name``."""
    if isinstance(value, bool):
        raise VotingError(
            said("{name} must be a whole number of votes, not {value!r}", name=name, value=value)
        )
    try:
        n = operator.index(value)  # type: ignore[arg-type]
    except TypeError:
        raise VotingError(
            said("{name} must be a whole number of votes, not {value!r}", name=name, value=value)
        ) from None
    if n < 0:
        raise VotingError(said("{name} must not be negative (got {n})", name=name, n=n))
    return n


def _fraction(value: object, name: str) -> Fraction:
    """A proportion in [0, 1] as an exact fraction (see the module docstring for floats)."""
    if isinstance(value, bool) or not isinstance(value, int | float | Fraction):
        raise VotingError(
            said("{name} must be a number between 0 and 1, not {value!r}", name=name, value=value)
        )
    if isinstance(value, float):
        if not math.isfinite(value):
            raise VotingError(
                said(
                    "{name} must be a number between 0 and 1, not {value!r}", name=name, value=value
                )
            )
        exact = Fraction(value)
        for k in range(1, _MAX_DENOMINATOR_EXPONENT + 1):
            candidate = exact.limit_denominator(10**k)
            if float(candidate) == value:
                exact = candidate
                break
    else:
        exact = Fraction(value)
    if not 0 <= exact <= 1:
        raise VotingError(
            said("{name} must be between 0 and 1 (got {value!r})", name=name, value=value)
        )
    return exact


def _ceil(x: Fraction) -> int:
    return -(-x.numerator // x.denominator)


def _fmt(x: Fraction, digits: int) -> str:
    return f"{float(x * 100):.{digits}f}".rstrip("0").rstrip(".")


def _pct(x: Fraction, bound: Fraction | None = None) -> str:
    """``x`` as a percentage: one decimal at most, more only where it would read as ``bound``."""
    for digits in range(1, 9):
        if bound is None or x == bound or _fmt(x, digits) != _fmt(bound, digits):
            break
    return _fmt(x, digits)


def _fraction_dict(name: str, value: Fraction) -> dict[str, Any]:
    return {name: float(value), f"{name}_exact": str(value)}


def _listed(value: Any) -> Any:
    """Tuples (nested too) as lists."""
    return [_listed(v) for v in value] if isinstance(value, tuple) else value


def _result_dict(result: Any, first: tuple[str, ...] = ("rule",)) -> dict[str, Any]:
    """A result's fields, JSON-ready: ``first`` (the rule) leading, the others in their order,
    tuples as lists, each fraction as a number and exactly (:func:`_fraction_dict`)."""
    out = {name: getattr(result, name) for name in first}
    for f in fields(result):
        if f.name in first:
            continue
        value = getattr(result, f.name)
        if isinstance(value, Fraction):
            out |= _fraction_dict(f.name, value)
        else:
            out[f.name] = _listed(value)
    return out


def _quorum_clause(verb: str, turned_out: int, eligible: int, quorum: Fraction) -> str:
    share = Fraction(turned_out, eligible)
    return (
        f"{turned_out} of {eligible} members {verb} ({_pct(share, quorum)} %), "
        f"{_pct(quorum)} % needed (at least {_ceil(quorum * eligible)})"
    )


# --- approval ratification -----------------------------------------------------------------------


@dataclass(frozen=True)
class RatificationResult:
    """The count of a yes / no / abstain ratification vote and the rule it was decided by.

    ``turnout`` is (yes + no + abstain) / eligible; ``yes_share`` is yes / (yes + no), ``None``
    when nobody voted yes or no.  ``quorum`` and ``threshold`` are the exact bounds applied.
    ``failed`` lists the conditions not met, in the order ``"quorum"``, ``"threshold"`` (empty when
    ratified); ``reason`` says the same in plain language with the counts.
    """

    ratified: bool
    yes: int
    no: int
    abstain: int
    eligible: int
    turnout: float
    yes_share: float | None
    quorum: Fraction
    threshold: Fraction
    strict: bool
    failed: tuple[Literal["quorum", "threshold"], ...]
    reason: str
    rule: str = "approval_ratification"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: the counts, the exact bounds (as numbers and as ``"p/q"``), the outcome."""
        return _result_dict(self)


def approval_ratification(
    yes: int,
    no: int,
    abstain: int,
    eligible: int,
    *,
    quorum: float | Fraction = 0.5,
    threshold: float | Fraction = 0.5,
    strict: bool = True,
) -> RatificationResult:
    """Ratify a plan by a yes / no / abstain vote of ``eligible`` members.

    The plan is ratified iff both hold:

    * quorum: (yes + no + abstain) / eligible ≥ ``quorum`` — abstentions count as taking part;
      a turnout exactly at the quorum meets it;
    * majority: yes / (yes + no) > ``threshold`` when ``strict`` (the default: a simple majority
      is *more than* half of the yes and no votes), ≥ ``threshold`` when not strict.  Abstentions
      do not count for or against.  A yes share exactly at the threshold — e.g. 50 yes against 50
      no with threshold 1/2 — is the one tie this rule has, and ``strict`` decides it: it fails
      when strict, passes when not.  With no yes or no vote at all there is no yes share and the
      majority condition fails.

    Counts are whole numbers ≥ 0 with yes + no + abstain ≤ eligible and eligible > 0; ``quorum``
    and ``threshold`` lie in [0, 1].  Otherwise :class:`~commonplan.errors.VotingError`.
    """
    y = _count(yes, "yes")
    n = _count(no, "no")
    a = _count(abstain, "abstain")
    e = _count(eligible, "eligible")
    if e == 0:
        raise VotingError(said("eligible must be at least 1: nobody can ratify with no members"))
    voted = y + n + a
    if voted > e:
        raise VotingError(
            said(
                "yes + no + abstain = {y} + {n} + {a} = {voted} exceeds eligible = {e}: more "
                "votes than members",
                y=y,
                n=n,
                a=a,
                voted=voted,
                e=e,
            )
        )
    q = _fraction(quorum, "quorum")
    t = _fraction(threshold, "threshold")
    if not isinstance(strict, bool):
        raise VotingError(said("strict must be True or False, not {strict!r}", strict=strict))

    turnout = Fraction(voted, e)
    failed: list[Literal["quorum", "threshold"]] = []
    clauses: list[str] = []
    quorum_clause = _quorum_clause("voted", voted, e, q)
    if turnout < q:
        failed.append("quorum")
        clauses.append(f"quorum not met: {quorum_clause}")

    decided = y + n
    share = Fraction(y, decided) if decided else None
    bound = f"more than {_pct(t)} %" if strict else f"at least {_pct(t)} %"
    if share is None:
        failed.append("threshold")
        clauses.append(
            f"threshold not met: no yes or no votes were cast ({bound} yes needed "
            "among yes and no votes)"
        )
        majority_clause = ""
    else:
        need = math.floor(t * decided) + 1 if strict else _ceil(t * decided)
        needed = f"at least {need} yes" if need <= decided else "not reachable"
        majority_clause = (
            f"{y} yes of {decided} yes/no votes ({_pct(share, t)} %), {bound} needed ({needed})"
        )
        if share < t or (strict and share == t):
            failed.append("threshold")
            clauses.append(f"threshold not met: {majority_clause}")

    if failed:
        reason = "; ".join(clauses)
    else:
        reason = f"ratified: {majority_clause}; {quorum_clause}"
    return RatificationResult(
        ratified=not failed,
        yes=y,
        no=n,
        abstain=a,
        eligible=e,
        turnout=float(turnout),
        yes_share=None if share is None else float(share),
        quorum=q,
        threshold=t,
        strict=strict,
        failed=tuple(failed),
        reason=reason,
    )


# --- consent -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Objection:
    """An objection raised in a consent round.

    It is *sustained* iff it gives a reason (``reason`` not blank) and is not ``withdrawn``: in
    consent decision-making an objection must say why the proposal would harm the group's aims,
    and an objection resolved by amending the proposal is withdrawn.  ``member`` is optional and
    only recorded.
    """

    reason: str
    member: str | None = None
    withdrawn: bool = False

    @property
    def sustained(self) -> bool:
        """Reasoned and not withdrawn."""
        return not self.withdrawn and bool(self.reason.strip())

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: reason, member, withdrawn."""
        return {"reason": self.reason, "member": self.member, "withdrawn": self.withdrawn}


@dataclass(frozen=True)
class ConsentResult:
    """The outcome of a consent round and the rule it was decided by.

    ``sustained`` holds the reasons of the sustained objections in the order given (empty when
    only a count of objections was given); ``sustained_count`` their number, ``withdrawn`` and
    ``unreasoned`` the numbers of objections withdrawn and of objections without a reason (neither
    counts).  ``failed`` lists ``"quorum"`` and/or ``"objections"``; ``reason`` says it in words.
    """

    passed: bool
    participants: int
    eligible: int
    turnout: float
    quorum: Fraction
    sustained_limit: int
    sustained: tuple[str, ...]
    sustained_count: int
    withdrawn: int
    unreasoned: int
    failed: tuple[Literal["quorum", "objections"], ...]
    reason: str
    rule: str = "consent"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: counts, the exact quorum, the sustained objections' reasons, the outcome."""
        return _result_dict(self)


def consent(
    objections: Sequence[Objection | str] | int,
    eligible: int,
    *,
    participants: int,
    quorum: float | Fraction = 0.5,
    sustained_limit: int = 0,
) -> ConsentResult:
    """Decide a proposal by consent: it passes unless a reasoned objection stands.

    Consent decision-making as in sociocracy (G. Endenburg, *Sociocracy: The Organization of
    Decision-Making*, 1998; Sociocracy 3.0, "Consent Decision Making"): the question is not "do
    you agree?" but "is there a reason this would harm our aims?".  The proposal passes iff both
    hold:

    * quorum: ``participants`` / ``eligible`` ≥ ``quorum`` (exactly at the quorum meets it);
    * objections: the number of *sustained* objections — reasoned and not withdrawn, see
      :class:`Objection` — is at most ``sustained_limit`` (default 0: one sustained objection
      blocks).

    ``objections`` is a sequence of :class:`Objection` (a plain string counts as a sustained
    objection with that reason) or, where only the count is known, the number of sustained
    objections.  Invalid counts, a bare string in place of the sequence, or an item that is
    neither raise :class:`~commonplan.errors.VotingError` naming the objection's index.
    """
    e = _count(eligible, "eligible")
    if e == 0:
        raise VotingError(said("eligible must be at least 1: nobody can consent with no members"))
    p = _count(participants, "participants")
    if p > e:
        raise VotingError(
            said("participants = {p} exceeds eligible = {e}: more members than exist", p=p, e=e)
        )
    q = _fraction(quorum, "quorum")
    limit = _count(sustained_limit, "sustained_limit")

    reasons: list[str] = []
    withdrawn = unreasoned = 0
    if isinstance(objections, str):
        raise VotingError(
            said(
                "objections must be a sequence of objections or a count, not a single string; "
                "wrap it in a list"
            )
        )
    if isinstance(objections, Sequence):
        for i, item in enumerate(objections):
            obj = Objection(item) if isinstance(item, str) else item
            if not isinstance(obj, Objection) or not isinstance(obj.reason, str):
                raise VotingError(
                    said(
                        "objection {i}: expected an Objection or a reason string, not {item!r}",
                        i=i,
                        item=item,
                    )
                )
            if obj.withdrawn:
                withdrawn += 1
            elif not obj.reason.strip():
                unreasoned += 1
            else:
                reasons.append(obj.reason.strip())
        count = len(reasons)
    else:
        count = _count(objections, "objections")

    failed: list[Literal["quorum", "objections"]] = []
    clauses: list[str] = []
    quorum_clause = _quorum_clause("took part", p, e, q)
    if Fraction(p, e) < q:
        failed.append("quorum")
        clauses.append(f"quorum not met: {quorum_clause}")
    plural = "objection" if count == 1 else "objections"
    standing = f"{count} sustained {plural}, at most {limit} allowed"
    if reasons:
        standing += ": " + "; ".join(f'"{r}"' for r in reasons)
    if count > limit:
        failed.append("objections")
        clauses.append(f"blocked: {standing}")
    reason = "; ".join(clauses) if failed else f"consent given: {standing}; {quorum_clause}"
    return ConsentResult(
        passed=not failed,
        participants=p,
        eligible=e,
        turnout=float(Fraction(p, e)),
        quorum=q,
        sustained_limit=limit,
        sustained=tuple(reasons),
        sustained_count=count,
        withdrawn=withdrawn,
        unreasoned=unreasoned,
        failed=tuple(failed),
        reason=reason,
    )


# --- Schulze -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SchulzeResult:
    """The Schulze count of ranked ballots between candidates (alternative drafts).

    Matrices are indexed in the order of ``candidates``: ``d[i][j]`` is the number of voters who
    rank candidate i above candidate j; ``p[i][j]`` the strength of the strongest path from i to
    j (0 on the diagonal).  i beats j iff ``p[i][j] > p[j][i]``.

    ``ranking`` is the full Schulze order as tiers: the winners, then the winners among those
    left, and so on; candidates in one tier are unbeaten by each other (a tie), listed in
    tie-break priority when a priority was given, else in the order of ``candidates``.
    ``order`` is the same as one sequence — tiers of one each, or ties broken by the priority;
    ``None`` when some tier is a tie and no priority was given.  ``winners`` is the first tier;
    ``winner`` is its only member or, when ``tie_broken``, the first of the priority.
    """

    candidates: tuple[str, ...]
    voters: int
    ballots: int
    d: tuple[tuple[int, ...], ...]
    p: tuple[tuple[int, ...], ...]
    ranking: tuple[tuple[str, ...], ...]
    order: tuple[str, ...] | None
    winners: tuple[str, ...]
    winner: str
    tie_break: Literal["error"] | tuple[str, ...]
    tie_broken: bool
    rule: str = "schulze"
    link_strength: str = "winning votes"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: candidates, both matrices as nested lists, ranking, winner and the rule."""
        return _result_dict(self, ("rule", "link_strength"))


def _candidate_index(candidates: Sequence[str]) -> dict[str, int]:
    if isinstance(candidates, str):
        raise VotingError(
            said("candidates must be a sequence of candidate ids, not a single string")
        )
    index: dict[str, int] = {}
    for c in candidates:
        if not isinstance(c, str) or not c:
            raise VotingError(said("candidate ids must be non-empty strings, not {c!r}", c=c))
        if c in index:
            raise VotingError(said("candidate {c!r} is listed twice", c=c))
        index[c] = len(index)
    if not index:
        raise VotingError(said("there must be at least one candidate"))
    return index


def _ranks(ballot: object, b: int, index: dict[str, int]) -> list[int]:
    """Rank of each candidate on ballot ``b`` (0 = most preferred; unranked = number of groups)."""
    if isinstance(ballot, str | bytes) or not isinstance(ballot, Iterable):
        raise VotingError(
            said(
                "ballot {b}: expected a sequence of candidate ids (most preferred first), not "
                "{ballot!r}",
                b=b,
                ballot=ballot,
            )
        )
    groups = list(ballot)
    m = len(index)
    ranks = [len(groups)] * m
    seen: set[str] = set()
    for g, group in enumerate(groups):
        if isinstance(group, str):
            members: Iterable[object] = (group,)
        elif isinstance(group, AbstractSet):
            if not group:
                raise VotingError(
                    said("ballot {b}: position {g} is an empty set of candidates", b=b, g=g)
                )
            members = group
        else:
            raise VotingError(
                said(
                    "ballot {b}: position {g} must be a candidate id or a set of tied ids, not "
                    "{group!r}",
                    b=b,
                    g=g,
                    group=group,
                )
            )
        for c in members:
            if not isinstance(c, str) or c not in index:
                raise VotingError(said("ballot {b}: unknown candidate {c!r}", b=b, c=c))
            if c in seen:
                raise VotingError(
                    said("ballot {b}: candidate {c!r} is ranked more than once", b=b, c=c)
                )
            seen.add(c)
            ranks[index[c]] = g
    return ranks


def _weights(counts: Sequence[int] | None, n: int) -> NDArray[np.int64]:
    if counts is None:
        return np.ones(n, dtype=np.int64)
    w = np.asarray(counts)
    if w.ndim != 1 or len(w) != n:
        raise VotingError(
            said(
                "counts must give one number per ballot: {n} ballots, {size} counts",
                n=n,
                size=w.size,
            )
        )
    if n and (w.dtype == np.bool_ or not np.issubdtype(w.dtype, np.integer)):
        raise VotingError(
            said("counts must be whole numbers of voters (got dtype {dtype})", dtype=w.dtype)
        )
    bad = np.flatnonzero(w < 0)
    if bad.size:
        raise VotingError(
            said(
                "ballot {ballot}: count {count} is negative",
                ballot=int(bad[0]),
                count=int(w[bad[0]]),
            )
        )
    return w.astype(np.int64)


def _pairwise(ranks: NDArray[np.int64], weights: NDArray[np.int64]) -> NDArray[np.int64]:
    """d[i, j] = Σ_b w_b [rank_b(i) < rank_b(j)], in chunks of at most ~4 M comparisons."""
    u, m = ranks.shape
    d = np.zeros((m, m), dtype=np.int64)
    step = max(1, (1 << 22) // (m * m))
    for s in range(0, u, step):
        r = ranks[s : s + step]
        prefers = (r[:, :, None] < r[:, None, :]).reshape(len(r), m * m)
        d += (weights[s : s + step] @ prefers.astype(np.int64)).reshape(m, m)
    return d


def strongest_paths(d: NDArray[np.int64]) -> NDArray[np.int64]:
    """Schulze's strongest-path matrix p from the pairwise matrix d ("winning votes").

    A link i → j has strength d[i, j] if d[i, j] > d[j, i], else there is no link (0); a path's
    strength is its weakest link; p[i, j] is the strongest path's (Schulze 2011), found by
    the widest-path variant of Floyd–Warshall, vectorised over i and j for each intermediate k:
    p ← max(p, min(p[:, k], p[k, :])).  The diagonal is 0.
    """
    p = np.where(d > d.T, d, 0).astype(np.int64)
    for k in range(p.shape[0]):
        p = np.maximum(p, np.minimum(p[:, k, None], p[None, k, :]))
    np.fill_diagonal(p, 0)
    return p


def schulze(
    ballots: Iterable[Ballot],
    candidates: Sequence[str],
    *,
    counts: Sequence[int] | None = None,
    tie_break: Literal["error"] | Sequence[str] = "error",
) -> SchulzeResult:
    """Choose between candidates (alternative drafts) by the Schulze method.

    Rule (M. Schulze, "A new monotonic, clone-independent, reversal symmetric, and
    Condorcet-consistent single-winner election method", *Social Choice and Welfare* 36 (2011)
    267–303; the worked example of the Wikipedia article "Schulze method"):

    1. d[i, j] = number of voters who rank i strictly above j.  A ballot is a sequence of candidate
       ids, most preferred first; a set in a position ranks its members equal; candidates a
       ballot leaves out rank below all it names, equal among themselves (an empty ballot
       abstains).  ``counts[b]``, when given, is how many voters cast ballot b.
    2. p = strongest paths with link strength "winning votes" (:func:`strongest_paths`).
    3. i beats j iff p[i, j] > p[j, i].  This relation is transitive (Schulze 2011), so the
       candidates beaten by nobody — the winners — always exist; ``ranking`` repeats this on
       the candidates left to give the full order.

    A Condorcet winner (beats every other in d) is always the unique Schulze winner.

    Ties: when more than one candidate wins and ``tie_break="error"`` (the default),
    :class:`~commonplan.errors.TieError` names them.  A sequence listing every candidate once is
    the priority: the tied winner listed first wins, and ties further down the ranking are
    ordered by it in ``order``.

    Identical ballots are counted once with their multiplicity, so 100 000 ballots over a few
    drafts cost one pass in Python and a few array operations.  A bare string, an unknown or
    repeated candidate, an empty set, or a negative count raise
    :class:`~commonplan.errors.VotingError` naming the ballot's index (from 0).
    """
    index = _candidate_index(candidates)
    names = tuple(index)
    m = len(names)

    priority: tuple[str, ...] | None = None
    if isinstance(tie_break, str):
        if tie_break != "error":
            raise VotingError(
                said(
                    "tie_break must be 'error' or a sequence of every candidate, not {tie_break!r}",
                    tie_break=tie_break,
                )
            )
    else:
        priority = tuple(tie_break)
        seen_p: set[str] = set()
        for c in priority:
            if c not in index:
                raise VotingError(said("tie_break: unknown candidate {c!r}", c=c))
            if c in seen_p:
                raise VotingError(said("tie_break: candidate {c!r} is listed twice", c=c))
            seen_p.add(c)
        missing = [c for c in names if c not in seen_p]
        if missing:
            raise VotingError(
                said("tie_break must list every candidate; missing {missing!r}", missing=missing)
            )

    ballot_list = ballots if isinstance(ballots, Sequence) else list(ballots)
    if isinstance(ballot_list, str):
        raise VotingError(said("ballots must be a sequence of ballots, not a single string"))
    weights = _weights(counts, len(ballot_list))

    # Group identical ballots: the key is the ballot as a tuple (sets frozen), looked up in C.
    slot_of: dict[object, int] = {}
    slots = np.empty(len(ballot_list), dtype=np.int64)
    rows: list[list[int]] = []
    for b, ballot in enumerate(ballot_list):
        if isinstance(ballot, str | bytes):
            _ranks(ballot, b, index)  # raises with the ballot's index
        key: object
        try:
            key = ballot if type(ballot) is tuple else tuple(ballot)
            slot = slot_of.get(key)
        except TypeError:  # a set inside, or not iterable
            try:
                key = tuple(frozenset(g) if isinstance(g, AbstractSet) else g for g in ballot)
                slot = slot_of.get(key)
            except TypeError:
                key, slot = None, None
        if slot is None:
            rows.append(_ranks(ballot, b, index))
            slot = len(rows) - 1
            if key is not None:
                slot_of[key] = slot
        slots[b] = slot

    uniq_weights = np.zeros(len(rows), dtype=np.int64)
    np.add.at(uniq_weights, slots, weights)  # exact integers (bincount would sum in floats)
    rank_array = np.array(rows, dtype=np.int64).reshape(len(rows), m)
    d = _pairwise(rank_array, uniq_weights)
    p = strongest_paths(d)

    beats = p > p.T
    remaining = list(range(m))
    tiers: list[tuple[str, ...]] = []
    order_key = {c: i for i, c in enumerate(priority if priority is not None else names)}
    while remaining:
        tier = [i for i in remaining if not any(beats[j, i] for j in remaining)]
        tiers.append(tuple(sorted((names[i] for i in tier), key=order_key.__getitem__)))
        remaining = [i for i in remaining if i not in tier]

    winners = tuple(c for c in names if c in tiers[0])
    if len(winners) > 1 and priority is None:
        raise TieError(
            said(
                "the Schulze winners are tied: {winners}; pass tie_break=[...] with a priority "
                "order of the candidates to decide",
                winners=", ".join(winners),
            ),
            tied=winners,
        )
    ties = any(len(t) > 1 for t in tiers)
    order = None if ties and priority is None else tuple(c for t in tiers for c in t)
    return SchulzeResult(
        candidates=names,
        voters=int(weights.sum()),
        ballots=len(ballot_list),
        d=tuple(tuple(int(x) for x in row) for row in d),
        p=tuple(tuple(int(x) for x in row) for row in p),
        ranking=tuple(tiers),
        order=order,
        winners=winners,
        winner=tiers[0][0],
        tie_break="error" if priority is None else priority,
        tie_broken=len(winners) > 1,
    )
