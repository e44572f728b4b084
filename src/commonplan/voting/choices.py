"""Ballots and their count, per kind of question — the one place both the tally at close and an
independent recount from the exported board go through.

=========  ===========================================  =====================================
kind       a ballot                                     counted by
=========  ===========================================  =====================================
budget     ``{"approve": [proposal id, …]}``            Method of Equal Shares (and greedy by
                                                        votes, reported for comparison)
ratify     ``{"vote": "yes" | "no" | "abstain"}``       approval with quorum and threshold
consent    ``{"objection": null | "reason"}``           consent: no sustained objection
ranked     ``{"ranking": [draft id, …]}``               Schulze
=========  ===========================================  =====================================
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from commonplan.errors import BallotRefusedError, Said, VotingError, said

if TYPE_CHECKING:
    import scipy.sparse as sp

__all__ = ["QUESTION_KINDS", "approvals_matrix", "check_choice", "count"]

QUESTION_KINDS = ("budget", "ratify", "consent", "ranked")


def check_choice(
    kind: str, options: Mapping[str, Any], choice: Mapping[str, Any]
) -> dict[str, Any]:
    """The ballot in its one stored form, or :class:`BallotRefusedError` saying what is wrong."""
    if not isinstance(choice, Mapping):
        raise BallotRefusedError(said("a ballot is a mapping, e.g. {{'vote': 'yes'}}"))
    if kind == "budget":
        approve = _listed(
            choice, "approve", said("a budget ballot is {{'approve': [proposal ids]}}")
        )
        ids = sorted({str(p) for p in approve})
        unknown = sorted(set(ids) - set(options["projects"]))
        if unknown:
            raise BallotRefusedError(
                said("proposals {unknown} are not on this ballot", unknown=unknown)
            )
        return {"approve": ids}
    if kind == "ratify":
        vote = choice.get("vote")
        if vote not in ("yes", "no", "abstain") or set(choice) != {"vote"}:
            raise BallotRefusedError(
                said("a ratification ballot is {{'vote': 'yes' | 'no' | 'abstain'}}")
            )
        return {"vote": vote}
    if kind == "consent":
        objection = choice.get("objection")
        if set(choice) != {"objection"} or not (objection is None or isinstance(objection, str)):
            raise BallotRefusedError(
                said("a consent ballot is {{'objection': null or the reason}}")
            )
        return {"objection": objection.strip() or None if objection else None}
    if kind == "ranked":
        ranking = _listed(
            choice, "ranking", said("a ranked ballot is {{'ranking': [most preferred first, …]}}")
        )
        ranked = [str(c) for c in ranking]
        unknown = [c for c in ranked if c not in options["candidates"]]
        if unknown:
            raise BallotRefusedError(
                said(
                    "{candidate!r} is not on this ballot; the candidates are {candidates}",
                    candidate=unknown[0],
                    candidates=", ".join(map(str, options["candidates"])),
                )
            )
        if len(set(ranked)) != len(ranked):
            raise BallotRefusedError(
                said(
                    "a ranking names each of {candidates} at most once",
                    candidates=options["candidates"],
                )
            )
        return {"ranking": ranked}
    raise VotingError(
        said(
            "unknown kind of question {kind!r}; known: {kinds}",
            kind=kind,
            kinds=", ".join(QUESTION_KINDS),
        )
    )


def _listed(choice: Mapping[str, Any], key: str, form: Said) -> Sequence[Any]:
    """``choice[key]``, a list and the ballot's only entry, else :class:`BallotRefusedError`
    saying the ballot's ``form``."""
    value = choice.get(key)
    if not isinstance(value, Sequence) or isinstance(value, str) or set(choice) != {key}:
        raise BallotRefusedError(form)
    return value


def approvals_matrix(projects: Sequence[str], ballots: Sequence[Mapping[str, Any]]) -> sp.csr_array:
    """Voters × projects, 1 where the ballot approves the project."""
    import numpy as np
    import scipy.sparse as sp

    index = {p: j for j, p in enumerate(projects)}
    rows = [i for i, b in enumerate(ballots) for _ in b["approve"]]
    cols = [index[p] for b in ballots for p in b["approve"]]
    return sp.csr_array((np.ones(len(rows)), (rows, cols)), shape=(len(ballots), len(projects)))


