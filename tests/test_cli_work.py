"""Work from the terminal: ``hours …`` and ``roster`` through Typer's CliRunner.

The hours ledger of a small commune (tests/fixtures.py): a batch recorded, confirmed, disputed
and reversed, balances and quotas shown as the library computes them; a roster read from YAML
or JSON, solved, and refused or found infeasible with the reason named.
"""

from __future__ import annotations

import functools
import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import Result

import commonplan.work as w
from cli_support import clean_error, run
from commonplan import audit
from commonplan.cli._common import num
from commonplan.cli.roster import read_roster_file
from commonplan.economy.io import demo_economy
from commonplan.federation import add_members, create_federation
from commonplan.plan.optimize import TargetGroup, optimize
from commonplan.store import Database
from commonplan.store.models import Draft
from commonplan.work import balances, compare_plans, entries_of, quotas
from fixtures import ratified_round, small_federation, small_members

PERIOD = "2027-01"
EXAMPLE = Path(__file__).parent.parent / "examples" / "roster.yaml"


def commune(tmp_path: Path) -> tuple[Database, int, tuple[str, str]]:
    where = str(tmp_path / "plan.db")
    db = Database(where)
    fed = create_federation(db, small_federation("A"))
    add_members(db, small_members("A"))
    create_federation(db, small_federation("B"))
    add_members(db, small_members("B"))
    return db, ratified_round(db, fed), ("--db", where)


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


def hours_csv(tmp_path: Path, rows: str, name: str = "hours.csv") -> Path:
    path = tmp_path / name
    path.write_text("member,period,hours,workplace,credit\n" + rows)
    return path


# ---------------------------------------------------------------------- hours


def test_hours_recorded_confirmed_disputed_reversed_and_balanced(tmp_path: Path) -> None:
    lib, r, db = commune(tmp_path)
    rows = f"farmerA,{PERIOD},100,Farm A,\nmillerA,{PERIOD},120,Mill A,\nmillerA,{PERIOD},8,,sick\n"
    batch = data("hours", "record", r, hours_csv(tmp_path, rows), "--as", "facilitatorA", *db)
    farm, mill, sick = batch["entries"]
    assert batch["rows"] == 3
    assert [e.id for e in entries_of(lib, r)] == [farm, mill, sick]

    said = ok("hours", "confirm", farm, "--as", "farmerA", *db).stdout
    assert said.startswith(f"confirmed entry {farm}")
    clean_error(run("hours", "confirm", mill, "--as", "farmerA", *db), f"entry {mill}")
    disputed = data("hours", "dispute", mill, "--reason", "I worked 110", "--as", "millerA", *db)
    assert disputed["disputed"] == mill
    by_id = {e.id: e for e in entries_of(lib, r)}
    assert by_id[farm].status == "confirmed" and by_id[mill].status == "disputed"
    assert by_id[mill].dispute == "I worked 110"

    shown = data("hours", "balance", r, "--as", "facilitatorA", *db)
    library = balances(lib, r, viewer="facilitatorA")
    assert shown == [
        {
            "account": b.account,
            "kind": b.kind,
            "period": b.period,
            "confirmed": b.confirmed,
            "pending": b.pending,
            "disputed": b.disputed,
            "total": b.total,
        }
        for b in library
    ]
    miller = next(b for b in shown if b["account"] == "millerA")
    assert miller["disputed"] == 120 and miller["pending"] == 8
    table = ok("hours", "balance", r, "--period", PERIOD, "--as", "facilitatorA", *db, columns=80)
    fits(table.stdout)
    assert "millerA" in table.stdout and num(128.0) in table.stdout
    place = data("hours", "balance", r, "--workplace", "Farm A", "--as", "facilitatorA", *db)
    assert [(b["account"], b["confirmed"]) for b in place] == [("Farm A", -100.0)]
    # a member sees their own account and their workplace's members', not the mill's
    seen = {b["account"] for b in data("hours", "balance", r, "--as", "farmerA", *db)}
    assert "millerA" not in seen and "farmerA" in seen

    reversed_ = ok("hours", "reverse", mill, "--reason", "wrong hours", "--as", "facilitatorA", *db)
    new = entries_of(lib, r)[-1]
    assert new.reverses == mill and reversed_.stdout.startswith(
        f"reversed entry {mill} by entry {new.id}"
    )
    miller_now = data("hours", "balance", r, "--as", "millerA", *db)
    assert [
        (b["account"], b["disputed"], b["pending"]) for b in miller_now if b["account"] == "millerA"
    ] == [("millerA", 0.0, 8.0)]


