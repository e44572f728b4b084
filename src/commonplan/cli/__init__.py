"""The ``commonplan`` command: a thin layer over the library.

Each command reads its input, makes one library call and prints the result — Rich tables for
people, ``--json`` for programs.  Errors of the :class:`commonplan.CommonplanError` tree, and a
file that cannot be opened, end the command with a one-line ``error: …`` on stderr and exit
status 1, never a traceback (:class:`_Commands`, the one place that maps them); so does a
malformed command line, with click's usage message.  ``optimize`` and ``years`` exit with status
2 when there is no optimal plan, ``monitor replan`` when a floor is at risk, ``roster`` when no
roster keeps every rule; ``board recount``, ``audit verify`` and ``plan recompute`` with 1 when
what they check differs.

The groups, each registering its own commands on :data:`app`:

- :mod:`~commonplan.cli.economy` — ``demo``, ``balance``, ``values``, ``optimize``, ``synth``
- :mod:`~commonplan.cli.years` — ``years``: multi-year plans, strategies compared
- :mod:`~commonplan.cli.web` — ``serve``, ``db upgrade``, ``account …``
- :mod:`~commonplan.cli.rounds` — ``federation``, ``members``, ``round``, ``proposal``,
  ``delegate``
- :mod:`~commonplan.cli.vote` — ``vote open|cast|close``
- :mod:`~commonplan.cli.board` — ``board …``, ``audit verify``, ``plan recompute``
- :mod:`~commonplan.cli.reports` — ``report file|revise|list|reconcile|suspects``
- :mod:`~commonplan.cli.alerts` — ``alerts list|acknowledge|explain|correct|resolve|escalate``
- :mod:`~commonplan.cli.monitor` — ``monitor status|replan``: the running plan watched, replanned
- :mod:`~commonplan.cli.hours` — ``hours record|confirm|dispute|reverse|balance|quota``
- :mod:`~commonplan.cli.roster` — ``roster``: shifts assigned from a YAML or JSON file
- :mod:`~commonplan.cli.simulate` — ``simulate``: a year of a running plan, simulated
- :mod:`~commonplan.cli._common` — what they share: options, argument readers, output, database

Start-up is cheap: numpy, SQLAlchemy and the computing modules load inside the command that
needs them, so ``commonplan --help`` and the database commands do not wait for numba or scipy.
"""

from __future__ import annotations

import os
import sys
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from typer.core import TyperArgument, TyperGroup

from commonplan import __version__
from commonplan.cli import (
    alerts,
    board,
    economy,
    hours,
    monitor,
    reports,
    roster,
    rounds,
    vote,
    web,
    years,
)
from commonplan.cli import simulate as simulate_cli
from commonplan.errors import CommonplanError

try:  # typer ≥ 0.20 vendors click
    from typer._click.exceptions import UsageError
except ImportError:  # pragma: no cover
    from click.exceptions import UsageError  # type: ignore[assignment,no-redef,import-not-found,unused-ignore]

__all__ = ["app", "main"]


class _Commands(TyperGroup):
    """Maps the library's errors, in one place, to a one-line message and exit status 1; a
    malformed command line too (``error: missing argument 'PATH' (commonplan optimize --help)``,
    not click's usage block)."""

    def main(self, *args: Any, **kwargs: Any) -> Any:
        if not kwargs.pop("standalone_mode", True):
            return super().main(*args, standalone_mode=False, **kwargs)  # type: ignore[misc]
        try:
            code = super().main(*args, standalone_mode=False, **kwargs)  # type: ignore[misc]
        except UsageError as exc:
            if type(exc).__name__ == "NoArgsIsHelpError":  # `commonplan` alone: its help
                exc.show()
                sys.exit(0)
            where = exc.ctx.command_path if exc.ctx is not None else "commonplan"
            message = exc.format_message().rstrip(".")
            _say_error(f"{message[:1].lower()}{message[1:]}; see {where} --help")
            sys.exit(1)
        except (EOFError, KeyboardInterrupt):
            _say_error("interrupted")
            sys.exit(130)
        except typer.Abort:
            _say_error("aborted")
            sys.exit(1)
        sys.exit(code if isinstance(code, int) else 0)

    def invoke(self, ctx: Any) -> Any:  # Any: click's Context, or the one typer vendors
        try:
            return super().invoke(ctx)
        except UsageError as exc:  # bad input too: 2 is optimize's "no optimal plan"
            exc.exit_code = 1
            raise
        except CommonplanError as exc:
            _fail(str(exc))
        except BrokenPipeError:  # the reader went away (| head -1): what it read is all it
            _quiet()  # wanted, so not an error
        except OSError as exc:
            where = f": {exc.filename}" if exc.filename else ""
            _fail(f"{exc.strerror or exc}{where}")


def _quiet() -> None:
    try:  # nothing more to write: what is left in stdout's buffer goes nowhere at exit
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    except (OSError, ValueError):  # stdout is no file (a test's runner)
        pass
    raise typer.Exit(0)


def _broken_pipe(console: Console) -> None:
    """Rich's answer to a reader that went away (``| head -1``), but as success: the reader had
    what it wanted.  (Rich exits with status 1.)"""
    if not console.quiet:
        _quiet()


Console.on_broken_pipe = _broken_pipe  # type: ignore[method-assign,assignment]


def _usage_name(self: Any) -> str:
    """An argument in the usage line as click and Unix manuals write it: PATH, [PATH], PATH...
    (Typer 0.2x writes a required one {PATH})."""
    name = str(self.display_name_raw)
    name = name if self.required else f"[{name}]"
    return name + ("..." if self.nargs != 1 else "")


if hasattr(TyperArgument, "_usage_display_name"):  # Typer's own spelling, where it has one
    TyperArgument._usage_display_name = _usage_name  # type: ignore[method-assign]
    TyperArgument.display_type_rich = lambda self, ctx: ""  # type: ignore[method-assign]


def _say_error(message: str) -> None:
    line = " ".join(message.split())
    Console(stderr=True).print(
        f"[bold red]error:[/] {escape(line)}", soft_wrap=True, highlight=False
    )


def _fail(message: str) -> None:
    _say_error(message)
    raise typer.Exit(1)


app = typer.Typer(
    cls=_Commands,
    name="commonplan",
    help="Democratic economic planning from input-output tables.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
    rich_markup_mode=None,  # plain help: paragraphs rewrapped to the terminal, no <bool> types
)


def _version(show: bool) -> None:
    if show:
        typer.echo(f"commonplan {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """Democratic economic planning from input-output tables."""


for _group in (
    economy,
    rounds,
    vote,
    board,
    years,
    web,
    reports,
    alerts,
    monitor,
    hours,
    roster,
    simulate_cli,
):
    _group.register(app)


def main() -> None:
    """Run the command (the ``commonplan`` script and ``python -m commonplan``)."""
    app(prog_name="commonplan")