def count(
    kind: str, options: Mapping[str, Any], ballots: Sequence[Mapping[str, Any]], eligible: int
) -> dict[str, Any]:
    """The result of a question from its options and its ballots (in board order)."""
    from commonplan.voting.tally import Objection, approval_ratification, consent, schulze

    if kind == "budget":
        return _budget(options, ballots)
    if kind == "ratify":
        votes = Counter(b["vote"] for b in ballots)
        return approval_ratification(
            votes["yes"],
            votes["no"],
            votes["abstain"],
            eligible,
            quorum=options["quorum"],
            threshold=options["threshold"],
            strict=options["strict"],
        ).to_dict()
    if kind == "consent":
        objections = [Objection(reason=b["objection"]) for b in ballots if b["objection"]]
        return consent(
            objections, eligible, participants=len(ballots), quorum=options.get("quorum", 0.5)
        ).to_dict()
    if kind == "ranked":
        tie_break = options.get("tie_break", "error")
        return schulze(
            [b["ranking"] for b in ballots], options["candidates"], tie_break=tie_break
        ).to_dict()
    raise VotingError(
        said(
            "unknown kind of question {kind!r}; known: {kinds}",
            kind=kind,
            kinds=", ".join(QUESTION_KINDS),
        )
    )


def _budget(options: Mapping[str, Any], ballots: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Equal shares with the completion the question was opened with (its ``increment`` and
    ``fill``; a box opened without them: plain equal shares), greedy by votes beside it, and for
    every project why it was or was not funded."""
    import numpy as np

    from commonplan.numerics.mes import equal_shares_completed, greedy_by_votes

    projects = list(options["projects"])
    if not projects:
        return {
            "rule": "equal_shares",
            "selected": [],
            "cost": 0.0,
            "greedy": [],
            "budget": options["budget"],
            "voters": len(ballots),
        }
    approvals = approvals_matrix(projects, ballots)
    costs = np.asarray(options["costs"], dtype=float)
    budget = float(options["budget"])
    done = equal_shares_completed(
        approvals,
        costs,
        budget,
        increment=options.get("increment"),
        fill=bool(options.get("fill", False)),
        utility=options["utility"],
        tie_break=options["tie_break"],
        projects=projects,
    )
    greedy = greedy_by_votes(
        approvals, costs, budget, tie_break=options["tie_break"], projects=projects
    )
    votes = np.asarray(approvals.sum(axis=0)).ravel()
    return {
        "rule": "equal_shares",
        "utility": options["utility"],
        "tie_break": options["tie_break"],
        "budget": budget,
        "voters": len(ballots),
        "selected": [projects[j] for j in done.selected],
        "cost": float(costs[list(done.selected)].sum()),
        "greedy": [projects[j] for j in greedy.selected],
        "approvals": {p: int(n) for p, n in zip(projects, votes, strict=True)},
        "completion": {
            "increment": done.increment,
            "steps": done.steps,
            "share": done.mes.per_voter,  # each voter's share in the run kept
            "filled": [projects[j] for j in done.filled],
        },
        "why": _why(projects, costs, votes, approvals, done),
    }


def _why(
    projects: Sequence[str], costs: Any, votes: Any, approvals: Any, done: Any
) -> dict[str, dict[str, Any]]:
    """Per project: how it was funded (``"equal shares"``, in which round and what each
    supporter paid; ``"fill"``), or why not — what its supporters had left of their shares when
    equal shares stopped, against its cost, and whether it fitted in what the fill had left."""
    import numpy as np

    mes, filled = done.mes, set(done.filled)
    left_of = np.asarray(approvals.T @ mes.remaining).ravel()  # supporters' shares left, each
    spent = float(costs[list(done.selected)].sum())
    out: dict[str, dict[str, Any]] = {}
    rounds = {j: k for k, j in enumerate(mes.selected)}
    for j, p in enumerate(projects):
        row: dict[str, Any] = {"cost": float(costs[j]), "supporters": int(votes[j])}
        if j in rounds:
            row |= {"funded": "equal shares", "round": rounds[j] + 1,
                    "each_paid": float(mes.share[rounds[j]])}  # fmt: skip
        elif j in filled:
            row |= {"funded": "fill"}
        else:
            row |= {"funded": None, "supporters_left": float(left_of[j]),
                    "budget_left": max(0.0, done.budget - spent)}  # fmt: skip
        out[p] = row
    return out
