"""The ``commonplan`` commands for running a planning round from a terminal.

A thin layer over :mod:`commonplan.federation`, :mod:`commonplan.rounds`, :mod:`commonplan.board`
and :mod:`commonplan.audit`: each command opens the database (``--db PATH|URL``, else
``$COMMONPLAN_DB``, else ``commonplan.db`` in the working directory), makes one library call as
the member named by ``--as``, and prints the result — Rich for people, ``--json`` for programs.
The library (SQLAlchemy, Alembic, the
counting code) is imported inside the commands, so the economy commands do not wait for it.
Errors print one line ``error: …`` and exit with status 1 (see ``commonplan.cli._Commands``);
``board recount``, ``audit verify`` and ``plan recompute`` also exit 1 when what they check
differs, after printing what differs.

    commonplan federation create nordic.yaml
    commonplan members add members.csv
    commonplan round open 1 --as ada
    commonplan proposal file 1 --as bo --council "North hood" --kind collective \\
        --title canteen --amount I=2000
    commonplan round draft 1 --as ada
    commonplan vote open 1 --as ada
    commonplan vote cast 1 --as bo --approve 3,4
    commonplan vote close 1 --as ada
    commonplan board export 1 board/ && commonplan board recount board/
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from commonplan.cli._common import number, pairs
from commonplan.errors import CommonplanError, PlanInputError

if TYPE_CHECKING:
    from commonplan.store import Database

__all__ = ["register"]

# ---------------------------------------------------------------------- options

DbOpt = Annotated[
    str | None,
    typer.Option(
        "--db",
        metavar="PATH|URL",
        show_default=False,
        help="The database: a SQLite file or a postgresql:// URL.  Default: $COMMONPLAN_DB, "
        "else commonplan.db in the working directory.",
    ),
]
AsOpt = Annotated[
    str,
    typer.Option(
        "--as", metavar="HANDLE", show_default=False, help="The handle of the member acting."
    ),
]
SystemAsOpt = Annotated[
    str,
    typer.Option("--as", metavar="HANDLE", help="Who acts, as recorded in the audit log."),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON object and nothing else.")]
RoundArg = Annotated[
    int, typer.Argument(metavar="ROUND", help="The round's id.", show_default=False)
]
DirArg = Annotated[
    Path,
    typer.Argument(metavar="DIR", help="The directory of an exported board.", show_default=False),
]


def _group(name: str, help: str) -> typer.Typer:
    return typer.Typer(name=name, help=help, no_args_is_help=True, add_completion=False)


federation_app = _group("federation", "Federations: the tree of councils that plans together.")
members_app = _group("members", "Members of the councils.")
round_app = _group("round", "Planning rounds: open, draft, and what a draft means for a member.")
proposal_app = _group("proposal", "Proposals of councils: targets, collective goods, hours.")
vote_app = _group("vote", "The vote on a round's plan: open, cast, close.")
board_app = _group("board", "The published ballot board: export, recount, find a ballot.")
audit_app = _group("audit", "The hash-chained audit log.")
plan_app = _group("plan", "Recorded plans.")
delegate_app = _group("delegate", "Councils' delegates: their terms, elections and recalls.")

APPS = (
    federation_app,
    members_app,
    round_app,
    proposal_app,
    vote_app,
    board_app,
    audit_app,
    plan_app,
    delegate_app,
)


def register(app: typer.Typer) -> None:
    """Add the round commands to the ``commonplan`` command."""
    for sub in APPS:
        app.add_typer(sub)


@contextmanager
def _database(where: str | None) -> Iterator[Database]:
    """The database, opened (and migrated); a database error becomes a one-line message."""
    from sqlalchemy.exc import SQLAlchemyError

    from commonplan.store import Database

    db: Database | None = None
    try:
        db = Database(where)
        yield db
    except SQLAlchemyError as exc:
        reason = " ".join(str(getattr(exc, "orig", None) or exc).split())
        name = repr(db) if db is not None else repr(where or "commonplan.db")
        raise CommonplanError(f"database {name}: {reason}") from None
    finally:
        if db is not None:
            db.dispose()


def _echo_json(value: Any) -> None:
    from commonplan.audit import plain

    typer.echo(json.dumps(plain(value)))


def _say(message: str) -> None:
    Console().print(message, highlight=False, soft_wrap=True)


# ---------------------------------------------------------------------- federation, members


@federation_app.command("create")
def federation_create(
    description: Annotated[
        Path,
        typer.Argument(
            metavar="FILE.yaml",
            help="The federation: name, economy, floors, rounds, children, councils.",
            show_default=False,
        ),
    ],
    actor: SystemAsOpt = "system",
    db: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Create a federation, its councils and hard floors from a YAML description.

    Example:

        commonplan federation create nordic.yaml --db nordic.db
    """
    from commonplan import federation

    data = federation.read_description(description)
    with _database(db) as d:
        fid = federation.create_federation(d, data, actor=actor)
    if as_json:
        _echo_json({"federation": fid, "name": data["name"]})
    else:
        _say(f"created federation {escape(str(data['name']))!r} with id [bold]{fid}[/]")


