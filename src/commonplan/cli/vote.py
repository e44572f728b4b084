"""The ``commonplan vote`` commands: open a round's ballot boxes, cast a ballot, close and count.

commonplan vote open 1 --as ada
commonplan vote cast 1 --as bo --approve 3,4
commonplan vote cast 2 --as bo --yes
commonplan vote close 1 --as ada
"""

from __future__ import annotations

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
    say,
    status,
)
from commonplan.errors import PlanInputError

__all__ = ["register"]

vote_app = group("vote", "The vote on a round's plan: open, cast, close.")


def register(app: typer.Typer) -> None:
    """Add ``vote`` to ``app``."""
    app.add_typer(vote_app)


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


@vote_app.command("cast")
def vote_cast(
    question: Annotated[int, argument("QUESTION", "The question's id.")],
    actor: AsOpt,
    approve: Annotated[
        list[str] | None,
        option(
            "--approve",
            "ID,ID",
            "Budget questions: the collective proposals you approve (--approve '' for none).",
        ),
    ] = None,
    rank: Annotated[
        str | None,
        option(
            "--rank",
            "ID,ID",
            "Ranked questions: the drafts from most to least preferred (draft = the draft).",
        ),
    ] = None,
    yes: Annotated[bool, typer.Option("--yes", help="Ratification: yes.")] = False,
    no: Annotated[bool, typer.Option("--no", help="Ratification: no.")] = False,
    abstain: Annotated[bool, typer.Option("--abstain", help="Ratification: abstain.")] = False,
    consent: Annotated[bool, typer.Option("--consent", help="Consent: no objection.")] = False,
    objection: Annotated[
        str | None,
        option(
            "--object",
            "REASON",
            "Consent: object, giving your reason (an objection without one does not block).",
        ),
    ] = None,
    receipt: Annotated[
        str | None,
        option(
            "--receipt",
            "CODE",
            "Your own receipt code (or the one you got, to retry after a lost reply).",
        ),
    ] = None,
    db: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Cast your ballot; prints the receipt that finds it on the board after the vote closes.

    Example:

        commonplan vote cast 2 --as bo --yes
    """
    from commonplan import rounds

    votes = [name for name, on in (("yes", yes), ("no", no), ("abstain", abstain)) if on]
    given = (approve is not None) + (rank is not None) + len(votes) + consent
    if given + (objection is not None) != 1:
        raise PlanInputError(
            "give one of --approve ID,ID (budget), --yes, --no, --abstain (ratification), "
            "--consent or --object REASON (consent) or --rank ID,ID (ranked)"
        )
    choice: dict[str, Any]
    if approve is not None:
        choice = {"approve": [p.strip() for item in approve for p in item.split(",") if p.strip()]}
    elif rank is not None:
        choice = {"ranking": [p.strip() for p in rank.split(",") if p.strip()]}
    elif consent or objection is not None:
        choice = {"objection": objection}
    else:
        choice = {"vote": votes[0]}
    with database(db) as d:
        code = rounds.cast_ballot(d, question, member=actor, choice=choice, receipt=receipt)
    if as_json:
        echo_json({"question": question, "receipt": code})
    else:
        say(f"ballot cast on question {question}; your receipt: [bold]{escape(code)}[/]")
        say("keep it: after the vote closes, commonplan board find DIR RECEIPT shows your ballot")


@vote_app.command("close")
def vote_close(
    round_id: RoundArg, actor: AsOpt, db: DbOpt = None, as_json: JsonOpt = False
) -> None:
    """Close and count every ballot box of the round, compute the final plan, and ratify the
    round or open the next one (a facilitator's step).

    Example:

        commonplan vote close 1 --as ada
    """
    from commonplan import rounds
    from commonplan.rounds import board

    with database(db) as d:
        with status("Counting the ballots and computing the final plan…"):
            outcome = rounds.close_vote(d, round_id, actor=actor).to_dict()
        summary = board.plan_summary(d, int(outcome["plan"])).to_dict()
    if as_json:
        echo_json({**outcome, "summary": summary})
        return
    console = Console()
    verdict = "[bold green]ratified[/]" if outcome["ratified"] else "[bold red]not ratified[/]"
    console.print(f"round {round_id}: {verdict}", highlight=False)
    results = outcome.get("results") or {}
    if "ratify" in results:
        console.print(escape(str(results["ratify"].get("reason", ""))), highlight=False)
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
