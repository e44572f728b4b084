"""The published ballot board of a round, its independent recount, and finding one's ballot.

After a round's vote closes, :func:`export_board` writes, for every ballot box (question) of the
round, the files anyone may download::

    DIR/question-<id>.json   {"question", "round", "kind", "options", "ballots": [[receipt,
                              choice], …] sorted by receipt, "box_sha256", "result",
                              "eligible", "audit_head": {"seq", "sha256"}, "exported_at"}
    DIR/question-<id>.pb     budget questions only: the PaBuLib approval file (projects with
                              their labour-hour costs, the budget, one vote per ballot with the
                              receipt as voter id, percent-encoded where it holds characters
                              PaBuLib ids cannot) that any PaBuLib tool can count
    DIR/audit-log.jsonl      the audit log entries the results depend on, one JSON object a
                              line ({"seq", "at", "actor", "action", "subject", "payload",
                              "prev_sha256", "sha256"}): from the first box's closing to the
                              entry that closed the round, whose hash is ``audit_head`` — the
                              head published when the vote closed

Nothing in the board identifies a voter: a ballot is its receipt — a random code only its voter
holds — and its choice; who took part is not published.  Results stay hidden while any box of the
round is open, so the board is refused until the round's vote has closed.

:func:`recount` reads only those files — no database — checks each box's hash
(:func:`commonplan.audit.box_digest`), recounts each question through the one counting path,
:func:`commonplan.voting.count` (budget questions from the ``.pb`` file, read back with
:func:`commonplan.voting.pabulib.read_pb`), and lists every difference from the recorded
results.  It also recomputes the hash chain of the log entries on the board and matches each box
to its "ballot box closed" entry (box hash, result hash, options hash, ballot and eligible
counts) and every result to the round's outcome entry.  Given the head published when the vote
closed (``recount(DIR, head=H)``, ``commonplan board recount DIR --head H``), it proves the board
against it: a forger who flips ballots and recomputes the box hash and the result must also
rewrite the log entries, and then the chain no longer ends at H.  ``commonplan audit verify
--head H`` checks the same head against the live database.

:func:`find_ballot` shows a voter the ballot filed under their receipt, from a board or from the
database once the question has closed.

One concept — the ballot board: written, recounted and searched — so one module, however long.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from commonplan import audit
from commonplan.errors import CommonplanError, IntegrityError, NotFoundError, PhaseError, said
from commonplan.progress import OnProgress, Steps
from commonplan.rounds.ballots import receipt_forms
from commonplan.rounds.plans import PlanSummary, plan_summary
from commonplan.store import Database, get
from commonplan.store.models import AuditEntry, Ballot, Question, Round
from commonplan.voting import choices as voting

__all__ = [
    "FoundBallot",
    "PlanSummary",
    "QuestionRecount",
    "RecountReport",
    "export_board",
    "find_ballot",
    "plan_summary",
    "recount",
]
"""(:func:`plan_summary` lives in :mod:`commonplan.rounds.plans`; it is named here too, where
callers have found it.)"""

RTOL = 1e-9
"""Relative tolerance of numbers compared between a recount and a recorded result."""


# ---------------------------------------------------------------------- export


def export_board(db: Database, round_id: int, directory: str | Path) -> list[Path]:
    """Write the round's closed ballot boxes to ``directory``; returns the files written.

    Refused with :class:`PhaseError` while any question of the round is open (results are hidden
    until close) or when the round has no ballot boxes yet.
    """
    out = Path(directory)
    with db.transaction() as s:
        r = get(s, Round, round_id, "round")
        questions = list(
            s.execute(select(Question).where(Question.round_id == r.id).order_by(Question.id))
            .scalars()
            .all()
        )
        if not questions:
            raise PhaseError(
                said("round {round} has no ballot boxes yet; open the vote first", round=r.id)
            )
        still_open = [q.id for q in questions if q.status != "closed"]
        if still_open:
            raise PhaseError(
                said(
                    "question {question} of round {round} is still open; the board "
                    "is published after "
                    "the vote closes",
                    question=still_open[0],
                    round=r.id,
                )
            )
        log = _log_of(s, r, questions)
        at_close = {"seq": log[-1]["seq"], "sha256": log[-1]["sha256"]}
        closings = {e["subject"]: e["payload"] for e in log if e["action"] == "ballot box closed"}
        boards = []
        for q in questions:
            ballots = sorted(
                [receipt, choice]
                for receipt, choice in s.execute(
                    select(Ballot.receipt, Ballot.choice).where(Ballot.question_id == q.id)
                ).all()
            )
            closing = closings.get(f"question {q.id}") or {}
            boards.append(
                {
                    "question": q.id,
                    "round": r.id,
                    "kind": q.kind,
                    "options": q.options,
                    "ballots": ballots,
                    "box_sha256": q.box_sha256,
                    "result": q.result,
                    "eligible": closing.get("eligible"),
                    "audit_head": at_close,
                    "exported_at": datetime.now(UTC).isoformat(),
                }
            )
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for b in boards:
        path = out / f"question-{b['question']}.json"
        _write_text(path, json.dumps(audit.plain(b), indent=1, ensure_ascii=False) + "\n")
        written.append(path)
        if b["kind"] == "budget":
            path = out / f"question-{b['question']}.pb"
            _write_text(path, _pb_text(b))
            written.append(path)
    path = out / LOG
    _write_text(path, "".join(json.dumps(e, ensure_ascii=False) + "\n" for e in log))
    written.append(path)
    return written


LOG = "audit-log.jsonl"
"""The board's file of the log entries its results depend on."""


