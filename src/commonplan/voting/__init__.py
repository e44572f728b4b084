"""Votes and their counts: the ballot kinds, and the rules that count them.

- :mod:`~commonplan.voting.choices` — the ballot of each question kind and its count;
- :mod:`~commonplan.voting.tally` — approval ratification, consent, Schulze;
- :mod:`~commonplan.voting.pabulib` — PaBuLib files of participatory budgets;
- the Method of Equal Shares itself is numerics: :mod:`commonplan.numerics.mes`.

Their public names are importable from here (``from commonplan.voting import check_choice,
schulze``); each loads on first use, so that importing the package costs nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from commonplan._lazy import lazy

if TYPE_CHECKING:
    from commonplan.numerics.mes import equal_shares, greedy_by_votes
    from commonplan.voting.choices import QUESTION_KINDS, approvals_matrix, check_choice, count
    from commonplan.voting.pabulib import PBElection, pb_text, read_pb, write_pb
    from commonplan.voting.tally import (
        Ballot,
        ConsentResult,
        Objection,
        RatificationResult,
        SchulzeResult,
        approval_ratification,
        consent,
        schulze,
        strongest_paths,
    )

_MODULES = {
    "commonplan.numerics.mes": "equal_shares greedy_by_votes",
    "commonplan.voting.choices": "QUESTION_KINDS approvals_matrix check_choice count",
    "commonplan.voting.pabulib": "PBElection pb_text read_pb write_pb",
    "commonplan.voting.tally": "Ballot ConsentResult Objection RatificationResult SchulzeResult "
    "approval_ratification consent schulze strongest_paths",
}
"""Module → the public names it defines, each imported on first use."""


__getattr__, __dir__ = lazy(__name__, _MODULES)


__all__ = [
    "QUESTION_KINDS",
    "Ballot",
    "ConsentResult",
    "Objection",
    "PBElection",
    "RatificationResult",
    "SchulzeResult",
    "approval_ratification",
    "approvals_matrix",
    "check_choice",
    "consent",
    "count",
    "equal_shares",
    "greedy_by_votes",
    "pb_text",
    "read_pb",
    "schulze",
    "strongest_paths",
    "write_pb",
]
