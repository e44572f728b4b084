"""The ``commonplan vote`` commands: open a round's ballot boxes, cast a ballot, close and count.

commonplan vote open 1 --as ada
commonplan vote cast 1 --as bo --approve 3,4
commonplan vote cast 2 --as bo --yes
commonplan vote ballot 1 --as bo --approve 3,4 --yes    (every box of the round at once)
commonplan vote close 1 --as ada
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

from commonplan.cli._common import (
    AsOpt,
    DbOpt,
    JsonOpt,
    RoundArg,
    argument,
    database,
    echo_json,
    group,
    num,
    option,
    print_summary,
    registrar,
    say,
    status,
)
from commonplan.errors import PlanInputError

__all__ = ["register"]

vote_app = group("vote", "The vote on a round's plan: open, cast, close.")

register = registrar(vote_app)


@vote_app.command("open")
def vote_open(round_id: RoundArg, actor: AsOpt, db: DbOpt = None, as_json: JsonOpt = False) -> None:
    """Open the budget and ratification ballot boxes of a round (a facilitator's step).

    Example:

        commonplan vote open 1 --as ada
    """
    from commonplan import rounds

    with database(db) as d:
        with status("Opening the ballot boxes…"):
            ids = rounds.open_vote(d, round_id, actor=actor)
    if as_json:
        echo_json(ids)
        return
    say(
        f"budget question [bold]{ids['budget']}[/]: approve collective proposals "
        f"(commonplan vote cast {ids['budget']} --as HANDLE --approve ID,ID)"
    )
    if "ratify" in ids:
        say(
            f"ratification question [bold]{ids['ratify']}[/]: yes / no / abstain "
            f"(commonplan vote cast {ids['ratify']} --as HANDLE --yes)"
        )
    if "consent" in ids:
        say(
            f"consent question [bold]{ids['consent']}[/]: object with a reason, or consent "
            f"(commonplan vote cast {ids['consent']} --as HANDLE --consent)"
        )
    if "ranked" in ids:
        say(
            f"ranked question [bold]{ids['ranked']}[/]: the draft against its alternatives "
            f"(commonplan vote cast {ids['ranked']} --as HANDLE --rank draft,ID)"
        )


_ONE_OF = (
    "--approve ID,ID (budget), --yes, --no, --abstain (ratification), --consent or "
    "--object REASON (consent), --rank ID,ID (ranked)"
)


def _choices(
    approve: list[str] | None = None,
    rank: str | None = None,
    yes: bool = False,
    no: bool = False,
    abstain: bool = False,
    consent: bool = False,
    objection: str | None = None,
) -> dict[str, dict[str, Any]]:
    """The ballots the options give, by question kind; at most one choice per kind."""
    votes = [name for name, on in (("yes", yes), ("no", no), ("abstain", abstain)) if on]
    if len(votes) > 1 or (consent and objection is not None):
        raise PlanInputError(f"one choice per question: give one of {_ONE_OF}")
    out: dict[str, dict[str, Any]] = {}
    if approve is not None:
        out["budget"] = {
            "approve": [p.strip() for item in approve for p in item.split(",") if p.strip()]
        }
    if rank is not None:
        out["ranked"] = {"ranking": [p.strip() for p in rank.split(",") if p.strip()]}
    if consent or objection is not None:
        out["consent"] = {"objection": objection}
    if votes:
        out["ratify"] = {"vote": votes[0]}
    return out


@dataclass(frozen=True)
class Ballot:
    """What the ballot options say: the choice for each kind of question, and the receipt code
    asked for (None: one is drawn)."""

    choices: dict[str, dict[str, Any]]
    receipt: str | None


_BALLOT_OPTIONS = inspect.signature(_choices).parameters
_BALLOT_TYPES: dict[str, Any] = {  # the options of a ballot, as Typer reads them
    "approve": Annotated[
        list[str] | None,
        option(
            "--approve",
            "ID,ID",
            "Budget questions: the collective proposals you approve (--approve '' for none).",
        ),
    ],
    "rank": Annotated[
        str | None,
        option(
            "--rank",
            "ID,ID",
            "Ranked questions: the drafts from most to least preferred (draft = the draft).",
        ),
    ],
    "yes": Annotated[bool, typer.Option("--yes", help="Ratification: yes.")],
    "no": Annotated[bool, typer.Option("--no", help="Ratification: no.")],
    "abstain": Annotated[bool, typer.Option("--abstain", help="Ratification: abstain.")],
    "consent": Annotated[bool, typer.Option("--consent", help="Consent: no objection.")],
    "objection": Annotated[
        str | None,
        option(
            "--object",
            "REASON",
            "Consent: object, giving your reason (an objection without one does not block).",
        ),
    ],
    "receipt": Annotated[
        str | None,
        option(
            "--receipt",
            "CODE",
            "Your own receipt code (4–64 letters, digits, dashes); else one is drawn.",
        ),
    ],
}


def _ballot_options(command: Callable[..., None]) -> Callable[..., None]:
    """``command``, whose parameter ``ballot`` is a :class:`Ballot`, as a command that takes the
    ballot options in its place (--approve, --rank, --yes, --no, --abstain, --consent, --object,
    --receipt): declared once for ``vote cast`` and ``vote ballot``."""
    own = inspect.signature(command, eval_str=True)
    params: list[inspect.Parameter] = []
    for p in own.parameters.values():
        if p.name != "ballot":
            params.append(p)
            continue
        params += [
            inspect.Parameter(
                name,
                inspect.Parameter.POSITIONAL_OR_KEYWORD,
                annotation=kind,
                default=_BALLOT_OPTIONS[name].default if name in _BALLOT_OPTIONS else None,
            )
            for name, kind in _BALLOT_TYPES.items()
        ]

    @functools.wraps(command)
    def with_options(*args: Any, **kwargs: Any) -> None:
        receipt = kwargs.pop("receipt")
        choices = _choices(*(kwargs.pop(name) for name in _BALLOT_OPTIONS))
        command(*args, ballot=Ballot(choices, receipt), **kwargs)

    with_options.__signature__ = own.replace(parameters=params)  # type: ignore[attr-defined]
    with_options.__annotations__ = {p.name: p.annotation for p in params} | {"return": None}
    return with_options


@vote_app.command("cast")
@_ballot_options
def vote_cast(
    question: Annotated[int, argument("QUESTION", "The question's id.")],
    actor: AsOpt,
    ballot: Ballot,
    db: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Cast your ballot; prints the receipt that finds it on the board after the vote closes.

    Example:

        commonplan vote cast 2 --as bo --yes
    """
    from commonplan import rounds

    if len(ballot.choices) != 1:
        raise PlanInputError(f"give one of {_ONE_OF}")
    [choice] = ballot.choices.values()
    with database(db) as d:
        code = rounds.cast_ballot(d, question, member=actor, choice=choice, receipt=ballot.receipt)
    if as_json:
        echo_json({"question": question, "receipt": code})
    else:
        say(f"ballot cast on question {question}; your receipt: [bold]{escape(code)}[/]")
        say("keep it: after the vote closes, commonplan board find DIR RECEIPT shows your ballot")


@vote_app.command("ballot")
@_ballot_options
def vote_ballot(
    round_id: RoundArg, actor: AsOpt, ballot: Ballot, db: DbOpt = None, as_json: JsonOpt = False
) -> None:
    """Cast your ballots in several boxes of a round at once, all or none, under one receipt:
    the budget with --approve, the ratification with --yes/--no/--abstain, and so on.

    Example:

        commonplan vote ballot 1 --as bo --approve 3,4 --yes
    """
    from commonplan import rounds

    choices = ballot.choices
    if not choices:
        raise PlanInputError(f"give your choice for each box: {_ONE_OF}")
    with database(db) as d:
        boxes = rounds.open_boxes(d, round_id)
        missing = sorted(set(choices) - set(boxes))
        if missing:
            raise PlanInputError(
                f"round {round_id} has no open {missing[0]} question (open: "
                f"{', '.join(sorted(boxes)) or 'none'})"
            )
        codes = rounds.cast_round_ballots(
            d,
            round_id,
            member=actor,
            choices={boxes[kind]: choice for kind, choice in choices.items()},
            receipt=ballot.receipt,
        )
    code = next(iter(codes.values()))
    if as_json:
        echo_json({"round": round_id, "questions": sorted(codes), "receipt": code})
    else:
        asked = ", ".join(str(q) for q in sorted(codes))
        say(f"ballots cast on questions {asked}; your receipt: [bold]{escape(code)}[/]")
        say("keep it: after the vote closes, commonplan board find DIR RECEIPT shows your ballots")


@vote_app.command("close")
def vote_close(
    round_id: RoundArg, actor: AsOpt, db: DbOpt = None, as_json: JsonOpt = False
) -> None:
    """Close and count every ballot box of the round, compute the final plan, and ratify the
    round or open the next one (a facilitator's step).

    Example:

        commonplan vote close 1 --as ada
    """
    from commonplan import audit, rounds
    from commonplan.rounds import board

    with database(db) as d:
        with status("Counting the ballots and computing the final plan…"):
            outcome = rounds.close_vote(d, round_id, actor=actor).to_dict()
        summary = board.plan_summary(d, int(outcome["plan"])).to_dict()
        with d.transaction() as s:
            head = audit.round_head(s, round_id)
    logged = None if head is None else {"seq": head.seq, "sha256": head.sha256}
    if as_json:
        echo_json({**outcome, "summary": summary, "audit_head": logged})
        return
    console = Console()
    verdict = "[bold green]ratified[/]" if outcome["ratified"] else "[bold red]not ratified[/]"
    console.print(f"round {round_id}: {verdict}", highlight=False)
    results = outcome.get("results") or {}
    if "ratify" in results:
        console.print(escape(_ratification(results["ratify"], outcome, summary)), highlight=False)
    if "budget" in results:
        budget = results["budget"]
        console.print(
            f"budget by equal shares: {len(budget.get('selected', []))} collective proposal(s) "
            f"chosen, {num(float(budget.get('cost', 0.0)))} of {num(float(budget['budget']))} "
            "hours",
            highlight=False,
        )
    print_summary(summary)
    if outcome.get("next_round") is not None:
        console.print(f"the next round is open: round {outcome['next_round']}", highlight=False)
    if head is not None:
        console.print(f"log head: [bold]{head.sha256}[/]", highlight=False)
        console.print(
            f"(entry {head.seq} of the audit log) publish it and keep it: commonplan audit "
            "verify --head and commonplan board recount --head prove this result against it",
            highlight=False,
        )


def _ratification(count: dict[str, Any], outcome: dict[str, Any], summary: dict[str, Any]) -> str:
    """The ratification count in words, and why the round is not ratified where the vote
    approved a plan the engine could not produce (never "ratified" next to "not ratified")."""
    reason = str(count.get("reason", ""))
    if count.get("ratified") and not outcome["ratified"]:
        return (
            f"the vote approved the plan ({reason.removeprefix('ratified: ')}), but the final "
            f"plan is {summary['status']}: a plan that cannot be produced is not ratified"
        )
    return reason