def _log_of(s: Session, r: Round, questions: Sequence[Question]) -> list[dict[str, Any]]:
    """The entries round ``r``'s results depend on, as plain records: from the first closing of
    one of its ``questions`` to the entry that closed the round (one transaction wrote them, so
    nothing else is between)."""
    head = audit.round_head(s, r.id)
    subjects = [f"question {q.id}" for q in questions]
    start = None
    if head is not None:
        start = s.execute(
            select(func.min(AuditEntry.seq)).where(
                AuditEntry.action == "ballot box closed",
                AuditEntry.subject.in_(subjects),
                AuditEntry.seq <= head.seq,
            )
        ).scalar()
    if head is None or start is None:
        raise IntegrityError(
            said(
                "round {round} (id {round_id}) has closed ballot boxes but the audit log does "
                "not record its closing; commonplan audit verify names what changed",
                round=r.number,
                round_id=r.id,
            )
        )
    entries = s.execute(
        select(AuditEntry)
        .where(AuditEntry.seq >= start, AuditEntry.seq <= head.seq)
        .order_by(AuditEntry.seq)
    ).scalars()
    return [audit.entry_record(e) for e in entries]


def _pb_text(b: Mapping[str, Any]) -> str:
    from commonplan.voting import pabulib

    options = b["options"]
    return pabulib.pb_text(
        projects=[
            {"project_id": p, "cost": c, "name": t}
            for p, c, t in zip(
                options["projects"], options["costs"], options["titles"], strict=True
            )
        ],
        budget=options["budget"],
        votes=[
            {"voter_id": receipt, "vote": choice["approve"]} for receipt, choice in b["ballots"]
        ],
        meta={
            "description": f"commonplan round {b['round']}, question {b['question']}: budget "
            "for collective proposals, costed in labour hours",
            "unit": f"question {b['question']}",
            "instance": f"round {b['round']}",
            "rule": _rule_name(options),
            "currency": "labour hours",
        },
    )


def _rule_name(options: Mapping[str, Any]) -> str:
    """How the question was counted, for PaBuLib's META ``rule``: equal shares, with its
    completion where it had one ("equalshares/add1/greedy": one hour per voter per step, then
    greedy by votes)."""
    name = "equalshares"
    if options.get("increment") is not None:
        name += f"/add{float(options['increment']):g}"
    return name + ("/greedy" if options.get("fill") else "")


