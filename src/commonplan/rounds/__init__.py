"""Planning rounds: proposals → draft → feedback → vote → ratified, or the next round.

- :mod:`~commonplan.rounds.phases` — opening a round (the root federation's), its phases and
  deadlines;
- :mod:`~commonplan.rounds.proposals` — filing, amending and withdrawing proposals;
- :mod:`~commonplan.rounds.plans` — the plan's inputs, the draft and its alternatives,
  recomputing a plan, what it means for a member, its summary;
- :mod:`~commonplan.rounds.shares` — what a plan gives each person of a consumers' council,
  product by product, against today;
- :mod:`~commonplan.rounds.vote` — opening the ballot boxes, closing them with the count;
- :mod:`~commonplan.rounds.ballots` — casting ballots (one, many, or one member's into several
  boxes at once) and their receipts;
- :mod:`~commonplan.rounds.timelines` — a round's phases with their dates, and the vote's
  turnout so far;
- :mod:`~commonplan.rounds.board` — the public board: export, recount, finding one's ballot.

Every step is one transaction and is appended to the audit log; hard floors are outside every
vote.  The public names of the modules above are importable from here::

    from commonplan import rounds
    r = rounds.open_round(db, federation, actor="ada")
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from commonplan._lazy import lazy

if TYPE_CHECKING:
    from commonplan.rounds import board
    from commonplan.rounds.ballots import (
        BallotPaper,
        cast_ballot,
        cast_ballots,
        cast_round_ballots,
        new_receipt,
        open_boxes,
    )
    from commonplan.rounds.phases import DATED, PHASES, open_period, open_round
    from commonplan.rounds.plans import (
        CollectiveCost,
        Consequences,
        PlanSummary,
        compute_alternative,
        compute_draft,
        member_view,
        plan_inputs,
        plan_summary,
        recompute,
    )
    from commonplan.rounds.proposals import (
        KINDS,
        ProposalCost,
        amendable,
        check_amend,
        cost_proposal,
        file_proposal,
        hide_proposal,
        withdraw_proposal,
    )
    from commonplan.rounds.shares import PerPerson, WhatWeGet, per_person_unit, what_we_get
    from commonplan.rounds.timelines import PhaseStep, Turnout, timeline, turnout
    from commonplan.rounds.vote import QuestionOutcome, RoundOutcome, close_vote, open_vote

__getattr__, __dir__ = lazy(
    __name__,
    {
        "commonplan.rounds.ballots": "BallotPaper cast_ballot cast_ballots cast_round_ballots "
        "new_receipt open_boxes",
        "commonplan.rounds.phases": "DATED PHASES open_period open_round",
        "commonplan.rounds.plans": "CollectiveCost Consequences PlanSummary compute_alternative "
        "compute_draft member_view plan_inputs plan_summary recompute",
        "commonplan.rounds.proposals": "KINDS ProposalCost amendable check_amend cost_proposal "
        "file_proposal hide_proposal withdraw_proposal",
        "commonplan.rounds.shares": "PerPerson WhatWeGet per_person_unit what_we_get",
        "commonplan.rounds.timelines": "PhaseStep Turnout timeline turnout",
        "commonplan.rounds.vote": "QuestionOutcome RoundOutcome close_vote open_vote",
    },
)
"""The modules' public names, each loaded on first use (casting a ballot loads no numerics)."""


__all__ = [
    "DATED",
    "KINDS",
    "PHASES",
    "BallotPaper",
    "CollectiveCost",
    "Consequences",
    "PerPerson",
    "PhaseStep",
    "PlanSummary",
    "ProposalCost",
    "QuestionOutcome",
    "RoundOutcome",
    "Turnout",
    "WhatWeGet",
    "amendable",
    "board",
    "cast_ballot",
    "cast_ballots",
    "cast_round_ballots",
    "check_amend",
    "close_vote",
    "compute_alternative",
    "compute_draft",
    "cost_proposal",
    "file_proposal",
    "hide_proposal",
    "member_view",
    "new_receipt",
    "open_boxes",
    "open_period",
    "open_round",
    "open_vote",
    "per_person_unit",
    "plan_inputs",
    "plan_summary",
    "recompute",
    "timeline",
    "turnout",
    "what_we_get",
    "withdraw_proposal",
]
