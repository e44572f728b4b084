"""The ``commonplan`` commands of a planning round: federations, members, delegates, rounds and
proposals.

A thin layer over :mod:`commonplan.federation` and :mod:`commonplan.rounds`: each command opens
the database (``--db PATH|URL``, else ``$COMMONPLAN_DB``, else ``commonplan.db`` in the working
directory), makes one library call as the member named by ``--as``, and prints the result — Rich
for people, ``--json`` for programs.  The library (SQLAlchemy, Alembic, the planning code) is
imported inside the commands.  The vote is in :mod:`commonplan.cli.vote`, the board, audit and
recomputation in :mod:`commonplan.cli.board`.

    commonplan federation create nordic.yaml
    commonplan members add members.csv
    commonplan round open 1 --as ada
    commonplan proposal file 1 --as bo --council "North hood" --kind collective \\
        --title canteen --amount I=2000
    commonplan round draft 1 --as ada
    commonplan round view 1 --as bo
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape

from commonplan.cli._common import (
    AsOpt,
    DbOpt,
    JsonOpt,
    RoundArg,
    SystemAsOpt,
    amounts,
    argument,
    database,
    echo_json,
    group,
    new_table,
    num,
    number,
    option,
    pairs,
    pct,
    print_summary,
    progress,
    registrar,
    reply,
    say,
    status,
)
from commonplan.errors import PlanInputError

if TYPE_CHECKING:
    from commonplan.rounds.shares import WhatWeGet
    from commonplan.store import Database

__all__ = ["register"]

federation_app = group("federation", "Federations: the tree of councils that plans together.")
members_app = group("members", "Members of the councils.")
round_app = group("round", "Planning rounds: open, draft, and what a draft means for a member.")
proposal_app = group("proposal", "Proposals of councils: targets, collective goods, hours.")
delegate_app = group("delegate", "Councils' delegates: their terms, elections and recalls.")

register = registrar(federation_app, members_app, round_app, proposal_app, delegate_app)


# ---------------------------------------------------------------------- federation, members


@federation_app.command("create")
def federation_create(
    description: Annotated[
        Path,
        argument("FILE.yaml", "The federation: name, economy, floors, rounds, children, councils."),
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
    with database(db) as d:
        fid = federation.create_federation(d, data, actor=actor)
    reply(
        as_json,
        {"federation": fid, "name": data["name"]},
        f"created federation {escape(str(data['name']))!r} with id [bold]{fid}[/]",
    )


@members_app.command("add")
def members_add(
    rows: Annotated[
        Path,
        argument("FILE.csv", "Columns handle, name, workers_council, consumers_council, role."),
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

    with database(db) as d, progress(f"Adding the members of {rows}", quiet=as_json) as tell:
        added = federation.add_members(d, rows, actor=actor, on_progress=tell)
    reply(as_json, {"added": added}, f"added {added} member{'s' if added != 1 else ''}")


@members_app.command("list")
def members_list(
    federation_id: Annotated[int, argument("FEDERATION", "The federation's id.")],
    round_id: Annotated[
        int | None,
        option("--round", "ROUND", "Also say who has voted in this round (never how)."),
    ] = None,
    db: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """The members of a federation and below it: councils, role, whether they can sign in yet
    (active, invited, invitation expired, not invited) and, with --round, whether they voted.

    Example:

        commonplan members list 1 --round 2
    """
    from commonplan.members import member_statuses

    with database(db) as d:
        rows = member_statuses(d, federation_id, round_id=round_id)
    if as_json:
        echo_json(
            [
                dataclasses.asdict(r)
                | {"invited_until": r.invited_until.isoformat() if r.invited_until else None}
                for r in rows
            ]
        )
        return
    columns = ("handle", "councils", "role", "account") + (("voted",) if round_id else ())
    table = new_table(f"{len(rows)} members", columns, left=columns)
    for r in rows:
        councils = " · ".join(c for c in (r.workers_council, r.consumers_council) if c)
        account = r.account + (f" until {r.invited_until:%Y-%m-%d}" if r.invited_until else "")
        voted = (("yes" if r.voted else "no"),) if round_id else ()
        table.add_row(escape(r.handle), escape(councils), r.role, account, *voted)
    Console().print(table)


CouncilArg = Annotated[str, argument("COUNCIL", "The council's name.")]


@delegate_app.command("list")
def delegate_list(council: CouncilArg, db: DbOpt = None, as_json: JsonOpt = False) -> None:
    """A council's delegates, term by term, the newest first.

    Example:

        commonplan delegate list "North bakery"
    """
    from commonplan import federation

    with database(db) as d, d.transaction() as s:
        terms = federation.delegate_terms(s, federation.council_named(s, council).id)
    if as_json:
        rows = []
        for t in terms:
            fields = dataclasses.asdict(t) | {"serving": t.serving}
            rows.append(
                {k: v.isoformat() if isinstance(v, datetime) else v for k, v in fields.items()}
            )
        echo_json(rows)
        return
    if not terms:
        say(f"{escape(council)!r} has had no delegate")
    for t in terms:
        state = "serving" if t.serving else "recalled" if t.recalled_at else "ended"
        say(
            f"term [bold]{t.id}[/]: {escape(t.handle)}, {t.term_start:%Y-%m-%d} to "
            f"{t.term_end:%Y-%m-%d} — {state}"
        )


@delegate_app.command("elect")
def delegate_elect(
    council: CouncilArg,
    handle: Annotated[str, argument("HANDLE", "The member elected.")],
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

    with database(db) as d:
        with d.transaction() as s:
            council_id = federation.council_named(s, council).id
            member = federation.member_named(s, handle).id
        term = federation.elect_delegate(d, council_id, member, term_days=term_days, actor=actor)
    reply(
        as_json,
        {"delegate": term, "council": council, "handle": handle},
        f"{escape(handle)} is delegate of {escape(council)!r} (term [bold]{term}[/])",
    )


@delegate_app.command("recall")
def delegate_recall(
    term: Annotated[int, argument("TERM", "The term's id.")],
    actor: SystemAsOpt = "system",
    db: DbOpt = None,
) -> None:
    """Record the council's recall of its delegate: the term ends now.

    Example:

        commonplan delegate recall 3 --as facilitator
    """
    from commonplan import federation

    with database(db) as d:
        federation.recall_delegate(d, term, actor=actor)
    say(f"recalled the delegate of term {term}")


# ---------------------------------------------------------------------- rounds, proposals


@round_app.command("open")
def round_open(
    federation_id: Annotated[int, argument("FEDERATION", "The federation's id.")],
    actor: AsOpt,
    deadline: Annotated[
        list[str] | None,
        option(
            "--deadline",
            "PHASE=WHEN",
            "When a phase ends (proposals, feedback, vote), e.g. vote=2026-12-01T18:00 (UTC "
            "unless an offset is given); repeat for several.",
        ),
    ] = None,
    next_period: Annotated[
        bool,
        typer.Option(
            "--next-period",
            help="Open the first round of the next planning period (once this period's plan is "
            "ratified).",
        ),
    ] = False,
    db: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Open the next planning round of a federation (a facilitator's step); after ratification,
    the first round of the next planning period with --next-period.

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
    opening = rounds.open_period if next_period else rounds.open_round
    with database(db) as d:
        rid = opening(d, federation_id, actor=actor, deadlines=deadlines)
    period = " of the next planning period" if next_period else ""
    reply(
        as_json,
        {"round": rid},
        f"opened round [bold]{rid}[/]{period} of federation {federation_id}; proposals are open",
    )


@proposal_app.command("file")
def proposal_file(
    round_id: RoundArg,
    actor: AsOpt,
    council: Annotated[
        str,
        option("--council", "NAME", "The council proposing."),
    ],
    kind: Annotated[
        str,
        option(
            "--kind",
            "KIND",
            "target or collective (consumers' councils); hours or capacity (workers').",
        ),
    ],
    title: Annotated[str, typer.Option("--title", help="A short title.", show_default=False)],
    amount: Annotated[
        list[str] | None,
        option(
            "--amount",
            "CODE=X",
            "An amount of a product (target, collective) or the most activity of a process "
            "(capacity).  Repeat for several.",
        ),
    ] = None,
    hours: Annotated[
        float | None,
        option("--hours", "N", "Hours per member per year (hours)."),
    ] = None,
    amends: Annotated[
        int | None,
        option("--amends", "ID", "The proposal this one replaces."),
    ] = None,
    db: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """File a council's proposal (or an amendment, with --amends).

    Example:

        commonplan proposal file 1 --as bo --council East --kind target --title t --amount R93=1
    """
    from commonplan import rounds

    given = amounts(amount or [], "--amount", "I=2000") or None
    with database(db) as d:
        pid = rounds.file_proposal(
            d,
            round_id,
            actor=actor,
            council=council,
            kind=kind,
            title=title,
            amounts=given,
            hours=hours,
            amends=amends,
        )
    if as_json:
        echo_json({"proposal": pid})
    else:
        what = f"amendment of proposal {amends}" if amends is not None else f"{kind} proposal"
        say(f"filed {what} [bold]{pid}[/] for {escape(council)!r}")


@proposal_app.command("withdraw")
def proposal_withdraw(
    proposal: Annotated[int, argument("PROPOSAL", "The proposal's id.")],
    actor: AsOpt,
    reason: Annotated[
        str | None,
        option("--reason", "TEXT", "Why (required of a facilitator: shown with the proposal)."),
    ] = None,
    hide: Annotated[
        bool,
        typer.Option(
            "--hide",
            help="A facilitator hides an abusive proposal: members see only who hid it and why.",
        ),
    ] = False,
    db: DbOpt = None,
) -> None:
    """Withdraw a proposal of your council, or, as a facilitator of the round's federation, any
    proposal with the reason (recorded, logged and shown to members with the proposal).

    Example:

        commonplan proposal withdraw 4 --as bo

    A facilitator: commonplan proposal withdraw 7 --as ada --reason "1e-100: a typing error"

    Hiding abuse: commonplan proposal withdraw 9 --as ada --hide --reason "insults a member"
    """
    from commonplan import rounds

    with database(db) as d:
        if hide:
            rounds.hide_proposal(d, proposal, actor=actor, reason=reason or "")
        else:
            rounds.withdraw_proposal(d, proposal, actor=actor, reason=reason)
    done = "hid" if hide else "withdrew"
    say(f"{done} proposal {proposal}" + (f": {escape(reason)}" if reason else ""))


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

    _computed(
        db,
        "Computing the draft plan…",
        lambda d: rounds.compute_draft(d, round_id, actor=actor),
        as_json,
    )


@round_app.command("alternative")
def round_alternative(
    round_id: RoundArg,
    actor: AsOpt,
    title: Annotated[str, typer.Option("--title", help="A short title.", show_default=False)],
    cap: Annotated[
        list[str],
        option(
            "--cap",
            "INPUT=MAX",
            "A cap other than the round's: an amount in the input's unit, or a share of "
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

    caps: dict[str, float | str] = {}
    for name, value in pairs(cap, "--cap", "co2=60%").items():
        caps[name] = value if value.endswith("%") else number(value, f"--cap {name}")
    _computed(
        db,
        "Computing the alternative draft…",
        lambda d: rounds.compute_alternative(d, round_id, title=title, caps=caps, actor=actor),
        as_json,
    )


def _computed(
    db: str | None, doing: str, compute: Callable[[Database], int], as_json: bool
) -> None:
    """Compute a plan (``compute``: the library's call, with a spinner saying ``doing``) and
    print its summary."""
    from commonplan.rounds import board

    with database(db) as d:
        with status(doing):
            plan = compute(d)
        summary = board.plan_summary(d, plan).to_dict()
    if as_json:
        echo_json(summary)
    else:
        print_summary(summary)


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

    with database(db) as d:
        view = rounds.member_view(d, round_id, member=actor)
        got = rounds.what_we_get(d, round_id, member=actor)
    if as_json:
        echo_json({**dataclasses.asdict(view), "per_person": dataclasses.asdict(got)})
        return
    console = Console()
    console.print(
        f"plan for [bold]{escape(view.member)}[/]: {escape(view.status)}", highlight=False
    )
    if view.hours_proposed is not None:
        worked = "—" if view.hours_per_year is None else num(view.hours_per_year)
        console.print(
            f"hours of work per year: {worked} (your workers' council offers "
            f"{num(view.hours_proposed)})",
            highlight=False,
        )
    if view.fulfilment is not None:
        console.print(f"private targets met: {pct(view.fulfilment)}", highlight=False)
    console.print(f"binds: {escape(', '.join(view.binding) or 'nothing')}", highlight=False)
    if view.proposals:
        table = new_table(
            "your councils' proposals",
            ("id", "kind", "title", "met", "hours"),
            left=("kind", "title"),
        )
        for p in view.proposals:
            table.add_row(
                str(p["id"]),
                escape(p["kind"]),
                escape(p["title"]),
                "—" if p["met"] is None else pct(p["met"]),
                "" if p["labour_cost"] is None else num(p["labour_cost"]),
            )
        console.print(table)
    if view.prices:
        dear = ", ".join(f"{escape(k)} {v:.3g}" for k, v in view.prices.items())
        console.print(f"dearest products (shadow price): {dear}", highlight=False)
    print_per_person(console, got)


def print_per_person(console: Console, got: WhatWeGet) -> None:
    """What each person of the member's consumers' council gets a year, product by product,
    against today (:func:`commonplan.rounds.what_we_get`)."""
    who = f"each person of {got.council}" if got.council else "each person (the hard floors)"
    table = new_table(
        f"what {who} gets a year, {got.unit}",
        ("product", "today", "planned", "change", "floor"),
        left=("product",),
    )
    for row in got.rows:
        change = "—" if row.change is None else f"{row.change:+.0%}"
        table.add_row(
            escape(f"{row.name} ({row.product})"),
            "—" if row.today is None else num(row.today),
            num(row.planned),
            change,
            num(row.floor) if row.floor else "",
        )
    console.print(table)
    if got.population is None:
        console.print("today: the economy's table gives no population", highlight=False)
    else:
        console.print(
            f"today: the table's final demand per inhabitant ({num(got.population)} people; "
            "households, public services, investment and exports together)",
            highlight=False,
        )