def _voter_id(receipt: str) -> str:
    """The receipt as a PaBuLib voter id: percent-encoded where it holds characters a PaBuLib id
    cannot carry (``;``, ``,``, quotes, spaces, line breaks …); a generated receipt is unchanged."""
    text = quote(receipt, safe="")
    if text.lower() == "none":  # PaBuLib reads the word None as "no value"
        text = "".join(f"%{byte:02X}" for byte in receipt.encode())
    return text


def _write_text(path: Path, text: str) -> None:
    """Write ``path`` whole or not at all (a temporary file renamed over it)."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


# ---------------------------------------------------------------------- recount


@dataclass(frozen=True)
class QuestionRecount:
    """The recount of one question: its box hash and its result against the recorded ones."""

    question: int
    kind: str
    ballots: int
    box_ok: bool
    result_ok: bool
    recorded: dict[str, Any] | None
    recounted: dict[str, Any] | None
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass(frozen=True)
class RecountReport:
    """What :func:`recount` found: ``ok`` when nothing differs; ``problems`` lists what does.
    ``proven_head``: the published head the board was proven against (``None`` without one, or
    when it does not prove)."""

    directory: str
    audit_head: str | None
    questions: tuple[QuestionRecount, ...]
    problems: tuple[str, ...]
    proven_head: str | None = None

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = audit.plain(asdict(self))
        out["ok"] = self.ok
        for q, d in zip(self.questions, out["questions"], strict=True):
            d["ok"] = q.ok
        return out


def recount(
    directory: str | Path, *, head: str | None = None, on_progress: OnProgress | None = None
) -> RecountReport:
    """Recount every question of an exported board from its files alone; list the mismatches.

    For each ``question-<id>.json``: every ballot must be a valid ballot of the question and
    receipts unique; the hash of the ballots must equal the recorded ``box_sha256``; the count
    through :func:`commonplan.voting.count` — for a budget question from the PaBuLib file, whose
    projects, costs, budget and votes must also agree with the JSON — must equal the recorded
    result (numbers to a relative 1e-9).  The board's log entries must chain, and pin each box
    and result (see the module's docstring); ``head``: the head published when the vote closed,
    at which that chain must end.  ``on_progress(fraction, step)`` is told how far it has got,
    box by box (see :mod:`commonplan.progress`).
    """
    root = Path(directory)
    if not root.is_dir():
        raise NotFoundError(said("no board directory {directory!r}", directory=str(root)))
    files = sorted(root.glob("question-*.json"), key=_question_number)
    if not files:
        raise NotFoundError(
            said(
                "{directory!r} holds no question-<id>.json: not an exported board",
                directory=str(root),
            )
        )
    steps = Steps(on_progress, [("recounting the boxes", len(files)), ("checking the log", 1.0)])
    steps.begin("recounting the boxes")
    questions = []
    for k, path in enumerate(files, start=1):
        questions.append(_recount_one(path))
        steps.advance(k / len(files))
    steps.begin("checking the log")
    heads = {q_head for q_head in (_head_of(path) for path in files) if q_head}
    problems = [p for q in questions for p in q.problems]
    if len(heads) > 1:
        problems.append(f"the files name {len(heads)} different audit heads: not one export")
    problems += _against_log(root, files, head)
    steps.finish()
    return RecountReport(
        directory=str(root),
        audit_head=next(iter(heads)) if len(heads) == 1 else None,
        questions=tuple(questions),
        problems=tuple(problems),
        proven_head=head if head is not None and not problems else None,
    )


def _against_log(root: Path, files: Sequence[Path], head: str | None) -> list[str]:
    """What the board's log entries contradict: their chain, the published ``head`` it must end
    at, and each box and result against the entries that closed them."""
    try:
        text = (root / LOG).read_text(encoding="utf-8")
        log = [json.loads(line) for line in text.splitlines() if line.strip()]
        problems = audit.chain_problems(log, str(log[0]["prev_sha256"])) if log else []
        last = log[-1] if log else None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        return [
            f"{LOG}: missing or not a log ({type(exc).__name__}: {exc}); nothing ties the "
            "board to the audit log"
        ]
    if last is None:
        return [f"{LOG} is empty; nothing ties the board to the audit log"]
    problems = [f"{LOG}: {p}" for p in problems]
    if head is not None and head != last["sha256"]:
        problems.append(
            f"{LOG} does not lead to the published head {head[:12]}… (it ends at entry "
            f"{last['seq']}, {str(last['sha256'])[:12]}…): the board is not the record that "
            "head pins"
        )
    if last["action"] not in audit.CLOSED_ROUND:
        problems.append(f"{LOG}: its last entry ({last['seq']}) does not close a round")
    outcome = last.get("payload") or {}
    closings: dict[str, dict[str, Any]] = {}
    for e in log:
        if e["action"] == "ballot box closed":
            if e["subject"] in closings:
                problems.append(f"{LOG}: {e['subject']} is closed twice (entry {e['seq']})")
            closings.setdefault(e["subject"], e)
    for path in files:
        try:
            b = json.loads(path.read_text(encoding="utf-8"))
            problems += _box_against_log(path.name, b, closings, last, outcome)
        except (OSError, ValueError, KeyError, TypeError):
            continue  # not a board file: its recount says so
    problems += [
        f"{LOG}: {subject} closed with the round (entry {e['seq']}) but is not on the board"
        for subject, e in closings.items()
    ]
    return problems


def _box_against_log(
    name: str,
    b: Mapping[str, Any],
    closings: dict[str, dict[str, Any]],
    last: Mapping[str, Any],
    outcome: Mapping[str, Any],
) -> list[str]:
    """One board file against the entry that closed its box (taken out of ``closings``) and the
    round's outcome."""
    closing = closings.pop(f"question {b['question']}", None)
    if closing is None:
        return [f"{name}: the closing of question {b['question']} is not in {LOG}"]
    p, seq = closing["payload"], closing["seq"]
    pinned = (
        ("box_sha256", b["box_sha256"], p.get("box_sha256")),
        ("result", audit.digest(b["result"]), p.get("result_sha256")),
        ("options", audit.digest(b["options"]), p.get("options_sha256")),
        ("eligible", b["eligible"], p.get("eligible")),
        ("number of ballots", len(b["ballots"]), p.get("ballots")),
        ("kind", b["kind"], p.get("kind")),
        ("round", b["round"], p.get("round")),
    )
    problems = [
        f"{name}: its {what} is not the one the log pins (entry {seq})"
        for what, got, logged in pinned
        if got != logged
    ]
    recorded = (outcome.get("results") or {}).get(b["kind"])
    if last["subject"] != f"round {b['round']}" or audit.digest(recorded) != audit.digest(
        b["result"]
    ):
        problems.append(
            f"{name}: its result is not the one the round's outcome records (entry {last['seq']})"
        )
    b_head = b.get("audit_head") or {}
    if b_head.get("sha256") != last["sha256"]:
        problems.append(f"{name}: its audit_head is not the last entry of {LOG}")
    return problems


def _question_number(path: Path) -> tuple[int, str]:
    stem = path.stem.removeprefix("question-")
    return (int(stem), "") if stem.isdigit() else (-1, stem)


def _head_of(path: Path) -> str | None:
    try:
        head = json.loads(path.read_text(encoding="utf-8")).get("audit_head") or {}
        return str(head.get("sha256")) if isinstance(head, dict) else None
    except (ValueError, OSError, AttributeError):
        return None


def _recount_one(path: Path) -> QuestionRecount:
    name = path.name
    try:
        b = json.loads(path.read_text(encoding="utf-8"))
        qid, kind, options = int(b["question"]), str(b["kind"]), b["options"]
        ballots = [(str(r), c) for r, c in b["ballots"]]
        recorded, box, eligible = b["result"], b["box_sha256"], b["eligible"]
    except (ValueError, KeyError, TypeError, OSError) as exc:
        return QuestionRecount(
            question=_question_number(path)[0],
            kind="?",
            ballots=0,
            box_ok=False,
            result_ok=False,
            recorded=None,
            recounted=None,
            problems=(f"{name}: not a board file ({type(exc).__name__}: {exc})",),
        )
    problems: list[str] = []
    receipts = [r for r, _ in ballots]
    if len(set(receipts)) != len(receipts):
        problems.append(f"{name}: a receipt appears twice")
    for r, c in ballots:
        try:
            if voting.check_choice(kind, options, c) != c:
                problems.append(f"{name}: the ballot with receipt {r} is not in its stored form")
        except CommonplanError as exc:
            problems.append(f"{name}: the ballot with receipt {r} is not valid: {exc}")
    box_ok = audit.box_digest(ballots) == box
    if not box_ok:
        problems.append(
            f"{name}: the ballots do not hash to the recorded box_sha256 (a ballot was changed, "
            "added or removed)"
        )
    recounted: dict[str, Any] | None = None
    try:
        if kind == "budget":
            options, ballots = _from_pb(path.with_suffix(".pb"), options, ballots, problems)
        recounted = audit.plain(
            voting.count(
                kind, options, [c for _, c in sorted(ballots, key=lambda b: b[0])], int(eligible)
            )
        )
    except (CommonplanError, ValueError, KeyError, TypeError, OSError) as exc:
        problems.append(f"{name}: cannot be recounted ({exc})")
    result_ok = recounted is not None and _same(recorded, recounted)
    if recounted is not None and not result_ok:
        problems.append(
            f"{name}: the recount differs from the recorded result: "
            + "; ".join(_differences(recorded, recounted)[:5])
        )
    return QuestionRecount(
        question=qid,
        kind=kind,
        ballots=len(ballots),
        box_ok=box_ok,
        result_ok=result_ok,
        recorded=recorded,
        recounted=recounted,
        problems=tuple(problems),
    )


def _from_pb(
    pb: Path,
    options: Mapping[str, Any],
    ballots: Sequence[tuple[str, Any]],
    problems: list[str],
) -> tuple[dict[str, Any], list[tuple[str, Any]]]:
    """The budget question's options and ballots as the PaBuLib file gives them; every way the
    file disagrees with the JSON is added to ``problems``."""
    if not pb.is_file():
        raise OSError(f"the PaBuLib file {pb.name} is missing")
    from commonplan.voting import pabulib

    election = pabulib.read_pb(pb)
    projects = [str(p) for p in election.projects]
    costs = [float(c) for c in election.costs]
    votes = [(unquote(v), {"approve": sorted(str(p) for p in a)}) for v, a in election.votes]
    if projects != [str(p) for p in options["projects"]]:
        problems.append(f"{pb.name}: its projects differ from the JSON's options")
    elif not _same(costs, [float(c) for c in options["costs"]]):
        problems.append(f"{pb.name}: its project costs differ from the JSON's options")
    if not _same(float(election.budget), float(options["budget"])):
        problems.append(f"{pb.name}: its budget differs from the JSON's options")
    if sorted(votes) != sorted((r, {"approve": sorted(c["approve"])}) for r, c in ballots):
        problems.append(f"{pb.name}: its votes differ from the ballots in the JSON")
    return (
        {**options, "projects": projects, "costs": costs, "budget": float(election.budget)},
        votes,
    )


def _same(a: Any, b: Any) -> bool:
    return not _differences(a, b)


def _differences(a: Any, b: Any, where: str = "") -> list[str]:
    """Where ``a`` and ``b`` differ (numbers to :data:`RTOL`), as ``key: a ≠ b`` lines."""
    label = where or "result"
    if isinstance(a, dict) and isinstance(b, dict):
        out = []
        for k in sorted(set(a) | set(b)):
            if k not in a or k not in b:
                out.append(f"{where}.{k}: only in the {'recorded' if k in a else 'recounted'}")
            else:
                out += _differences(a[k], b[k], f"{where}.{k}" if where else str(k))
        return out
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return [f"{label}: {_short(a)} ≠ {_short(b)}"]
        return [
            d
            for k, (x, y) in enumerate(zip(a, b, strict=True))
            for d in _differences(x, y, f"{label}[{k}]")
        ]
    if _is_number(a) and _is_number(b):
        if math.isclose(float(a), float(b), rel_tol=RTOL, abs_tol=RTOL):
            return []
        return [f"{label}: {a!r} ≠ {b!r}"]
    return [] if a == b else [f"{label}: {_short(a)} ≠ {_short(b)}"]


def _is_number(x: Any) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool)