@members_app.command("add")
def members_add(
    rows: Annotated[
        Path,
        typer.Argument(
            metavar="FILE.csv",
            help="Columns handle, name, workers_council, consumers_council, role.",
            show_default=False,
        ),
    ],
    actor: SystemAsOpt = "system",
    db: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Add members from a CSV file, all or none.

    Example:

        commonplan members add members.csv
    """
    from commonplan import federation

    with _database(db) as d:
        added = federation.add_members(d, rows, actor=actor)
    if as_json:
        _echo_json({"added": added})
    else:
        _say(f"added {added} member{'s' if added != 1 else ''}")


CouncilArg = Annotated[
    str, typer.Argument(metavar="COUNCIL", help="The council's name.", show_default=False)
]


@delegate_app.command("list")
def delegate_list(council: CouncilArg, db: DbOpt = None, as_json: JsonOpt = False) -> None:
    """A council's delegates, term by term, the newest first.

    Example:

        commonplan delegate list "North bakery"
    """
    from commonplan import federation

    with _database(db) as d, d.transaction() as s:
        terms = federation.delegate_terms(s, federation.council_named(s, council).id)
    if as_json:
        rows = []
        for t in terms:
            fields = dataclasses.asdict(t) | {"serving": t.serving}
            rows.append(
                {k: v.isoformat() if isinstance(v, datetime) else v for k, v in fields.items()}
            )
        _echo_json(rows)
        return
    if not terms:
        _say(f"{escape(council)!r} has had no delegate")
    for t in terms:
        state = "serving" if t.serving else "recalled" if t.recalled_at else "ended"
        _say(
            f"term [bold]{t.id}[/]: {escape(t.handle)}, {t.term_start:%Y-%m-%d} to "
            f"{t.term_end:%Y-%m-%d} — {state}"
        )


@delegate_app.command("elect")
def delegate_elect(
    council: CouncilArg,
    handle: Annotated[
        str, typer.Argument(metavar="HANDLE", help="The member elected.", show_default=False)
    ],
    term_days: Annotated[
        int, typer.Option("--term-days", min=1, max=3650, help="The term's length in days.")
    ] = 365,
    actor: SystemAsOpt = "system",
    db: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Record the council's election of its delegate (refused while another's term runs, and
    after a member's maximum of consecutive terms: delegates rotate).

    Example:

        commonplan delegate elect "North bakery" ada --term-days 180 --as facilitator
    """
    from commonplan import federation

    with _database(db) as d:
        with d.transaction() as s:
            council_id = federation.council_named(s, council).id
            member = federation.member_named(s, handle).id
        term = federation.elect_delegate(d, council_id, member, term_days=term_days, actor=actor)
    if as_json:
        _echo_json({"delegate": term, "council": council, "handle": handle})
    else:
        _say(f"{escape(handle)} is delegate of {escape(council)!r} (term [bold]{term}[/])")


@delegate_app.command("recall")
def delegate_recall(
    term: Annotated[int, typer.Argument(metavar="TERM", help="The term's id.", show_default=False)],
    actor: SystemAsOpt = "system",
    db: DbOpt = None,
) -> None:
    """Record the council's recall of its delegate: the term ends now.

    Example:

        commonplan delegate recall 3 --as facilitator
    """
    from commonplan import federation

    with _database(db) as d:
        federation.recall_delegate(d, term, actor=actor)
    _say(f"recalled the delegate of term {term}")


# ---------------------------------------------------------------------- rounds, proposals


@round_app.command("open")
def round_open(
    federation_id: Annotated[
        int, typer.Argument(metavar="FEDERATION", help="The federation's id.", show_default=False)
    ],
    actor: AsOpt,
    deadline: Annotated[
        list[str] | None,
        typer.Option(
            "--deadline",
            metavar="PHASE=WHEN",
            show_default=False,
            help="When a phase ends (proposals, feedback, vote), e.g. vote=2026-12-01T18:00 (UTC "
            "unless an offset is given); repeat for several.",
        ),
    ] = None,
    db: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Open the next planning round of a federation (a facilitator's step).

    Example:

        commonplan round open 1 --as ada --deadline vote=2026-12-01T18:00
    """
    from commonplan import rounds

    deadlines = {}
    for item in deadline or []:
        phase, sep, when = item.partition("=")
        if not sep:
            raise PlanInputError(
                f"--deadline takes PHASE=WHEN, e.g. vote=2026-12-01T18:00; got {item!r}"
            )
        deadlines[phase.strip()] = when.strip()
    with _database(db) as d:
        rid = rounds.open_round(d, federation_id, actor=actor, deadlines=deadlines)
    if as_json:
        _echo_json({"round": rid})
    else:
        _say(f"opened round [bold]{rid}[/] of federation {federation_id}; proposals are open")


@proposal_app.command("file")
def proposal_file(
    round_id: RoundArg,
    actor: AsOpt,
    council: Annotated[
        str,
        typer.Option(
            "--council", metavar="NAME", help="The council proposing.", show_default=False
        ),
    ],
    kind: Annotated[
        str,
        typer.Option(
            "--kind",
            metavar="KIND",
            help="target or collective (consumers' councils); hours or capacity (workers').",
            show_default=False,
        ),
    ],
    title: Annotated[str, typer.Option("--title", help="A short title.", show_default=False)],
    amount: Annotated[
        list[str] | None,
        typer.Option(
            "--amount",
            metavar="CODE=X",
            show_default=False,
            help="An amount of a product (target, collective) or the most activity of a process "
            "(capacity).  Repeat for several.",
        ),
    ] = None,
    hours: Annotated[
        float | None,
        typer.Option(
            "--hours", metavar="N", help="Hours per member per year (hours).", show_default=False
        ),
    ] = None,
    amends: Annotated[
        int | None,
        typer.Option(
            "--amends", metavar="ID", help="The proposal this one replaces.", show_default=False
        ),
    ] = None,
    db: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """File a council's proposal (or an amendment, with --amends).

    Example:

        commonplan proposal file 1 --as bo --council East --kind target --title t --amount R93=1
    """
    from commonplan import rounds

    amounts = _amounts(amount or []) or None
    with _database(db) as d:
        pid = rounds.file_proposal(
            d,
            round_id,
            actor=actor,
            council=council,
            kind=kind,
            title=title,
            amounts=amounts,
            hours=hours,
            amends=amends,
        )
    if as_json:
        _echo_json({"proposal": pid})
    else:
        what = f"amendment of proposal {amends}" if amends is not None else f"{kind} proposal"
        _say(f"filed {what} [bold]{pid}[/] for {escape(council)!r}")


@proposal_app.command("withdraw")
def proposal_withdraw(
    proposal: Annotated[
        int, typer.Argument(metavar="PROPOSAL", help="The proposal's id.", show_default=False)
    ],
    actor: AsOpt,
    db: DbOpt = None,
) -> None:
    """Withdraw a proposal of your council.

    Example:

        commonplan proposal withdraw 4 --as bo
    """
    from commonplan import rounds

    with _database(db) as d:
        rounds.withdraw_proposal(d, proposal, actor=actor)
    _say(f"withdrew proposal {proposal}")


def _amounts(items: Sequence[str]) -> dict[str, float]:
    return {k: number(v, f"--amount {k}") for k, v in pairs(items, "--amount", "I=2000").items()}


@round_app.command("draft")
def round_draft(
    round_id: RoundArg, actor: AsOpt, db: DbOpt = None, as_json: JsonOpt = False
) -> None:
    """Compute the draft plan from the proposals and cost the collective proposals in hours;
    the round moves to feedback (a facilitator's step).

    Example:

        commonplan round draft 1 --as ada
    """
    from commonplan import rounds
    from commonplan.rounds import board

    with _database(db) as d:
        with _status("Computing the draft plan…"):
            plan = rounds.compute_draft(d, round_id, actor=actor)
        summary = board.plan_summary(d, plan).to_dict()
    if as_json:
        _echo_json(summary)
    else:
        _print_summary(summary)


@round_app.command("alternative")
def round_alternative(
    round_id: RoundArg,
    actor: AsOpt,
    title: Annotated[str, typer.Option("--title", help="A short title.", show_default=False)],
    cap: Annotated[
        list[str],
        typer.Option(
            "--cap",
            metavar="INPUT=MAX",
            show_default=False,
            help="A cap other than the round's: an amount in the input's unit, or a share of "
            "today's use, e.g. co2=60%.  Repeat for several.",
        ),
    ],
    db: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Compute an alternative draft with other caps, for members to rank against the draft in
    the vote (a facilitator's step, in feedback).

    Example:

        commonplan round alternative 1 --as ada --title "greener" --cap co2=60%
    """
    from commonplan import rounds
    from commonplan.rounds import board

    caps: dict[str, float | str] = {}
    for name, value in pairs(cap, "--cap", "co2=60%").items():
        caps[name] = value if value.endswith("%") else number(value, f"--cap {name}")
    with _database(db) as d:
        with _status("Computing the alternative draft…"):
            plan = rounds.compute_alternative(d, round_id, title=title, caps=caps, actor=actor)
        summary = board.plan_summary(d, plan).to_dict()
    if as_json:
        _echo_json(summary)
    else:
        _print_summary(summary)


@round_app.command("view")
def round_view(
    round_id: RoundArg, actor: AsOpt, db: DbOpt = None, as_json: JsonOpt = False
) -> None:
    """What the round's latest plan means for you: your hours, your councils' proposals, what
    binds, the dearest products in labour hours.

    Example:

        commonplan round view 1 --as bo
    """
    from commonplan import rounds

    with _database(db) as d:
        view = rounds.member_view(d, round_id, member=actor)
    if as_json:
        _echo_json(dataclasses.asdict(view))
        return
    console = Console()
    console.print(
        f"plan for [bold]{escape(view.member)}[/]: {escape(view.status)}", highlight=False
    )
    if view.hours_proposed is not None:
        worked = "—" if view.hours_per_year is None else _num(view.hours_per_year)
        console.print(
            f"hours of work per year: {worked} (your workers' council offers "
            f"{_num(view.hours_proposed)})",
            highlight=False,
        )
    if view.fulfilment is not None:
        console.print(f"private targets met: {_pct(view.fulfilment)}", highlight=False)
    console.print(f"binds: {escape(', '.join(view.binding) or 'nothing')}", highlight=False)
    if view.proposals:
        table = Table(title="your councils' proposals", title_justify="left")
        for col in ("id", "kind", "title", "met", "hours"):
            table.add_column(col, justify="right" if col in ("id", "met", "hours") else "left")
        for p in view.proposals:
            table.add_row(
                str(p["id"]),
                escape(p["kind"]),
                escape(p["title"]),
                "—" if p["met"] is None else _pct(p["met"]),
                "" if p["labour_cost"] is None else _num(p["labour_cost"]),
            )
        console.print(table)
    if view.prices:
        dear = ", ".join(f"{escape(k)} {v:.3g}" for k, v in view.prices.items())
        console.print(f"dearest products (shadow price): {dear}", highlight=False)


# ---------------------------------------------------------------------- the vote


@vote_app.command("open")
def vote_open(round_id: RoundArg, actor: AsOpt, db: DbOpt = None, as_json: JsonOpt = False) -> None:
    """Open the budget and ratification ballot boxes of a round (a facilitator's step).

    Example:

        commonplan vote open 1 --as ada
    """
    from commonplan import rounds

    with _database(db) as d:
        with _status("Opening the ballot boxes…"):
            ids = rounds.open_vote(d, round_id, actor=actor)
    if as_json:
        _echo_json(ids)
        return
    _say(
        f"budget question [bold]{ids['budget']}[/]: approve collective proposals "
        f"(commonplan vote cast {ids['budget']} --as HANDLE --approve ID,ID)"
    )
    if "ratify" in ids:
        _say(
            f"ratification question [bold]{ids['ratify']}[/]: yes / no / abstain "
            f"(commonplan vote cast {ids['ratify']} --as HANDLE --yes)"
        )
    if "consent" in ids:
        _say(
            f"consent question [bold]{ids['consent']}[/]: object with a reason, or consent "
            f"(commonplan vote cast {ids['consent']} --as HANDLE --consent)"
        )
    if "ranked" in ids:
        _say(
            f"ranked question [bold]{ids['ranked']}[/]: the draft against its alternatives "
            f"(commonplan vote cast {ids['ranked']} --as HANDLE --rank draft,ID)"
        )


@vote_app.command("cast")
def vote_cast(
    question: Annotated[
        int, typer.Argument(metavar="QUESTION", help="The question's id.", show_default=False)
    ],
    actor: AsOpt,
    approve: Annotated[
        list[str] | None,
        typer.Option(
            "--approve",
            metavar="ID,ID",
            show_default=False,
            help="Budget questions: the collective proposals you approve (--approve '' for none).",
        ),
    ] = None,
    rank: Annotated[
        str | None,
        typer.Option(
            "--rank",
            metavar="ID,ID",
            show_default=False,
            help="Ranked questions: the drafts from most to least preferred (draft = the draft).",
        ),
    ] = None,
    yes: Annotated[bool, typer.Option("--yes", help="Ratification: yes.")] = False,
    no: Annotated[bool, typer.Option("--no", help="Ratification: no.")] = False,
    abstain: Annotated[bool, typer.Option("--abstain", help="Ratification: abstain.")] = False,
    consent: Annotated[bool, typer.Option("--consent", help="Consent: no objection.")] = False,
    objection: Annotated[
        str | None,
        typer.Option(
            "--object",
            metavar="REASON",
            show_default=False,
            help="Consent: object, giving your reason (an objection without one does not block).",
        ),
    ] = None,
    receipt: Annotated[
        str | None,
        typer.Option(
            "--receipt",
            metavar="CODE",
            show_default=False,
            help="Your own receipt code (or the one you got, to retry after a lost reply).",
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
    with _database(db) as d:
        code = rounds.cast_ballot(d, question, member=actor, choice=choice, receipt=receipt)
    if as_json:
        _echo_json({"question": question, "receipt": code})
    else:
        _say(f"ballot cast on question {question}; your receipt: [bold]{escape(code)}[/]")
        _say("keep it: after the vote closes, commonplan board find DIR RECEIPT shows your ballot")


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

    with _database(db) as d:
        with _status("Counting the ballots and computing the final plan…"):
            outcome = rounds.close_vote(d, round_id, actor=actor).to_dict()
        summary = board.plan_summary(d, int(outcome["plan"])).to_dict()
    if as_json:
        _echo_json({**outcome, "summary": summary})
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
            f"chosen, {_num(float(budget.get('cost', 0.0)))} of {_num(float(budget['budget']))} "
            "hours",
            highlight=False,
        )
    _print_summary(summary)
    if outcome.get("next_round") is not None:
        console.print(f"the next round is open: round {outcome['next_round']}", highlight=False)


# ---------------------------------------------------------------------- board, audit, plan


@board_app.command("export")
def board_export(
    round_id: RoundArg,
    directory: Annotated[
        Path, typer.Argument(metavar="DIR", help="Where to write the board.", show_default=False)
    ],
    db: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Publish the round's closed ballot boxes: every ballot by receipt, the result, and a
    PaBuLib file of the budget vote.  Nothing in the board identifies a voter.

    Example:

        commonplan board export 1 board/
    """
    from commonplan.rounds import board

    with _database(db) as d:
        written = board.export_board(d, round_id, directory)
    if as_json:
        _echo_json({"files": [str(p) for p in written]})
        return
    for p in written:
        _say(f"wrote {escape(str(p))}")


@board_app.command("recount")
def board_recount(directory: DirArg, as_json: JsonOpt = False) -> None:
    """Recount every question of an exported board from its files alone (no database) and
    compare with the recorded results.  Exit status 0 when everything matches, 1 when not.

    Example:

        commonplan board recount board/
    """
    from commonplan.rounds import board

    report = board.recount(directory)
    if as_json:
        _echo_json(report.to_dict())
    else:
        console = Console()
        table = Table(title=f"recount of {escape(str(directory))}", title_justify="left")
        for col in ("question", "kind", "ballots", "box hash", "result"):
            table.add_column(col, justify="right" if col in ("question", "ballots") else "left")
        for q in report.questions:
            table.add_row(
                str(q.question),
                escape(q.kind),
                str(q.ballots),
                "[green]ok[/]" if q.box_ok else "[red]differs[/]",
                "[green]same[/]" if q.result_ok else "[red]differs[/]",
            )
        console.print(table)
        for problem in report.problems:
            console.print(f"[red]mismatch:[/] {escape(problem)}", highlight=False)
        if report.ok:
            console.print("[green]the recount matches the recorded results[/]")
    if not report.ok:
        raise typer.Exit(1)


@board_app.command("find")
def board_find(
    directory: DirArg,
    receipt: Annotated[
        str, typer.Argument(metavar="RECEIPT", help="Your receipt code.", show_default=False)
    ],
    as_json: JsonOpt = False,
) -> None:
    """Find your ballot on an exported board by its receipt.

    Example:

        commonplan board find board/ K7QF-2MXA-PL4D-9RTC
    """
    from commonplan.rounds import board

    found = board.find_ballot(directory, receipt)
    if as_json:
        _echo_json({"ballots": [f.to_dict() for f in found]})
        return
    for f in found:
        _say(
            f"question {f.question} ({escape(f.kind)}): "
            f"[bold]{escape(json.dumps(f.choice, sort_keys=True))}[/]"
        )


@audit_app.command("verify")
def audit_verify(
    head: Annotated[
        str | None,
        typer.Option(
            "--head",
            metavar="SHA",
            show_default=False,
            help="A head hash published earlier (e.g. in a board export): it must be in the log.",
        ),
    ] = None,
    db: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Verify the audit log's hash chain, every closed ballot box and every recorded plan.
    Exit status 0 when all verify, 1 when not (each problem listed).

    Example:

        commonplan audit verify --head 6a1bb766…
    """
    from commonplan import audit

    with _database(db) as d, d.transaction() as s:
        v = audit.verify(s, expected_head=head)
    if as_json:
        _echo_json({"ok": v.ok, "entries": v.entries, "head": v.head, "problems": v.problems})
    else:
        console = Console()
        for problem in v.problems:
            console.print(f"[red]problem:[/] {escape(problem)}", highlight=False)
        state = "[green]verifies[/]" if v.ok else f"[red]{len(v.problems)} problem(s)[/]"
        console.print(f"audit log: {v.entries} entries, head {v.head} — {state}", highlight=False)
    if not v.ok:
        raise typer.Exit(1)


@plan_app.command("recompute")
def plan_recompute(
    plan: Annotated[int, typer.Argument(metavar="PLAN", help="The plan's id.", show_default=False)],
    db: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Recompute a recorded plan from its recorded inputs and compare.  Exit status 0 when the
    numbers are the same, 1 when not.

    Example:

        commonplan plan recompute 2
    """
    from commonplan import rounds

    with _database(db) as d:
        with _status(f"Recomputing plan {plan}…"):
            out = rounds.recompute(d, plan)
    if as_json:
        _echo_json(out)
    else:
        status = out["recorded"]["status"]
        if out["same"]:
            _say(f"plan {plan} ({escape(status)}): [green]recomputed, the same[/]")
        else:
            _say(
                f"plan {plan}: [red]the recomputed plan differs[/] (recorded "
                f"{escape(status)}, recomputed {escape(out['recomputed']['status'])})"
            )
    if not out["same"]:
        raise typer.Exit(1)


# ---------------------------------------------------------------------- helpers


@contextmanager
def _status(message: str) -> Iterator[None]:
    """A spinner on stderr (stdout stays clean for --json); silent when stderr is not a terminal."""
    with Console(stderr=True).status(message):
        yield


def _print_summary(s: Mapping[str, Any]) -> None:
    """A plan: status, fulfilment, what binds, hours offered and used, collective proposals."""
    console = Console()
    colour = "green" if s["status"] == "optimal" else "red"
    console.print(
        f"round {s['round_number']} {escape(s['stage'])} plan {s['plan']}: "
        f"[bold {colour}]{escape(s['status'])}[/]",
        highlight=False,
    )
    if s["status"] != "optimal" and s.get("message"):
        console.print(escape(str(s["message"])), highlight=False)
    if s.get("fulfilment") is not None:
        console.print(f"private targets met: [bold]{_pct(s['fulfilment'])}[/]", highlight=False)
    console.print(f"binds: {escape(', '.join(s['binding']) or 'nothing')}", highlight=False)
    used = s.get("hours_used")
    offered = s["hours_offered"]
    share = f" ({_pct(used / offered)})" if used is not None and offered else ""
    console.print(
        f"hours offered: {_num(offered)} · used: "
        f"{'—' if used is None else _num(used)}{share} · set aside for collective proposals: "
        f"{_num(s['collective_budget'])}",
        highlight=False,
    )
    if not s["collective"]:
        console.print("collective proposals: none", highlight=False)
        return
    final = any(p["chosen"] is not None for p in s["collective"])
    table = Table(title="collective proposals", title_justify="left")
    for col in ("id", "council", "title", "labour hours", *(["chosen"] if final else [])):
        table.add_column(col, justify="left" if col in ("council", "title") else "right")
    for p in s["collective"]:
        hours = "" if p["hours"] is None else _num(p["hours"])
        chosen = ["●" if p["chosen"] else "—"] if final else []
        table.add_row(str(p["id"]), escape(p["council"]), escape(p["title"]), hours, *chosen)
    console.print(table)


def _pct(x: float) -> str:
    return f"{100 * x:.1f} %"


def _num(v: float) -> str:
    a = abs(v)
    if a >= 100:
        return f"{v:,.0f}"
    if a >= 1:
        return f"{v:.2f}"
    return f"{v:.3g}"
