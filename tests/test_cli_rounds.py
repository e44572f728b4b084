"""A planning round run from the terminal: every round command through Typer's CliRunner.

A federation of four councils and twelve members on the Swedish 2016 table (``economy: demo``),
described in YAML and CSV written here, goes from ``federation create`` to ``board recount`` and
``audit verify``; errors end with one line naming what is at fault and exit status 1.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import Result

from cli_support import FEDERATION, clean_error, run
from commonplan import demo_economy, embodied

SWEDEN = demo_economy()
MEMBERS = 12
FACILITATOR = "ada"


def handle(i: int) -> str:
    return FACILITATOR if i == 0 else f"member{i:02d}"


@pytest.fixture
def db_url(database_url: str, tmp_path: Path) -> str:
    """A fresh database (SQLite, and PostgreSQL where the suite has one); SQLite as a file path,
    the way a person types it."""
    return str(tmp_path / "cli.db") if database_url.startswith("sqlite") else database_url


@pytest.fixture
def files(tmp_path: Path) -> Iterator[tuple[Path, Path]]:
    described = tmp_path / "federation.yaml"
    described.write_text(yaml.safe_dump(FEDERATION))
    people = tmp_path / "members.csv"
    lines = ["handle,name,workers_council,consumers_council,role"]
    for i in range(MEMBERS):
        works = ("Bakery", "Clinic works")[i % 2]
        hood = ("East hood", "West hood")[i // 2 % 2]
        lines.append(f"{handle(i)},Member {i},{works},{hood},{'facilitator' if i == 0 else ''}")
    people.write_text("\n".join(lines) + "\n")
    yield described, people


def ok(*args: str | Path | int) -> Result:
    result = run(*args)
    assert result.exit_code == 0, (args, result.output)
    return result


def data(*args: str | Path | int) -> Any:
    return json.loads(ok(*args, "--json").stdout)


def propose(
    round_id: int, who: str, council: str, kind: str, title: str, *extra: str, db: str
) -> int:
    out = data(
        "proposal", "file", round_id, "--as", who, "--council", council, "--kind", kind,
        "--title", title, *extra, "--db", db,
    )  # fmt: skip
    return int(out["proposal"])


def test_a_round_from_the_terminal(db_url: str, files: tuple[Path, Path], tmp_path: Path) -> None:
    described, people = files
    db = ("--db", db_url)
    created = data("federation", "create", described, *db)
    assert created["name"] == "Terminal commune"
    assert data("members", "add", people, *db) == {"added": MEMBERS}
    r = data("round", "open", created["federation"], "--as", FACILITATOR, *db)["round"]

    amounts = ("--amount", "C10T12=2", "--amount", "L68B=3")
    assert propose(r, FACILITATOR, "East hood", "target", "bread", *amounts, db=db_url) > 0
    collective = {
        title: propose(r, who, hood, "collective", title, "--amount", amount, db=db_url)
        for title, who, hood, amount in (
            ("canteen", FACILITATOR, "East hood", "I=1"),
            ("clinic", handle(2), "West hood", "Q86=1.5"),
            ("nursery", FACILITATOR, "East hood", "P85=1"),
            ("sports hall", handle(2), "West hood", "R93=0.6"),
        )
    }
    propose(r, handle(2), "Bakery", "hours", "our hours", "--hours", "1500", db=db_url)

    drafted = ok("round", "draft", r, "--as", FACILITATOR, *db).stdout
    assert re.search(r"round 1 draft plan \d+: optimal", drafted), drafted
    assert "private targets met:" in drafted and "hours offered: 18,600" in drafted
    hours = {"canteen": embodied(SWEDEN)[SWEDEN.product_index("I")]}
    hours["clinic"] = 1.5 * embodied(SWEDEN)[SWEDEN.product_index("Q86")]
    for title, pid in collective.items():  # each collective proposal with its labour hours
        shown = re.search(rf"│\s+{pid} │ \w+ hood\s+│ {title}\s+│\s+([\d,]+) │", drafted)
        assert shown, (title, drafted)
        if title in hours:
            assert int(shown[1].replace(",", "")) == round(hours[title])
    view = data("round", "view", r, "--as", handle(3), *db)
    assert view["member"] == handle(3) and view["status"] == "optimal"
    assert view["hours_proposed"] == 1600  # Clinic works proposed no hours: the default
    assert "hours of work per year" in ok("round", "view", r, "--as", handle(1), *db).stdout
    shares = view["per_person"]  # what each person of their neighbourhood gets, against today
    assert shares["unit"] == "SEK" and shares["population"] == 9_995_153
    fd = dict(zip(SWEDEN.products, SWEDEN.final_demand["domestic_final_demand"], strict=True))
    for row in shares["rows"]:
        assert row["today"] == pytest.approx(fd[row["product"]] / 9_995_153 * 1e6)
        assert row["floor"] <= row["planned"] <= row["asked"] * (1 + 1e-12)
    table = run("round", "view", r, "--as", handle(3), *db, columns=80).stdout
    assert f"what each person of {shares['council']}" in table
    assert max(map(len, table.splitlines())) <= 80

    greener = ("--title", "greener", "--cap", "co2=90%")
    alternative = data("round", "alternative", r, "--as", FACILITATOR, *greener, *db)
    assert alternative["stage"] == "alternative" and alternative["status"] == "optimal"

    questions = data("vote", "open", r, "--as", FACILITATOR, *db)
    budget, ratify, ranked = questions["budget"], questions["ratify"], questions["ranked"]
    rankings = ["draft", str(alternative["plan"])]
    ids = [str(i) for i in collective.values()]
    receipts: dict[str, str] = {}
    # all or none: a ballot with one bad choice casts nothing
    refused = run("vote", "ballot", r, "--as", handle(0), "--yes", "--rank", "draft,99", *db)
    clean_error(refused, "99")
    missing = run("vote", "ballot", r, "--as", handle(0), "--consent", *db)
    clean_error(missing, "no open consent question")
    for i in range(MEMBERS - 1):
        who = handle(i)
        approve = ("--approve", ",".join(ids[: 1 + i % 3]))
        vote = "--no" if i % 5 == 4 else "--yes"
        ranking = ",".join(rankings[::-1] if i % 3 == 0 else rankings)
        if i % 2:  # box by box
            data("vote", "cast", budget, "--as", who, *approve, *db)
            receipts[who] = data("vote", "cast", ratify, "--as", who, vote, *db)["receipt"]
            data("vote", "cast", ranked, "--as", who, "--rank", ranking, *db)
        else:  # every box at once, one receipt
            cast = data("vote", "ballot", r, "--as", who, *approve, vote, "--rank", ranking, *db)
            assert cast["questions"] == sorted([budget, ratify, ranked])
            receipts[who] = cast["receipt"]
    last = handle(MEMBERS - 1)
    printed = ok("vote", "cast", budget, "--as", last, "--approve", "", *db).stdout
    receipt = re.search(r"your receipt: (\S+)", printed)
    assert receipt, printed
    ok("vote", "cast", ratify, "--as", last, "--abstain", "--receipt", "MY-OWN-CODE", *db)
    ok("vote", "cast", ranked, "--as", last, "--rank", "draft", *db)
    twice = run("vote", "cast", ratify, "--as", last, "--yes", *db)
    clean_error(twice, repr(last), "voted", f"question {ratify}")
    assert "abstain" in clean_error(run("vote", "cast", ratify, "--as", last, *db), "--yes")

    closed = ok("vote", "close", r, "--as", FACILITATOR, *db).stdout
    assert f"round {r}: ratified" in closed, closed
    assert "9 yes of 11 yes/no votes" in closed  # members 4 and 9 said no, 11 abstained
    plan = re.search(r"round 1 final plan (\d+): optimal", closed)
    assert plan, closed

    board = tmp_path / "board"
    exported = data("board", "export", r, board, *db)["files"]
    assert sorted(Path(f).name for f in exported) == sorted(
        [f"question-{q}.json" for q in questions.values()]
        + [f"question-{budget}.pb", "audit-log.jsonl"]
    )
    counted = ok("board", "recount", board)
    assert "the recount matches the recorded results and the log" in counted.stdout
    report = data("board", "recount", board)
    assert report["ok"] and {q["question"] for q in report["questions"]} == {*questions.values()}
    assert [q["ballots"] for q in report["questions"]] == [MEMBERS] * 3
    assert report["questions"][2]["recounted"]["winner"] == "draft"
    found = data("board", "find", board, receipts[handle(9)])["ballots"]  # box by box
    assert found == [
        {
            "question": ratify,
            "round": r,
            "kind": "ratify",
            "receipt": receipts[handle(9)],
            "choice": {"vote": "no"},
        }
    ]
    at_once = data("board", "find", board, receipts[handle(4)])["ballots"]  # one receipt
    assert {(b["kind"], json.dumps(b["choice"])) for b in at_once} == {
        ("budget", json.dumps({"approve": sorted(ids[:2])})),
        ("ratify", json.dumps({"vote": "no"})),
        ("ranked", json.dumps({"ranking": rankings})),
    }
    assert '{"vote": "abstain"}' in ok("board", "find", board, "MY-OWN-CODE").stdout
    assert '{"approve": []}' in ok("board", "find", board, receipt[1]).stdout
    clean_error(run("board", "find", board, "NO-SUCH-CODE"), "NO-SUCH-CODE")

    head = json.loads((board / f"question-{ratify}.json").read_text())["audit_head"]["sha256"]
    verified = ok("audit", "verify", "--head", head, *db).stdout
    assert "verifies" in verified
    assert data("audit", "verify", *db)["problems"] == []
    wrong = run("audit", "verify", "--head", "ab" * 32, *db)
    assert wrong.exit_code == 1 and "is not in this log" in wrong.stdout
    assert "recomputed, the same" in ok("plan", "recompute", plan[1], *db).stdout
    clean_error(run("plan", "recompute", 999, *db), "plan", "999")

    # a forged ballot on the board: the recount says so and exits 1
    path = board / f"question-{ratify}.json"
    forged = json.loads(path.read_text())
    forged["ballots"] = [[rc, {"vote": "yes"}] for rc, _ in forged["ballots"]]
    path.write_text(json.dumps(forged))
    differs = run("board", "recount", board)
    assert differs.exit_code == 1
    assert "mismatch:" in differs.stdout and f"question-{ratify}.json" in differs.stdout


@pytest.fixture
def opened(db_url: str, files: tuple[Path, Path]) -> int:
    described, people = files
    fed = data("federation", "create", described, "--db", db_url)["federation"]
    ok("members", "add", people, "--db", db_url)
    return int(data("round", "open", fed, "--as", FACILITATOR, "--db", db_url)["round"])


def test_errors_name_what_is_at_fault(opened: int, db_url: str, tmp_path: Path) -> None:
    r, db = opened, ("--db", db_url)
    filing = ("proposal", "file", r, "--kind", "collective", "--title", "pool")
    clean_error(
        run(*filing, "--as", FACILITATOR, "--council", "Nowhere hood", "--amount", "R93=1", *db),
        "'Nowhere hood'",
    )
    clean_error(
        run(*filing, "--as", handle(2), "--council", "East hood", "--amount", "R93=1", *db),
        repr(handle(2)),
        "'East hood'",
    )
    clean_error(
        run(*filing, "--as", FACILITATOR, "--council", "East hood", "--amount", "XYZ=1", *db),
        "'XYZ'",
    )
    clean_error(
        run(*filing, "--as", FACILITATOR, "--council", "East hood", "--amount", "R93", *db),
        "--amount 'R93'",
    )
    clean_error(run("round", "draft", r, "--as", "nobody", *db), "'nobody'")
    clean_error(run("round", "draft", r, "--as", handle(3), *db), repr(handle(3)), "facilitator")
    clean_error(run("vote", "open", r, "--as", FACILITATOR, *db), "'proposals' phase")
    clean_error(run("board", "export", r, tmp_path / "b", *db), "no ballot boxes")
    clean_error(run("board", "export", 99, tmp_path / "b", *db), "round", "99")
    clean_error(run("board", "recount", tmp_path / "missing"), "missing")
    clean_error(run("federation", "create", tmp_path / "none.yaml", *db), "none.yaml")
    clean_error(run("round", "open", r, "--as", FACILITATOR, "--db", str(tmp_path)), "database")
    missing_as = run("round", "open", 1, *db)
    assert missing_as.exit_code != 0 and "--as" in missing_as.output


def test_rounds_are_opened_for_the_root_federation(
    db_url: str, files: tuple[Path, Path], tmp_path: Path
) -> None:
    """A round for a federation that is part of a larger one: one line naming both, exit 1."""
    nested = tmp_path / "nested.yaml"
    nested.write_text(yaml.safe_dump({**FEDERATION, "children": [{"name": "Terminal ward"}]}))
    db = ("--db", db_url)
    root = int(data("federation", "create", nested, *db)["federation"])
    ok("members", "add", files[1], *db)
    clean_error(
        run("round", "open", root + 1, "--as", FACILITATOR, *db),
        "'Terminal ward'",
        f"'Terminal commune' (id {root})",
    )
    assert data("round", "open", root, "--as", FACILITATOR, *db)["round"]


def test_delegates_from_the_terminal(opened: int, db_url: str) -> None:
    """The council's election and recall recorded; one running term at a time; audit-logged."""
    db = ("--db", db_url)
    logged = data("audit", "verify", *db)["entries"]
    assert data("delegate", "list", "Bakery", *db) == []
    elected = data("delegate", "elect", "Bakery", handle(2), "--term-days", 30, "--as", "ada", *db)
    terms = data("delegate", "list", "Bakery", *db)
    assert [(t["id"], t["handle"], t["serving"]) for t in terms] == [
        (elected["delegate"], handle(2), True)
    ]
    start, end = (datetime.fromisoformat(terms[0][k]) for k in ("term_start", "term_end"))
    assert end - start == timedelta(days=30)
    assert "serving" in ok("delegate", "list", "Bakery", *db).stdout
    clean_error(run("delegate", "elect", "Bakery", handle(4), *db), "'Bakery'", "recall first")
    clean_error(run("delegate", "elect", "Bakery", handle(1), *db), repr(handle(1)), "'Bakery'")
    clean_error(run("delegate", "elect", "Nowhere", handle(2), *db), "'Nowhere'")
    clean_error(run("delegate", "elect", "Bakery", "nobody", *db), "'nobody'")
    ok("delegate", "recall", elected["delegate"], "--as", "ada", *db)
    clean_error(run("delegate", "recall", elected["delegate"], *db), "recalled already")
    assert "recalled" in ok("delegate", "list", "Bakery", *db).stdout
    again = data("delegate", "elect", "Bakery", handle(4), *db)
    assert [t["handle"] for t in data("delegate", "list", "Bakery", *db)] == [handle(4), handle(2)]
    assert again["delegate"] != elected["delegate"]
    log = data("audit", "verify", *db)
    assert log["ok"] and log["entries"] == logged + 3  # elected, recalled, elected


