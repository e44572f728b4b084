"""The ``commonplan hours`` commands: the hours ledger and what a plan asks of each member.

A thin layer over :mod:`commonplan.work`: a workplace records its members' hours in batches (all
or nothing), each member confirms or disputes their own, a mistake is reversed (never edited),
and balances are summed per period.  ``hours quota`` says what a plan means for you: your quota,
your credits and your free time, and, with ``--compare``, the same under other drafts.

    commonplan hours record 1 january.csv --as farmer
    commonplan hours confirm 4 5 6 --as ada
    commonplan hours dispute 7 --reason "I was off sick that week" --as ada
    commonplan hours reverse 7 --reason "recorded twice" --as farmer
    commonplan hours balance 1 --period 2027-01 --as ada
    commonplan hours quota 3 --period 2027-01 --compare 4 --as ada
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

from rich.console import Console
from rich.markup import escape

from commonplan.cli._common import (
    AsOpt,
    BatchWords,
    DbOpt,
    JsonOpt,
    OnlyPeriodOpt,
    RoundArg,
    argument,
    database,
    echo_json,
    group,
    json_or_none,
    new_table,
    num,
    option,
    registrar,
    reply,
    store_batch,
)
from commonplan.errors import PlanInputError

__all__ = ["register"]

hours_app = group("hours", "Hours worked and credited: record, confirm, balances, quotas.")

register = registrar(hours_app)


EntryArg = Annotated[int, argument("ENTRY", "The hours entry's id.")]
ReasonOpt = Annotated[str, option("--reason", "TEXT", "Why, in a few words.")]
RECORDED = BatchWords(
    "entries",
    "recorded",
    ("entry", "entries"),
    then="; each member confirms their own (commonplan hours confirm ENTRY --as HANDLE)",
)


@hours_app.command("record")
def hours_record(
    round_id: RoundArg,
    rows: Annotated[
        Path,
        argument(
            "FILE.csv",
            "Columns member, period, hours (required); workplace or credit; age, note.",
        ),
    ],
    actor: AsOpt,
    db: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Record a batch of hours worked (a workplace's) or credited (care, sick, age, study), all
    or nothing: one bad row stores nothing and names the row.

    Example:

        commonplan hours record 1 january.csv --as farmer
    """
    from commonplan.work import read_hours_rows, record_hours

    store_batch(db, read_hours_rows(rows), record_hours, round_id, actor, as_json, RECORDED)