def _short(x: Any) -> str:
    text = json.dumps(x, ensure_ascii=False)
    return text if len(text) <= 80 else text[:77] + "…"


# ---------------------------------------------------------------------- find a ballot


@dataclass(frozen=True)
class FoundBallot:
    """A ballot filed under a receipt: its question, the question's kind, and the choice."""

    question: int
    round: int
    kind: str
    receipt: str
    choice: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def find_ballot(
    where: Database | str | Path,
    receipt: str,
    *,
    visible: Callable[[Session, int], bool] | None = None,
) -> tuple[FoundBallot, ...]:
    """The ballots filed under ``receipt`` — in an exported board directory, or in the database's
    closed questions (one per question the voter used this receipt for).  A generated code is
    found however it is typed: lower case, with spaces, without dashes (:func:`receipt_forms`).

    :class:`NotFoundError` when there is none; :class:`PhaseError` when the receipt belongs to a
    question that is still open (ballots are shown after close).  ``visible(session,
    federation)``: in the database, only the questions of the federations it accepts are
    searched (the others' ballots, open or closed, are as if not there).
    """
    found: list[FoundBallot] = []
    if not isinstance(where, Database) and not Path(where).is_dir():
        raise NotFoundError(said("no board directory {directory!r}", directory=str(where)))
    for form in receipt_forms(receipt):  # as typed, then as the printed code it stands for
        if isinstance(where, Database):
            found = _find_in_db(where, form, visible)
        else:
            found = _find_in_board(Path(where), form)
        if found:
            break
    if not found:
        raise NotFoundError(said("no ballot with receipt {receipt!r}", receipt=receipt))
    return tuple(sorted(found, key=lambda f: f.question))


