"""The command as a person meets it in a terminal: every economy command takes ``demo``, a
malformed command line is one line, help reads plainly, a closed pipe is no error, and printing
an economy or a result is one line however large."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import commonplan as cp
from cli_support import clean_error, run, run_process


@pytest.mark.parametrize("command", ["balance", "values", "optimize"])
@pytest.mark.parametrize("name", ["demo", "sweden_2016"])
def test_every_economy_command_takes_the_shipped_table_by_name(command: str, name: str) -> None:
    done = run(command, name, "--json")
    assert done.exit_code == 0, done.output
    assert "sweden-2016" in done.stdout or '"C10T12"' in done.stdout  # the Swedish codes


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("optimize",), ["missing argument 'PATH'", "see commonplan optimize --help"]),
        (("optimize", "demo", "--method", "fast"), ["'fast'", "--method"]),
        (("vote", "cast"), ["missing argument 'QUESTION'", "commonplan vote cast --help"]),
        (("nosuch",), ["no such command 'nosuch'", "see commonplan --help"]),
        (("balance", "demo", "--nosuch"), ["no such option", "--nosuch"]),
    ],
)
def test_a_malformed_command_line_is_one_line(args: tuple[str, ...], words: list[str]) -> None:
    clean_error(run(*args), *words)


@pytest.mark.parametrize("args", [(), ("optimize",), ("vote", "cast"), ("years",)])
def test_help_is_plain(args: tuple[str, ...]) -> None:
    text = run(*args, "--help").stdout
    assert "Usage: commonplan" in text
    for noise in ("<bool>", "<str>", "<path>", "{", "╭", "┃"):
        assert noise not in text, (args, noise)
    if args == ("optimize",):
        assert "Usage: commonplan optimize [OPTIONS] PATH" in text


def test_the_bare_command_shows_its_help_and_succeeds() -> None:
    done = run()
    assert done.exit_code == 0 and "Commands:" in done.output


def test_a_closed_pipe_ends_quietly_with_success() -> None:
    """``commonplan values demo | head -1``: the reader has what it wanted."""
    for args in (["values", "demo"], ["optimize", "demo", "--json"]):
        proc = subprocess.Popen(
            [sys.executable, "-m", "commonplan", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env={**os.environ, "COLUMNS": "80"},
        )
        assert proc.stdout is not None and proc.stderr is not None
        proc.stdout.read(1)
        proc.stdout.close()  # the reader goes away with most of the output unread
        err = proc.stderr.read().decode()
        assert proc.wait(timeout=120) == 0, err
        assert "Traceback" not in err and "Error" not in err, err


def test_an_economy_and_its_results_print_in_one_line() -> None:
    big = cp.synthetic_economy(100_000)
    assert repr(big).count("\n") == 0 and len(repr(big)) < 200
    assert "100,000 products" in repr(big)
    e = cp.demo_economy()
    for value in (e, cp.balance(e), cp.optimize(e)):
        text = repr(value)
        assert "\n" not in text and len(text) < 400, text
        assert "sweden-2016" in text or "optimal" in text


def test_an_invitation_prints_the_link_to_open(tmp_path: Path) -> None:
    first = tmp_path / "first.csv"
    first.write_text("handle,name,role\nada,Ada,facilitator\n")
    db = str(tmp_path / "inv.db")
    assert run("members", "add", first, "--db", db).exit_code == 0
    done = run_process("account", "invite", "ada", "--db", db)
    assert done.returncode == 0, done.stderr
    link = next(line.split()[-1] for line in done.stdout.splitlines() if "link:" in line)
    token = next(line.split()[-1] for line in done.stdout.splitlines() if "token:" in line)
    assert link == f"http://127.0.0.1:8000/invitation#{token}"


def test_years_demo_fits_80_columns_and_wide_shows_every_column() -> None:
    narrow = run("years", "demo", "--compare", "balanced", columns=80)
    assert narrow.exit_code == 0, narrow.output
    lines = narrow.stdout.splitlines()
    assert max(len(line) for line in lines) <= 80
    assert "…" not in "".join(line for line in lines if line.startswith("│"))  # no cut cells
    assert "optimal" in narrow.stdout and "balanced" in narrow.stdout
    assert "output" not in narrow.stdout.split("note:")[0]
    wide = run("years", "demo", "--wide", columns=250)
    assert wide.exit_code == 0 and "output" in wide.stdout