@hours_app.command("confirm")
def hours_confirm(
    entries: Annotated[list[int], argument("ENTRY…", "The ids of entries of your own hours.")],
    actor: AsOpt,
    db: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Confirm entries of your own hours, all or none.

    Example:

        commonplan hours confirm 4 5 6 --as ada
    """
    from commonplan.work import confirm_hours

    with database(db) as d:
        verdicts = confirm_hours(d, entries, actor=actor)
    reply(
        as_json,
        {"confirmed": entries, "verdicts": list(verdicts)},
        f"confirmed {'entry' if len(entries) == 1 else 'entries'} {_ids(entries)}",
    )


def _ids(ids: list[int]) -> str:
    return ", ".join(str(i) for i in ids)


def _with_reason(
    step: str, keys: tuple[str, str], said: Callable[[int, Any, str], str], doc: str
) -> None:
    """Add ``hours STEP ENTRY --reason TEXT``: :mod:`commonplan.work`'s ``STEP_hours`` on the
    entry; with --json the entry and the answer under ``keys``, else ``said(entry, answer,
    reason)``."""

    def command(
        entry: EntryArg, reason: ReasonOpt, actor: AsOpt, db: DbOpt = None, as_json: JsonOpt = False
    ) -> None:
        from commonplan import work

        act = getattr(work, f"{step}_hours")
        with database(db) as d:
            answer = act(d, entry, reason=reason, actor=actor)
        done, key = keys
        reply(as_json, {done: entry, key: answer, "reason": reason}, said(entry, answer, reason))

    command.__name__ = f"hours_{step}"
    command.__doc__ = doc
    hours_app.command(step)(command)


_with_reason(
    "dispute",
    ("disputed", "verdict"),
    lambda entry, _, reason: f"disputed entry {entry}: {escape(reason)}",
    """Dispute an entry of your own hours, saying why; the workplace settles it by reversing the
    entry and recording the right hours.

    Example:

        commonplan hours dispute 7 --reason "I was off sick that week" --as ada
    """,
)
_with_reason(
    "reverse",
    ("reversed", "entry"),
    lambda entry, new, _: f"reversed entry {entry} by entry [bold]{new}[/]",
    """Cancel an entry by a reversing entry, giving the reason (nothing is edited or deleted;
    record the right hours again afterwards).

    Example:

        commonplan hours reverse 7 --reason "recorded twice" --as farmer
    """,
)


@hours_app.command("balance")
def hours_balance(
    round_id: RoundArg,
    actor: AsOpt,
    workplace: Annotated[
        str | None,
        option("--workplace", "NAME", "The workplace's account (minus the hours worked there)."),
    ] = None,
    period: OnlyPeriodOpt = None,
    db: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Balances per period, confirmed, pending and disputed: the members' you may see (your own,
    and your workplace's members'), or a workplace's with --workplace.

    Example:

        commonplan hours balance 1 --period 2027-01 --as ada
    """
    from commonplan.work import balances

    of = "workplace" if workplace is not None else "member"
    with database(db) as d:
        rows = balances(d, round_id, of=of, period=period, account=workplace, viewer=actor)
    value = [dataclasses.asdict(b) | {"total": b.total} for b in rows]
    what = escape(workplace) if workplace else "your accounts"
    none = f"no hours on file for {what}{f' in {escape(period)}' if period else ''}"
    if json_or_none(as_json, value, rows, none):
        return
    table = new_table(
        f"hours, round {round_id}" + (f", {escape(workplace)}" if workplace else ""),
        (of, "period", "confirmed", "pending", "disputed", "total"),
        left=(of, "period"),
    )
    for b in rows:
        table.add_row(
            escape(b.account),
            escape(b.period),
            num(b.confirmed),
            num(b.pending),
            num(b.disputed),
            num(b.total),
        )
    Console().print(table)


@hours_app.command("quota")
def hours_quota(
    plan: Annotated[int, argument("PLAN", "The plan's id (a draft, alternative or final plan).")],
    period: Annotated[str, option("--period", "PERIOD", "The period, e.g. 2027-01.")],
    actor: AsOpt,
    compare: Annotated[
        str | None,
        option("--compare", "PLAN,PLAN", "Other plans to compare, e.g. an alternative draft."),
    ] = None,
    db: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """What a plan means for you in a period: the hours you are to work (your quota), the hours
    credited to you, and the free time left; with --compare, the same a week under each plan.

    Example:

        commonplan hours quota 3 --period 2027-01 --compare 4 --as ada
    """
    from commonplan.work import compare_plans, quotas

    others = _plan_ids(compare) if compare is not None else []
    with database(db) as d:
        weekly = compare_plans(d, actor, [plan, *others], period=period)  # refused elsewhere
        mine = quotas(d, plan, period).of(actor)
    if as_json:
        echo_json(
            {
                "plan": plan,
                "period": period,
                "member": actor,
                "workplace": mine.workplace,
                "weeks": mine.weeks,
                "quota": mine.quota,
                "credits": mine.credits,
                "offered": mine.offered,
                "awake": mine.awake,
                "free": mine.free,
                "per_week": [dataclasses.asdict(w) for w in weekly],
            }
        )
        return
    console = Console()
    console.print(
        f"plan {plan}, {escape(period)} ({mine.weeks:.3g} weeks), {escape(actor)} at "
        f"{escape(mine.workplace)}: quota [bold]{num(mine.quota)} h[/], credited "
        f"{num(mine.credits)} h, free {num(mine.free)} h of {num(mine.awake)} awake hours",
        highlight=False,
    )
    first, *rest = weekly
    line = f"this plan means [bold]{first.hours_per_week:.1f} h[/] a week for you"
    line += f" ({first.free_per_week:.1f} h free)"
    for w in rest:
        name = f"{w.stage} plan {w.plan}" + (f" {w.title!r}" if w.title else "")
        line += f"; {escape(name)} {w.hours_per_week:.1f} h ({w.free_per_week:.1f} h free)"
    console.print(line, highlight=False)


def _plan_ids(text: str) -> list[int]:
    out = []
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        try:
            out.append(int(part))
        except ValueError:
            raise PlanInputError(f"--compare {text!r}: {part!r} is not a plan id") from None
    if not out:
        raise PlanInputError("--compare names no plan, e.g. --compare 4,5")
    return out