def _find_in_db(
    db: Database, receipt: str, visible: Callable[[Session, int], bool] | None
) -> list[FoundBallot]:
    with db.transaction() as s:
        rows = [
            (q, c)
            for q, c in s.execute(
                select(Question, Ballot.choice)
                .join(Ballot, Ballot.question_id == Question.id)
                .where(Ballot.receipt == receipt)
            )
            if visible is None or visible(s, q.federation_id)
        ]
        still_open = [q.id for q, _ in rows if q.status != "closed"]
        if still_open:
            raise PhaseError(
                said(
                    "question {question} is still open; ballots are shown after it closes",
                    question=still_open[0],
                )
            )
        return [FoundBallot(q.id, q.round_id, q.kind, receipt, dict(c)) for q, c in rows]


def _find_in_board(root: Path, receipt: str) -> list[FoundBallot]:
    found = []
    for path in sorted(root.glob("question-*.json"), key=_question_number):
        try:
            b = json.loads(path.read_text(encoding="utf-8"))
            for r, choice in b["ballots"]:
                if r == receipt:
                    found.append(
                        FoundBallot(int(b["question"]), int(b["round"]), b["kind"], r, choice)
                    )
        except (ValueError, KeyError, TypeError) as exc:
            raise NotFoundError(
                said("{path}: not a board file ({exc})", path=path, exc=exc)
            ) from None
    return found
