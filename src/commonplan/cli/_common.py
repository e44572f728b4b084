"""What the command groups share: options, argument readers, output helpers, the database.

Nothing here imports numpy, SQLAlchemy or the library's computing modules at import time: they
load inside the function that needs them, so ``commonplan --help`` starts at once.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal, NamedTuple

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from commonplan.errors import CommonplanError, PlanInputError

if TYPE_CHECKING:
    from commonplan.economy.model import Economy
    from commonplan.progress import OnProgress
    from commonplan.reports import FiledBatch
    from commonplan.store import Database
    from commonplan.work import RecordedBatch

__all__ = [
    "NO_PLAN",
    "AsOpt",
    "BatchWords",
    "DbOpt",
    "JsonOpt",
    "Negatives",
    "OnlyPeriodOpt",
    "RoundArg",
    "SystemAsOpt",
    "amounts",
    "argument",
    "database",
    "echo_json",
    "group",
    "is_file",
    "json_or_none",
    "new_table",
    "num",
    "number",
    "option",
    "pairs",
    "pct",
    "print_notes",
    "print_summary",
    "read",
    "read_or_demo",
    "registrar",
    "reply",
    "say",
    "status",
    "store_batch",
]

NO_PLAN = 2
"""Exit status of ``optimize`` and ``years`` when there is no optimal plan (1 is for bad input)."""

Negatives = Literal["refuse", "clip"]

# ---------------------------------------------------------------------- options


def option(flag: str, metavar: str, help: str) -> Any:
    """``typer.Option(flag, metavar=…, help=…)`` for an option without a default to show."""
    return typer.Option(flag, metavar=metavar, show_default=False, help=help)


def argument(metavar: str, help: str) -> Any:
    """``typer.Argument(metavar=…, help=…)`` for an argument without a default to show."""
    return typer.Argument(metavar=metavar, help=help, show_default=False)


JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON object and nothing else.")]
DbOpt = Annotated[
    str | None,
    option(
        "--db",
        "PATH|URL",
        "The database: a SQLite file or a postgresql:// URL.  Default: $COMMONPLAN_DB, "
        "else commonplan.db in the working directory.",
    ),
]
AsOpt = Annotated[str, option("--as", "HANDLE", "The handle of the member acting.")]
SystemAsOpt = Annotated[
    str,
    typer.Option("--as", metavar="HANDLE", help="Who acts, as recorded in the audit log."),
]
RoundArg = Annotated[int, argument("ROUND", "The round's id.")]
OnlyPeriodOpt = Annotated[
    str | None, option("--period", "PERIOD", "Only this period, e.g. 2027-01.")
]


def group(name: str, help: str) -> typer.Typer:
    """A command group (``commonplan NAME …``) that shows its help when given no command."""
    return typer.Typer(name=name, help=help, no_args_is_help=True, add_completion=False)


def registrar(*groups: typer.Typer) -> Callable[[typer.Typer], None]:
    """The ``register(app)`` of a module whose commands are all in ``groups``: it adds each group
    to ``app`` (the ``commonplan`` command)."""

    def register(app: typer.Typer) -> None:
        for sub in groups:
            app.add_typer(sub)

    return register


# ---------------------------------------------------------------------- arguments


def pairs(items: Sequence[str], option: str, example: str) -> dict[str, str]:
    """{NAME: VALUE} from repeated ``NAME=VALUE`` options; a name given twice is refused."""
    out: dict[str, str] = {}
    for item in items:
        name, sep, value = (part.strip() for part in item.partition("="))
        if not sep or not name or not value:
            raise PlanInputError(f"{option} {item!r}: expected NAME=VALUE, e.g. {option} {example}")
        if name in out:
            raise PlanInputError(f"{option} {name}: given twice ({out[name]} and {value})")
        out[name] = value
    return out


def amounts(items: Sequence[str], option: str, example: str) -> dict[str, float]:
    """{NAME: AMOUNT} from repeated ``NAME=AMOUNT`` options (:func:`pairs`, each a number)."""
    return {k: number(v, f"{option} {k}") for k, v in pairs(items, option, example).items()}


def number(value: str, what: str) -> float:
    """``value`` as a float, or :class:`PlanInputError` naming ``what``."""
    try:
        return float(value)
    except ValueError:
        raise PlanInputError(f"{what}: {value!r} is not a number") from None


def is_file(value: str) -> bool:
    """Whether an option that takes ``COLUMN|FILE`` names a file rather than a column."""
    p = Path(value)
    return p.is_file() or p.suffix.lower() == ".csv" or "/" in value


def read(path: Path, negatives: Negatives) -> Economy:
    """The economy at ``path``, with a spinner while it loads."""
    from commonplan.economy.io import read_economy

    with status(f"Reading {path}…"):
        return read_economy(path, negatives=negatives)


DEMO = ("demo", "sweden_2016")
"""The words that name the shipped table (``demo``, or its folder's name)."""


def read_or_demo(path: str, negatives: Negatives = "refuse") -> Economy:
    """The economy at ``path``, or the shipped Swedish 2016 table for ``demo`` (or its name,
    ``sweden_2016``, where no such file is here)."""
    if path not in DEMO or Path(path).exists():
        return read(Path(path), negatives)
    from commonplan.economy.io import demo_economy

    with status("Loading the Statistics Sweden 2016 table…"):
        return demo_economy()


@contextmanager
def database(where: str | None) -> Iterator[Database]:
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


# ---------------------------------------------------------------------- output


@contextmanager
def status(message: str) -> Iterator[None]:
    """A spinner on stderr (stdout stays clean for --json); silent when stderr is not a terminal."""
    with Console(stderr=True).status(message):
        yield


@contextmanager
def progress(
    label: str, *, quiet: bool = False, console: Console | None = None
) -> Iterator[OnProgress]:
    """A progress bar on stderr for a library call that takes ``on_progress``: yields the
    callback to pass it.  Drawn only where stderr is a terminal and not ``quiet`` (``--json``),
    so piped output and what scripts read stay as they are; gone once the call returns."""
    from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn

    out = console if console is not None else Console(stderr=True)
    with Progress(
        TextColumn(escape(label)),
        BarColumn(),
        TaskProgressColumn(),
        TextColumn("{task.description}"),
        console=out,
        transient=True,
        disable=quiet or not out.is_terminal,
    ) as bar:
        task = bar.add_task("", total=1.0)

        def tell(done: float, step: str) -> None:
            bar.update(task, completed=done, description=escape(step))

        yield tell


def new_table(title: str, columns: Sequence[str], *, left: Collection[str]) -> Table:
    """A table titled ``title`` with ``columns``: those in ``left`` (text) left-justified, the
    others (numbers) right-justified."""
    table = Table(title=title, title_justify="left")
    for col in columns:
        table.add_column(col, justify="left" if col in left else "right")
    return table


def say(message: str) -> None:
    """One message (Rich markup) on stdout."""
    Console().print(message, highlight=False, soft_wrap=True)


def echo_json(value: Any) -> None:
    """``value`` as one JSON line (dataclasses, dates and numpy values made plain)."""
    from commonplan.audit import plain

    typer.echo(json.dumps(plain(value)))


def reply(as_json: bool, value: Any, message: str) -> None:
    """What a command that changes something prints: ``value`` as JSON with ``--json``, else
    ``message`` (Rich markup) for people."""
    if as_json:
        echo_json(value)
    else:
        say(message)


def json_or_none(as_json: bool, value: Any, rows: Collection[Any], none: str) -> bool:
    """What a listing prints before its table: ``value`` as JSON with ``--json``, else ``none``
    (Rich markup) where there are no ``rows``; True when that is all it prints."""
    if as_json:
        echo_json(value)
    elif not rows:
        say(none)
    else:
        return False
    return True


def print_notes(console: Console, notes: Sequence[str]) -> None:
    for note in notes:
        console.print(f"note: {escape(note)}", style="dim", highlight=False)


def num(v: float) -> str:
    """A quantity for a table: thousands grouped from 100, two decimals from 1, else 3 digits."""
    a = abs(v)
    if a >= 100:
        return f"{v:,.0f}"
    if a >= 1:
        return f"{v:.2f}"
    return f"{v:.3g}"


def pct(x: float) -> str:
    """A share as a percentage with one decimal."""
    return f"{100 * x:.1f} %"


def print_summary(s: Mapping[str, Any]) -> None:
    """A round's plan: status, fulfilment, what binds, hours offered and used, collective
    proposals (the summary of :func:`commonplan.rounds.board.plan_summary`)."""
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
        console.print(f"private targets met: [bold]{pct(s['fulfilment'])}[/]", highlight=False)
    console.print(f"binds: {escape(', '.join(s['binding']) or 'nothing')}", highlight=False)
    used = s.get("hours_used")
    offered = s["hours_offered"]
    share = f" ({pct(used / offered)})" if used is not None and offered else ""
    console.print(
        f"hours offered: {num(offered)} · used: "
        f"{'—' if used is None else num(used)}{share} · set aside for collective proposals: "
        f"{num(s['collective_budget'])}",
        highlight=False,
    )
    if not s["collective"]:
        console.print("collective proposals: none", highlight=False)
        return
    final = any(p["chosen"] is not None for p in s["collective"])
    table = new_table(
        "collective proposals",
        ("id", "council", "title", "labour hours", *(["chosen"] if final else [])),
        left=("council", "title"),
    )
    for p in s["collective"]:
        hours = "" if p["hours"] is None else num(p["hours"])
        chosen = ["●" if p["chosen"] else "—"] if final else []
        table.add_row(str(p["id"]), escape(p["council"]), escape(p["title"]), hours, *chosen)
    console.print(table)


class BatchWords(NamedTuple):
    """How a command speaks of a batch it stored: the batch's field of row ids (their key in
    ``--json`` too), its verb, the row's noun (one, several), and what to do next."""

    ids: Literal["reports", "entries"]
    verb: str
    noun: tuple[str, str]
    then: str = ""


def store_batch(
    db: str | None,
    rows: Sequence[Any],
    store: Callable[..., FiledBatch | RecordedBatch],
    round_id: int,
    actor: str,
    as_json: bool,
    words: BatchWords,
) -> None:
    """Store a round's batch of rows read from a CSV file, all or nothing (``store``: the
    library's call, ``store(d, round_id, rows, actor=actor)``), and print its id and its rows'
    ids (``--json``: with the hash of its rows and its audit entry)."""
    with database(db) as d:
        batch = store(d, round_id, rows, actor=actor)
    ids: Sequence[int] = getattr(batch, words.ids)
    if as_json:
        echo_json(
            {
                "batch": batch.batch,
                "rows": len(ids),
                words.ids: list(ids),
                "rows_sha256": batch.rows_sha256,
                "audit_seq": batch.audit_seq,
            }
        )
        return
    n = len(ids)
    span = f"{ids[0]}" if n == 1 else f"{ids[0]}–{ids[-1]}"
    noun = words.noun[0] if n == 1 else words.noun[1]
    say(
        f"{words.verb} batch [bold]{batch.batch}[/]: {n} {noun} "
        f"(id{'s' if n != 1 else ''} {span}){words.then}"
    )