def test_hours_refusals_store_nothing(tmp_path: Path) -> None:
    lib, r, db = commune(tmp_path)
    bad = f"farmerA,{PERIOD},100,Farm A,\nnobody,{PERIOD},5,Farm A,\n"
    clean_error(
        run("hours", "record", r, hours_csv(tmp_path, bad), "--as", "facilitatorA", *db), "'nobody'"
    )
    negative = hours_csv(tmp_path, f"farmerA,{PERIOD},-3,Farm A,\n", "n.csv")
    clean_error(run("hours", "record", r, negative, "--as", "facilitatorA", *db), "hours")
    own = f"farmerA,{PERIOD},100,Farm A,\n"
    clean_error(
        run("hours", "record", r, hours_csv(tmp_path, own, "o.csv"), "--as", "farmerA", *db)
    )
    assert entries_of(lib, r) == []
    batch = data(
        "hours", "record", r, hours_csv(tmp_path, own, "p.csv"), "--as", "facilitatorA", *db
    )
    [entry] = batch["entries"]
    clean_error(run("hours", "dispute", entry, "--reason", " ", "--as", "farmerA", *db), "reason")
    clean_error(
        run("hours", "reverse", entry, "--reason", "", "--as", "facilitatorA", *db), "reason"
    )
    clean_error(run("hours", "reverse", 999, "--reason", "x", "--as", "facilitatorA", *db), "999")
    clean_error(run("hours", "balance", r, "--as", "farmerB", *db), f"no round {r}")
    assert [(e.status, e.reversed_by) for e in entries_of(lib, r)] == [("pending", None)]


# ---------------------------------------------------------------------- quotas


@functools.cache
def _plans() -> tuple[dict[str, Any], dict[str, Any]]:
    e = demo_economy()
    _, y = e.demand("domestic_final_demand")
    out = []
    for scale in (1.0, 0.95):
        targets = {p: float(v) * scale for p, v in zip(e.products, y, strict=True) if v > 0}
        res = optimize(e, objective="min_labour", targets=[TargetGroup("private", targets)])
        out.append(audit.plain(res.to_dict()))
    return out[0], out[1]


def _draft(db: Database, round_id: int, stage: str, result: dict[str, Any]) -> int:
    inputs = {"economy": "demo", "economy_sha256": demo_economy().sha256, "title": stage}
    with db.transaction() as s:
        d = Draft(
            round_id=round_id,
            stage=stage,
            inputs=inputs,
            inputs_sha256=audit.digest(inputs),
            result=result,
            result_sha256=audit.digest(result),
            computed_at=datetime.now(UTC),
        )
        s.add(d)
        s.flush()
        return d.id


def test_quota_and_plans_compared(tmp_path: Path) -> None:
    lib, r, db = commune(tmp_path)
    final, alternative = _plans()
    plan, alt = _draft(lib, r, "final", final), _draft(lib, r, "alternative", alternative)
    data(
        "hours",
        "record",
        r,
        hours_csv(tmp_path, f"farmerA,{PERIOD},20,,care\n"),
        "--as",
        "facilitatorA",
        *db,
    )

    mine = quotas(lib, plan, PERIOD).of("farmerA")
    shown = data("hours", "quota", plan, "--period", PERIOD, "--as", "farmerA", *db)
    assert shown["quota"] == pytest.approx(mine.quota) and shown["credits"] == 20.0
    assert shown["free"] == pytest.approx(mine.free) and shown["workplace"] == "Farm A"
    weekly = compare_plans(lib, "farmerA", [plan, alt], period=PERIOD)
    both = data(
        "hours", "quota", plan, "--period", PERIOD, "--compare", alt, "--as", "farmerA", *db
    )
    assert [p["hours_per_week"] for p in both["per_week"]] == pytest.approx(
        [p.hours_per_week for p in weekly]
    )
    assert weekly[0].hours_per_week > weekly[1].hours_per_week  # 5 % less asked of everyone
    text = ok(
        "hours", "quota", plan, "--period", PERIOD, "--compare", str(alt), "--as", "farmerA", *db
    )
    assert f"quota {num(mine.quota)} h, credited 20.00 h" in text.stdout
    assert f"this plan means {weekly[0].hours_per_week:.1f} h a week for you" in text.stdout
    assert f"alternative plan {alt} 'alternative' {weekly[1].hours_per_week:.1f} h" in text.stdout

    clean_error(
        run("hours", "quota", plan, "--period", PERIOD, "--as", "farmerB", *db), f"no plan {plan}"
    )
    clean_error(
        run("hours", "quota", plan, "--period", "2031-01", "--as", "farmerA", *db), "'2031-01'"
    )
    clean_error(
        run("hours", "quota", plan, "--period", PERIOD, "--compare", "x", "--as", "farmerA", *db),
        "--compare",
        "'x'",
    )
    clean_error(
        run("hours", "quota", plan, "--period", PERIOD, "--as", "neighbourA", *db), "no workplace"
    )


# ---------------------------------------------------------------------- rosters