COMMANDS = [
    ("federation", "create"),
    ("members", "add"),
    ("round", "open"),
    ("round", "draft"),
    ("round", "alternative"),
    ("round", "view"),
    ("proposal", "file"),
    ("proposal", "withdraw"),
    ("vote", "open"),
    ("vote", "cast"),
    ("vote", "close"),
    ("board", "export"),
    ("board", "recount"),
    ("board", "find"),
    ("audit", "verify"),
    ("plan", "recompute"),
    ("delegate", "list"),
    ("delegate", "elect"),
    ("delegate", "recall"),
]


@pytest.mark.parametrize(("group", "command"), COMMANDS)
def test_help_shows_an_example(group: str, command: str) -> None:
    result = ok(group, command, "--help")
    assert re.search(rf"Example:\s+commonplan {group} {command}\b", result.stdout)


def test_consent_and_deadlines_from_the_terminal(files: tuple[Path, Path], tmp_path: Path) -> None:
    described, people = files
    consent = {
        **FEDERATION,
        "rounds": {"collective_share": 0.2, "ratification": "consent"},
    }
    described.write_text(yaml.safe_dump(consent))
    db = ("--db", str(tmp_path / "consent.db"))
    fed = data("federation", "create", described, *db)["federation"]
    ok("members", "add", people, *db)
    clean_error(
        run("round", "open", fed, "--as", FACILITATOR, "--deadline", "vote", *db), "PHASE=WHEN"
    )
    r = data("round", "open", fed, "--as", FACILITATOR, "--deadline", "vote=2999-01-01T00:00", *db)
    r = int(r["round"])
    propose(r, FACILITATOR, "East hood", "target", "bread", "--amount", "C10T12=5", db=db[1])
    ok("round", "draft", r, "--as", FACILITATOR, *db)
    boxes = data("vote", "open", r, "--as", FACILITATOR, *db)
    assert "ratify" not in boxes
    ok("vote", "cast", boxes["consent"], "--as", handle(1), "--object", "too little bread", *db)
    for i in range(2, MEMBERS):
        ok("vote", "cast", boxes["consent"], "--as", handle(i), "--consent", *db)
    clean_error(
        run("vote", "cast", boxes["consent"], "--as", FACILITATOR, "--consent", "--yes", *db),
        "--consent",
    )
    out = data("vote", "close", r, "--as", FACILITATOR, *db)
    assert out["ratified"] is False
    assert out["results"]["consent"]["sustained"] == ["too little bread"]
