"""After the vote, from the terminal: ``report …`` and ``alerts …`` through Typer's CliRunner.

A commune of a farm, a mill and a street (tests/fixtures.py) reports a month in which the farm
inflates its grain 30 % and its delivery to match; the commands file, list, revise and
reconcile the reports, raise the suspects' alerts, answer them and escalate the unanswered.
Every number shown is recomputed here with the library; refusals end with one line naming what
is wrong and store nothing.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from cli_support import clean_error, run
from commonplan import demo_economy
from commonplan.audit import plain
from commonplan.cli import app
from commonplan.cli._common import num
from commonplan.federation import add_members, create_federation
from commonplan.monitor.alerts import alerts_for
from commonplan.reports import ReportRow, file_reports, reports_of
from commonplan.reports.reconcile import reconcile_round
from commonplan.store import Database
from fixtures import ratified_round, small_federation, small_members

PERIOD = "2027-01"
ECONOMY = demo_economy()
FLOUR = 1000.0 * float(
    ECONOMY.inputs[ECONOMY.product_index("A01"), ECONOMY.processes.index("C10T12")]
)
FARM_HOURS = float(ECONOMY.labour[ECONOMY.processes.index("A01")]) * FLOUR  # type: ignore[index]
LIE = 1.3
HEADER = "council,period,kind,product,counterpart,amount,source\n"
FARM = (
    f"Farm A,{PERIOD},output,A01,,{LIE * FLOUR},workplace\n"
    f"Farm A,{PERIOD},delivery,A01,Mill A,{LIE * FLOUR},workplace\n"
    f"Farm A,{PERIOD},hours,,,{FARM_HOURS},workplace\n"
)
MILL = (
    f"Mill A,{PERIOD},receipt,A01,Farm A,{FLOUR},workplace\n"
    f"Mill A,{PERIOD},input,A01,,{FLOUR},workplace\n"
    f"Mill A,{PERIOD},output,C10T12,,1000,workplace\n"
    f"Mill A,{PERIOD},delivery,C10T12,Street A,1000,workplace\n"
)
STREET = f"Street A,{PERIOD},receipt,C10T12,Mill A,1000,receipts\n"


@pytest.fixture
def db_url(database_url: str, tmp_path: Path) -> str:
    """A fresh database (SQLite, and PostgreSQL where the suite has one); SQLite as a file path,
    the way a person types it."""
    return str(tmp_path / "cli.db") if database_url.startswith("sqlite") else database_url


def commune(where: str) -> tuple[Database, int]:
    """Federations A (with a ratified round) and B (another federation, for visibility)."""
    db = Database(where)
    fed = create_federation(db, small_federation("A"))
    add_members(db, small_members("A"))
    create_federation(db, small_federation("B"))
    add_members(db, small_members("B"))
    return db, ratified_round(db, fed)


def csv(tmp_path: Path, name: str, rows: str) -> Path:
    path = tmp_path / name
    path.write_text(HEADER + rows)
    return path


def ok(*args: str | Path | int, columns: int = 250) -> Result:
    result = run(*args, columns=columns)
    assert result.exit_code == 0, (args, result.output)
    return result


def data(*args: str | Path | int) -> Any:
    return json.loads(ok(*args, "--json").stdout)


def fits(text: str, width: int = 80) -> None:
    assert text.strip()
    for line in text.splitlines():
        assert len(line) <= width, line


def same(value: Any) -> Any:
    """What ``value`` becomes through ``--json``."""
    return json.loads(json.dumps(plain(value)))


def test_reports_filed_listed_reconciled_and_the_alerts_answered(
    db_url: str, tmp_path: Path
) -> None:
    lib, r = commune(db_url)
    db = ("--db", db_url)

    filed = data("report", "file", r, csv(tmp_path, "farm.csv", FARM), "--as", "farmerA", *db)
    assert filed["rows"] == 3 and len(filed["reports"]) == 3
    mill = ok("report", "file", r, csv(tmp_path, "mill.csv", MILL), "--as", "millerA", *db)
    assert mill.stdout.startswith(f"filed batch {filed['batch'] + 1}: 4 reports (ids ")
    data("report", "file", r, csv(tmp_path, "street.csv", STREET), "--as", "neighbourA", *db)

    # list: the library's ledger, as JSON and as a table within 80 columns
    listed = data("report", "list", r, "--period", PERIOD, "--as", "millerA", *db)
    stored = reports_of(lib, r, viewer="millerA", period=PERIOD)
    assert listed == same([x.to_dict() for x in stored]) and len(listed) == 8
    table = ok("report", "list", r, "--as", "millerA", *db, columns=80).stdout
    fits(table)
    assert f"round {r}, {PERIOD}" in table and "Mill A" in table
    assert num(LIE * FLOUR) in table and "receipts" in table
    only_farm = data("report", "list", r, "--council", "Farm A", "--as", "farmerA", *db)
    assert {x["council"] for x in only_farm} == {"Farm A"} and len(only_farm) == 3

    # reconcile: the global test in one line, the farm named, its reconciled grain shown
    rec = reconcile_round(lib, r, period=PERIOD, viewer="millerA")
    assert not rec.passed and rec.suspected_councils[0] == "Farm A"
    shown = data("report", "reconcile", r, "--period", PERIOD, "--as", "millerA", *db)
    assert shown["passed"] is False and shown["p_value"] == pytest.approx(rec.p_value)
    assert [s["council"] for s in shown["suspects"]] == [s.council for s in rec.suspects]
    farm = next(w for w in rec.workplaces if w.council == "Farm A")
    assert farm.reconciled == pytest.approx(FLOUR, rel=1e-6)
    text = ok("report", "reconcile", r, "--period", PERIOD, "--as", "millerA", *db, columns=80)
    fits(text.stdout)
    first = text.stdout.splitlines()[0]
    assert first.startswith(f"{PERIOD}: the reports do not add up (χ² {rec.chi2:.3g} on ")
    assert f"{rec.redundancy} df, p = {rec.p_value:.2g} < α 0.05)" in first
    assert f"{num(farm.reconciled)} ± {num(farm.std_error)}" in text.stdout
    assert "1. Farm A" in text.stdout
    # each loosely checked report with the smallest error the checks catch 9 times in 10
    flat = " ".join(text.stdout.split())
    weak = rec.weakly_checked()
    assert flat.count("is caught less than 9 times in 10") == len(weak)
    for c in weak:
        assert f"{c.council}, {c.kind}" in flat and f"smaller than {num(c.detectable)}" in flat
    # the progress bar: on a terminal only, never among what scripts read
    assert text.stderr == ""
    args = ["report", "reconcile", str(r), "--period", PERIOD, "--as", "millerA", *db]
    drawn = CliRunner().invoke(app, args, env={"COLUMNS": "250", "TTY_COMPATIBLE": "1"})
    assert drawn.exit_code == 0 and f"Reconciling the reports of {PERIOD}" in drawn.stderr
    assert "100%" in drawn.stderr  # a bar that fills, not a spinner
    suspects = data("report", "suspects", r, "--period", PERIOD, "--as", "millerA", *db)
    assert suspects == same(rec.to_dict()["suspects"])
    assert (
        "1. Farm A (z = "
        in ok("report", "suspects", r, "--period", PERIOD, "--as", "millerA", *db).stdout
    )

    # --alerts raises the suspects' alerts, to the farm first
    raised = data(
        "report", "reconcile", r, "--period", PERIOD, "--alerts", "--as", "facilitatorA", *db
    )["alerts"]
    assert len(raised) == len(rec.suspects) >= 1
    alert = raised[0]
    mine = data("alerts", "list", "--as", "farmerA", *db)
    expected = same([a.to_dict() for a in alerts_for(lib, "farmerA")])
    assert [{**a, "overdue": None} for a in mine] == [{**a, "overdue": None} for a in expected]
    assert alert in [a["id"] for a in mine]
    assert ok("alerts", "list", "--as", "millerA", *db).stdout.startswith("no open alerts")
    listed_alerts = ok("alerts", "list", "--round", r, "--as", "farmerA", *db, columns=80)
    fits(listed_alerts.stdout)
    assert "0, with Farm A" in listed_alerts.stdout and "raised" in listed_alerts.stdout

    # answered: the mill cannot, an explanation needs a note, the facilitator resolves
    clean_error(run("alerts", "explain", alert, "--note", "x", "--as", "millerA", *db), "millerA")
    clean_error(run("alerts", "explain", alert, "--as", "farmerA", *db), "note is empty")
    assert alerts_for(lib, "farmerA")[0].state == "raised"  # nothing stored
    acked = data("alerts", "acknowledge", alert, "--as", "farmerA", *db)
    assert acked["state"] == "acknowledged" and acked["sits_with"] == "Farm A"
    said = ok("alerts", "explain", alert, "--note", "scales broken", "--as", "farmerA", *db)
    assert said.stdout.startswith(f"alert {alert} is explained (level 0, with Farm A;")
    done = data("alerts", "resolve", alert, "--as", "facilitatorA", *db)
    assert done["state"] == "resolved"
    assert [h["action"] for h in done["history"]] == ["raise", "acknowledge", "explain", "resolve"]
    assert alert not in [a["id"] for a in data("alerts", "list", "--as", "farmerA", *db)]
    assert alert in [a["id"] for a in data("alerts", "list", "--all", "--as", "farmerA", *db)]

    # the farm corrects its report; the old one stays in the ledger
    output = next(x for x in stored if x.council == "Farm A" and x.kind == "output")
    revised = data(
        "report", "revise", output.id, "--amount", FLOUR, "--reason", "weighed wet grain",
        "--as", "farmerA", *db,
    )  # fmt: skip
    assert revised["revises"] == output.id
    now = {x.id: x for x in reports_of(lib, r, current_only=False)}
    assert now[revised["report"]].amount == FLOUR and now[output.id].current is False
    every = ok("report", "list", r, "--all", "--as", "farmerA", *db).stdout
    assert f"{revised['report']}←{output.id}" in every

    # unanswered alerts go up a level when the sweeper runs past their deadline
    again = data(
        "report", "reconcile", r, "--period", PERIOD, "--alerts", "--as", "facilitatorA", *db
    )["alerts"]
    assert again and alert not in again
    moved = data("alerts", "escalate", "--now", "2099-01-01T00:00", *db)["moved"]
    assert {m["alert"] for m in moved} == set(again)
    assert all(m["level"] == 1 and "now with Commune A" in m["note"] for m in moved)
    swept = ok("alerts", "escalate", "--now", "2099-01-01T00:00", *db).stdout
    assert swept.startswith("no alert past its deadline moved")


def test_a_batch_with_one_bad_row_stores_nothing(tmp_path: Path) -> None:
    lib, r = commune(str(tmp_path / "plan.db"))
    db = ("--db", str(tmp_path / "plan.db"))
    bad = MILL + f"Mill A,{PERIOD},output,NOPE,,5,workplace\n"
    clean_error(
        run("report", "file", r, csv(tmp_path, "bad.csv", bad), "--as", "millerA", *db),
        "report row 5",
        "'NOPE'",
    )
    assert reports_of(lib, r) == []
    wrong_period = "Mill A,2031-01,output,C10T12,,5,workplace\n"
    clean_error(
        run("report", "file", r, csv(tmp_path, "p.csv", wrong_period), "--as", "millerA", *db),
        "'2031-01'",
        "not in the plan",
    )
    other = run("report", "file", r, csv(tmp_path, "farm.csv", FARM), "--as", "millerA", *db)
    clean_error(other, "'millerA' is not a member of 'Farm A'")
    missing = tmp_path / "cols.csv"
    missing.write_text("council,period\nMill A,2027-01\n")
    clean_error(run("report", "file", r, missing, "--as", "millerA", *db), "amount, kind")
    clean_error(run("report", "file", r, tmp_path / "none.csv", "--as", "millerA", *db), "none.csv")
    assert reports_of(lib, r) == []


def test_refusals_name_what_is_wrong(tmp_path: Path) -> None:
    lib, r = commune(str(tmp_path / "plan.db"))
    db = ("--db", str(tmp_path / "plan.db"))
    data("report", "file", r, csv(tmp_path, "mill.csv", MILL), "--as", "millerA", *db)
    first = reports_of(lib, r)[0].id
    clean_error(
        run("report", "revise", first, "--amount", 1, "--reason", " ", "--as", "millerA", *db),
        f"report {first} needs a reason",
    )
    clean_error(
        run("report", "revise", first, "--amount", -1, "--reason", "x", "--as", "millerA", *db),
        "at least 0",
    )
    clean_error(
        run("report", "revise", 999, "--amount", 1, "--reason", "x", "--as", "millerA", *db), "999"
    )
    assert len(reports_of(lib, r, current_only=False)) == 4  # nothing stored
    # another federation sees nothing of this one
    clean_error(run("report", "list", r, "--as", "farmerB", *db), f"no round {r}")
    clean_error(
        run("report", "reconcile", r, "--period", PERIOD, "--as", "farmerB", *db), "no round"
    )
    clean_error(
        run("report", "list", r, "--council", "Nowhere", "--as", "millerA", *db), "'Nowhere'"
    )
    clean_error(
        run("report", "reconcile", r, "--period", "2031-01", "--as", "millerA", *db),
        "'2031-01'",
        "not in the plan",
    )
    clean_error(
        run("report", "reconcile", r, "--period", PERIOD, "--alpha", 2, "--as", "millerA", *db),
        "alpha",
    )
    clean_error(run("alerts", "resolve", 42, "--as", "millerA", *db), "alert", "42")
    clean_error(run("alerts", "escalate", "--now", "soon", *db), "--now", "'soon'")
    clean_error(run("alerts", "list", "--as", "nobody", *db), "'nobody'")
    assert ok("report", "list", r, "--period", "2027-02", "--as", "millerA", *db).stdout.startswith(
        "no reports for 2027-02"
    )


def test_a_closed_pipe_ends_quietly(tmp_path: Path) -> None:
    where = str(tmp_path / "plan.db")
    lib, r = commune(where)
    rows = [
        ReportRow("Farm A", f"2027-{m:02d}", "output", 1.0 + i, p)
        for m in range(1, 13)
        for i, p in enumerate(ECONOMY.products)
    ]
    file_reports(lib, r, rows, actor="farmerA")
    for output in ("--json", "--all"):  # click's echo, and Rich's table
        command = (
            f"{shlex.quote(sys.executable)} -m commonplan report list {r} --as farmerA "
            f"--db {shlex.quote(where)} {output} | true; exit ${{PIPESTATUS[0]}}"
        )
        done = subprocess.run(
            ["bash", "-c", command],
            capture_output=True,
            text=True,
            env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path), "COLUMNS": "250"},
            timeout=120,
            check=False,
        )
        assert done.stderr == "" and done.returncode in (0, 1), (output, done.stderr)


def test_what_nothing_can_check_is_said(tmp_path: Path) -> None:
    lib, r = commune(str(tmp_path / "plan.db"))
    db = ("--db", str(tmp_path / "plan.db"))
    grain = f"Street A,{PERIOD},receipt,A01,,5,receipts\n"  # from outside: nothing checks it
    filed = data(
        "report", "file", r, csv(tmp_path, "a.csv", MILL + grain), "--as", "facilitatorA", *db
    )
    rec = reconcile_round(lib, r, period=PERIOD)
    assert rec.passed and [rec.checks_by_index(i).report for i in rec.untestable] == [
        filed["reports"][-1]
    ]
    text = ok("report", "reconcile", r, "--period", PERIOD, "--as", "millerA", *db, columns=80)
    fits(text.stdout)
    assert text.stdout.startswith(f"{PERIOD}: the reports add up (")
    assert "suspects: none" in text.stdout
    assert (
        f"report {filed['reports'][-1]}: Street A, receipt of A01 (5.00, receipts)" in text.stdout
    )
    farm = next(w for w in rec.workplaces if w.council == "Farm A")
    assert farm.reported is None  # the farm reported nothing: its output is unknown
    assert "│ Farm A  │ A01     │        — │         unknown │" in text.stdout
    assert data("report", "suspects", r, "--period", PERIOD, "--as", "millerA", *db) == []