def test_the_example_roster(tmp_path: Path) -> None:
    inputs = read_roster_file(EXAMPLE)
    expected = w.roster(
        inputs["shifts"],
        inputs["members"],
        roles=inputs["roles"],
        rules=inputs["rules"],
        requests=inputs["requests"],
        time_limit=10,
    )
    assert expected.status == "optimal"
    shown = data("roster", EXAMPLE, "--time-limit", 10)
    assert shown["status"] == "optimal" and shown["success"] is True
    assert shown["gini"] == pytest.approx(expected.gini)
    assert shown["gini_lower_bound"] == pytest.approx(expected.gini_lower_bound)
    hours = {h["member"]: (h["hours"], h["undesirable_hours"]) for h in shown["hours"]}
    assert hours == {h.member: (h.hours, h.undesirable_hours) for h in expected.hours}
    assignments = [w.Assignment(**a) for a in shown["assignments"]]
    assert (
        w.check_roster(
            assignments,
            inputs["shifts"],
            inputs["members"],
            roles=inputs["roles"],
            rules=inputs["rules"],
        )
        == ()
    )

    text = ok("roster", EXAMPLE, "--time-limit", 10, columns=80).stdout
    fits(text)
    assert text.startswith("roster: optimal")
    assert f"Gini of undesirable hours: {expected.gini:.3f}" in text
    assert f"below {expected.gini_lower_bound:.3f}" in text
    for a in expected.assignments[:3]:
        assert a.shift in text and a.member in text

    # the same roster from JSON, with ISO date-times for the shifts
    raw = yaml.safe_load(EXAMPLE.read_text())
    monday = datetime(2027, 1, 4)
    for s in raw["shifts"]:
        s["start"] = (monday + timedelta(hours=s["start"])).isoformat()
        s["end"] = (monday + timedelta(hours=s["end"])).isoformat()
    as_json = tmp_path / "roster.json"
    as_json.write_text(json.dumps(raw))
    again = data("roster", as_json, "--time-limit", 10)
    assert again["gini"] == pytest.approx(expected.gini)


def test_an_infeasible_roster_exits_2_with_its_shortfalls(tmp_path: Path) -> None:
    path = tmp_path / "short.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "roles": [{"name": "nurse", "skills": ["care"]}],
                "shifts": [
                    {"id": "mon-night", "start": 22, "end": 30, "needs": {"nurse": 2}},
                ],
                "members": [{"name": "ada", "skills": ["care"]}, {"name": "bo"}],
            }
        )
    )
    result = run("roster", path, "--time-limit", 5, columns=80)
    assert result.exit_code == 2, result.output
    fits(result.stdout)
    assert "infeasible" in result.stdout and "shortfalls" in result.stdout
    assert "mon-night, nurse (skills care): short by 1" in result.stdout
    shown = run("roster", path, "--time-limit", 5, "--json")
    assert shown.exit_code == 2
    out = json.loads(shown.stdout)
    assert out["status"] == "infeasible" and out["success"] is False
    assert [(f["shift"], f["role"], f["short_by"]) for f in out["shortfalls"]] == [
        ("mon-night", "nurse", 1)
    ]


@pytest.mark.parametrize(
    ("content", "names"),
    [
        ({"shifts": [], "members": [], "roles": []}, ["needs shifts"]),
        ({"shift": []}, ["unknown section", "shift"]),
        (
            {
                "roles": [{"name": "nurse", "skils": ["care"]}],
                "shifts": [{"id": "a", "start": 0, "end": 8, "needs": {"nurse": 1}}],
                "members": [{"name": "ada"}],
            },
            ["roles[0]", "skils"],
        ),
        (
            {
                "roles": [{"name": "nurse"}],
                "shifts": [{"id": "a", "start": "soon", "end": 8, "needs": {"nurse": 1}}],
                "members": [{"name": "ada"}],
            },
            ["shifts[0].start", "'soon'"],
        ),
        (
            {
                "roles": [{"name": "nurse"}],
                "shifts": [{"id": "a", "start": 0, "end": 8, "needs": {"cook": 1}}],
                "members": [{"name": "ada"}],
            },
            ["cook"],
        ),
        (
            {
                "roles": [{"name": "nurse"}],
                "shifts": [{"id": "a", "start": 0, "end": 8}],
                "members": [{"name": "ada"}],
            },
            ["shifts[0]", "missing needs"],
        ),
    ],
)
def test_a_bad_roster_file_is_one_line(tmp_path: Path, content: Any, names: list[str]) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(content))
    clean_error(run("roster", path), *names)


def test_a_roster_file_that_does_not_parse(tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    clean_error(run("roster", broken), "broken.json", "not valid JSON")
    yml = tmp_path / "broken.yaml"
    yml.write_text("shifts: [a, b\n")
    clean_error(run("roster", yml), "broken.yaml", "not valid YAML")
    clean_error(run("roster", tmp_path / "missing.yaml"), "missing.yaml")


def test_the_new_commands_help_loads_no_heavy_library() -> None:
    probe = """
import json, sys
from commonplan.cli import app
for args in (["report", "reconcile", "--help"], ["alerts", "list", "--help"],
             ["hours", "quota", "--help"], ["roster", "--help"]):
    try:
        app(args, prog_name="commonplan")
    except SystemExit as exc:
        assert exc.code == 0, exc.code
heavy = {"numpy", "scipy", "numba", "pandas", "sqlalchemy", "ortools", "yaml", "alembic"}
print(json.dumps(sorted({m.split(".")[0] for m in sys.modules} & heavy)))
"""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, env=env, check=True
    )
    assert json.loads(done.stdout.splitlines()[-1]) == []
