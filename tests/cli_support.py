"""Helpers for the tests of the ``commonplan`` command: run it in-process or as a real process,
and check a clean error."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner, Result

from commonplan.cli import app


def run(*args: str | Path | int, columns: int = 250) -> Result:
    """Run the command in-process; 250 columns are wide enough that no product name wraps."""
    return CliRunner().invoke(app, [str(a) for a in args], env={"COLUMNS": str(columns)})


def clean_error(result: Result, *names: str) -> str:
    """Assert exit 1 with one line 'error: …' on stderr naming each of ``names``; no traceback."""
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit)  # not an uncaught exception
    assert "Traceback" not in result.output
    assert result.stdout == ""
    message = result.stderr.strip()
    assert message.startswith("error: "), message
    assert "\n" not in message
    for name in names:
        assert name in message, message
    return message


def run_process(*args: str) -> subprocess.CompletedProcess[str]:
    """Run ``python -m commonplan ARGS`` as a real process (what CliRunner cannot see included:
    output at the C level)."""
    return subprocess.run(
        [sys.executable, "-m", "commonplan", *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env={**os.environ, "COLUMNS": "250"},
        timeout=300,
        check=False,
    )


FEDERATION = {
    "name": "Terminal commune",
    "level": "commune",
    "economy": "demo",
    "people_per_member": 1,
    "default_hours": 1600,
    "floors": [{"product": "C10T12", "per_person": 0.01, "need": "food"}],
    "rounds": {"collective_share": 0.2},
    "councils": [
        {"name": "Bakery", "kind": "workers", "processes": ["C10T12"]},
        {"name": "Clinic works", "kind": "workers", "processes": ["Q86"]},
        {"name": "East hood", "kind": "consumers"},
        {"name": "West hood", "kind": "consumers"},
    ],
}
"""The federation the terminal tests set up (``federation create``)."""
