"""PaBuLib ``.pb`` files of approval elections: write them, read them back.

The format (Faliszewski et al., "Participatory Budgeting: Data, Tools and Analysis", IJCAI 2023,
https://pabulib.org/format) is UTF-8 text in three sections, fields separated by ``;``::

    META
    key;value
    description;…            budget;1000000            vote_type;approval      num_votes;…
    PROJECTS
    project_id;cost;name      (further columns optional: category, target, votes, …)
    1;50000;Trees on the square
    VOTES
    voter_id;vote             (further columns optional: age, sex, voting_method, …)
    17;1,4,9

``vote`` lists the approved project ids separated by commas.  Every section starts with its name
on a line of its own and then a header line naming its columns.  What is written here is read by
pabutools' ``parse_pabulib`` as the same election (ids, costs, budget and ballots), so any
PaBuLib tool can count it; what :func:`read_pb` cannot read unambiguously it refuses with
:class:`~commonplan.errors.FormatError` naming the line.

Numbers are written exactly: an integral cost or budget as an integer, any other as the shortest
decimal that reads back as the same float.  (PaBuLib tools read decimals as exact fractions, so
for results equal to the last digit with exact-arithmetic tools keep costs integral, e.g. whole
labour hours.)
"""

from __future__ import annotations

import csv
import io
import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike, NDArray

from commonplan.errors import FormatError, VotingError, said

__all__ = ["PBElection", "pb_text", "read_pb", "write_pb"]

_SECTIONS = ("meta", "projects", "votes")
_META_DEFAULTS = {
    "description": "commonplan participatory budget",
    "country": "not given",
    "unit": "not given",
    "instance": "not given",
    "rule": "equalshares",
}
_COMPUTED = ("num_projects", "num_votes", "budget", "vote_type")


@dataclass(frozen=True)
class PBElection:
    """An approval election read from a PaBuLib file.

    Attributes
    ----------
    projects : tuple of str
        Project ids, in file order.
    costs : ndarray, shape (m,)
        Their costs.
    budget : float
        The ``budget`` of META.
    approvals : scipy.sparse.csr_array, shape (n voters, m projects)
        1 where the voter approves the project.
    voters : tuple of str
        Voter ids, in file order (row i of ``approvals``).
    meta : dict of str to str
        Every META entry, as text.
    project_meta : tuple of dict
        Each project's other columns (e.g. ``name``, ``category``), as text; ``None`` left out.
    """

    projects: tuple[str, ...]
    costs: NDArray[np.float64]
    budget: float
    approvals: sp.csr_array = field(repr=False)
    voters: tuple[str, ...]
    meta: dict[str, str]
    project_meta: tuple[dict[str, str], ...] = field(repr=False)

    @property
    def votes(self) -> tuple[tuple[str, tuple[str, ...]], ...]:
        """(voter id, approved project ids in project order) for every ballot, in file order."""
        a = self.approvals
        return tuple(
            (v, tuple(self.projects[j] for j in a.indices[a.indptr[i] : a.indptr[i + 1]]))
            for i, v in enumerate(self.voters)
        )


# ---------------------------------------------------------------------------------- write


def _number_text(x: Any, what: str) -> str:
    try:
        v = float(x)
    except (TypeError, ValueError):
        raise VotingError(said("{what} must be a number, not {x!r}", what=what, x=x)) from None
    if not math.isfinite(v):
        raise VotingError(said("{what} must be finite, not {v!r}", what=what, v=v))
    return str(int(v)) if v.is_integer() and abs(v) < 2**53 else repr(v)


def _text(x: Any, what: str, *, id_like: bool = False) -> str:
    s = str(x)
    if id_like:
        if not s or s != s.strip() or any(ch in s for ch in ',;\n\r"') or s.lower() == "none":
            raise VotingError(
                said(
                    "{what} {s!r} cannot be written to a PaBuLib file: an id must be non-empty, "
                    "without surrounding spaces, commas, semicolons, quotes or line breaks, and "
                    "not 'None'",
                    what=what,
                    s=s,
                )
            )
    elif "\n" in s or "\r" in s:
        raise VotingError(
            said(
                "{what} {s!r} holds a line break, which PaBuLib files cannot carry", what=what, s=s
            )
        )
    return s


def _new_id(
    row: Mapping[str, Any], needs: tuple[str, str], row_name: str, id_name: str, seen: set[str]
) -> str:
    """The row's id (its column ``needs[0]``), added to ``seen``: refused when the row lacks
    either column of ``needs`` or the id is in ``seen`` already."""
    if needs[0] not in row or needs[1] not in row:
        raise VotingError(
            said(
                "{row_name} needs {first!r} and {second!r}",
                row_name=row_name,
                first=needs[0],
                second=needs[1],
            )
        )
    new = _text(row[needs[0]], id_name, id_like=True)
    if new in seen:
        raise VotingError(said("{id_name} {new!r} appears twice", id_name=id_name, new=new))
    seen.add(new)
    return new


def pb_text(
    *,
    projects: Sequence[Mapping[str, Any]],
    budget: float,
    votes: Sequence[Mapping[str, Any]],
    meta: Mapping[str, Any] | None = None,
) -> str:
    """A PaBuLib approval file as text, from rows.

    Parameters
    ----------
    projects : sequence of mapping
        One per project: ``project_id`` and ``cost`` (> 0), and any other columns (e.g.
        ``name``); a column a project lacks is written ``None``.
    budget : float
        The budget (≥ 0).
    votes : sequence of mapping
        One per ballot: ``voter_id`` and ``vote`` (the approved project ids, a sequence), and any
        other columns.
    meta : mapping, optional
        META entries; ``num_projects``, ``num_votes``, ``budget`` and ``vote_type`` are computed
        (a given one must agree), ``description``, ``country``, ``unit``, ``instance`` and
        ``rule`` get placeholders if absent.

    Raises
    ------
    VotingError
        A cost, id or value that cannot be written, naming it.
    """
    ids: list[str] = []
    seen: set[str] = set()
    pcols = ["project_id", "cost"]
    for k, p in enumerate(projects):
        pid = _new_id(p, ("project_id", "cost"), f"project row {k}", "project id", seen)
        ids.append(pid)
        cost = float(_number_text(p["cost"], f"the cost of project {pid!r}"))
        if cost <= 0:
            raise VotingError(
                said("project {pid!r} costs {cost!r}: a cost must be positive", pid=pid, cost=cost)
            )
        pcols += [c for c in p if c not in pcols]
    vcols = ["voter_id", "vote"]
    voters: set[str] = set()
    for k, v in enumerate(votes):
        vid = _new_id(v, ("voter_id", "vote"), f"vote row {k}", "voter id", voters)
        chosen = v["vote"]
        if isinstance(chosen, str):
            raise VotingError(
                said("the vote of voter {vid!r} must be a sequence of project ids", vid=vid)
            )
        chosen = [str(c) for c in chosen]
        unknown = [c for c in chosen if c not in seen]
        if unknown:
            raise VotingError(
                said(
                    "voter {vid!r} approves {project!r}, which is not a project",
                    vid=vid,
                    project=unknown[0],
                )
            )
        if len(set(chosen)) != len(chosen):
            raise VotingError(said("voter {vid!r} approves a project twice", vid=vid))
        vcols += [c for c in v if c not in vcols]
    b = _number_text(budget, "the budget")
    if float(b) < 0:
        raise VotingError(said("the budget must be ≥ 0, not {b}", b=b))

    computed = {
        "num_projects": str(len(ids)),
        "num_votes": str(len(votes)),
        "budget": b,
        "vote_type": "approval",
    }
    given = {str(k): v for k, v in (meta or {}).items()}
    for key in _COMPUTED:
        if key in given:
            same = (
                float(_number_text(given[key], f"meta {key!r}")) == float(computed[key])
                if key != "vote_type"
                else str(given[key]) == computed[key]
            )
            if not same:
                raise VotingError(
                    said(
                        "meta {key!r} is {given!r} but the election has {computed}",
                        key=key,
                        given=given[key],
                        computed=computed[key],
                    )
                )
    entries = {**_META_DEFAULTS, **given, **computed}

    out = io.StringIO()
    w = csv.writer(out, delimiter=";", lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    out.write("META\n")
    w.writerow(["key", "value"])
    for key, value in entries.items():
        w.writerow([_text(key, "meta key", id_like=True), _text(value, f"meta {key!r}")])
    out.write("PROJECTS\n")
    w.writerow(pcols)
    for p in projects:
        row = [_text(p["project_id"], "project id"), _number_text(p["cost"], "cost")]
        row += [_cell(p.get(c), f"column {c!r}") for c in pcols[2:]]
        w.writerow(row)
    out.write("VOTES\n")
    w.writerow(vcols)
    for v in votes:
        row = [str(v["voter_id"]), ",".join(str(c) for c in v["vote"])]
        row += [_cell(v.get(c), f"column {c!r}") for c in vcols[2:]]
        w.writerow(row)
    return out.getvalue()


def _cell(x: Any, what: str) -> str:
    if x is None:
        return "None"
    if isinstance(x, (list, tuple, set, frozenset)):
        return ",".join(_text(e, what) for e in x)
    return _text(x, what)


def write_pb(
    path_or_file: str | os.PathLike[str] | IO[str],
    *,
    projects: Sequence[str],
    costs: ArrayLike,
    approvals: Any,
    budget: float,
    meta: Mapping[str, Any] | None = None,
    voters: Sequence[str] | None = None,
    names: Sequence[str] | None = None,
) -> None:
    """Write an approval election as a PaBuLib file.

    Parameters
    ----------
    path_or_file : path or text file
        Where to write (a path is written whole, UTF-8).
    projects : sequence of str
        Project ids (column j of ``approvals``).
    costs : array-like, shape (m,)
        Positive costs.
    approvals : sparse matrix or array-like, shape (n voters, m projects)
        Nonzero: approves.
    budget : float
        The budget.
    meta : mapping, optional
        META entries (see :func:`pb_text`).
    voters : sequence of str, optional
        Voter ids; default ``"1"`` … ``"n"``.
    names : sequence of str, optional
        A ``name`` column for the projects.
    """
    ids = [str(p) for p in projects]
    c = np.asarray(costs, dtype=np.float64).ravel()
    a = sp.csr_array(approvals) if sp.issparse(approvals) else sp.csr_array(np.asarray(approvals))
    if a.ndim != 2 or a.shape[1] != len(ids):
        raise VotingError(
            said(
                "approvals has shape {shape} but there are {projects} projects (columns)",
                shape=a.shape,
                projects=len(ids),
            )
        )
    if len(c) != len(ids):
        raise VotingError(
            said("{costs} costs for {projects} projects", costs=len(c), projects=len(ids))
        )
    if names is not None and len(names) != len(ids):
        raise VotingError(
            said("{names} names for {projects} projects", names=len(names), projects=len(ids))
        )
    n = a.shape[0]
    vids = [str(i + 1) for i in range(n)] if voters is None else [str(v) for v in voters]
    if len(vids) != n:
        raise VotingError(
            said("{voters} voter ids for {n} rows of approvals", voters=len(vids), n=n)
        )
    a = a.copy()
    if a.data.size and (~np.isfinite(a.data) | (a.data < 0)).any():
        raise VotingError(said("approvals must be finite and ≥ 0 (nonzero: approves)"))
    a.eliminate_zeros()
    a.sum_duplicates()
    a.sort_indices()
    rows = [
        {"project_id": p, "cost": float(c[j])} | ({"name": names[j]} if names is not None else {})
        for j, p in enumerate(ids)
    ]
    votes = [
        {"voter_id": v, "vote": [ids[j] for j in a.indices[a.indptr[i] : a.indptr[i + 1]]]}
        for i, v in enumerate(vids)
    ]
    text = pb_text(projects=rows, budget=budget, votes=votes, meta=meta)
    if isinstance(path_or_file, (str, os.PathLike)):
        Path(path_or_file).write_text(text, encoding="utf-8")
    else:
        path_or_file.write(text)


# ----------------------------------------------------------------------------------- read


def read_pb(path_or_file: str | os.PathLike[str] | IO[str]) -> PBElection:
    """Read a PaBuLib approval file.

    A META section without its ``key;value`` header line (as in Warsaw's 2017 files on Pabulib)
    is read with its first line as an entry (pabutools' parser takes that line for the header
    and drops it).  Decimal costs and budgets are read as the nearest floats.

    Raises
    ------
    FormatError
        A file that is not a PaBuLib approval election, naming the file and line: a missing
        section, column or META entry (``budget``, ``vote_type``), a vote type other than
        ``approval`` (or ``choose-1``), a cost or budget that is not a number, a non-positive
        cost, a duplicate project or voter id, a vote for an unknown project, a row with more
        fields than its header, ``num_projects``/``num_votes`` that disagree with the rows.
    """
    if isinstance(path_or_file, (str, os.PathLike)):
        name = str(path_or_file)
        try:
            text = Path(path_or_file).read_text(encoding="utf-8-sig")
        except UnicodeDecodeError as exc:
            raise FormatError(said("{name}: not UTF-8 text ({exc})", name=name, exc=exc)) from None
    else:
        name = getattr(path_or_file, "name", "<file>")
        text = path_or_file.read()
        if text.startswith("\ufeff"):
            text = text[1:]
    return _parse(text, str(name))


def _parse(text: str, name: str) -> PBElection:
    def fail(line: int, msg: str) -> FormatError:
        return FormatError(f"{name}, line {line}: {msg}")

    reader = csv.reader(io.StringIO(text, newline=""), delimiter=";")
    section = ""
    header: list[str] = []
    meta: dict[str, str] = {}
    meta_line: dict[str, int] = {}

    def meta_entry(row: list[str], line: int) -> None:
        if len(row) < 2:
            raise fail(line, f"a META entry needs key;value, not {';'.join(row)!r}")
        key = row[0].strip()
        if key in meta:
            raise fail(line, f"META entry {key!r} given twice")
        meta[key] = row[1].strip()
        meta_line[key] = line

    seen_sections: dict[str, int] = {}
    projects: list[str] = []
    costs: list[float] = []
    pmeta: list[dict[str, str]] = []
    where: dict[str, int] = {}
    voters: list[str] = []
    voter_seen: set[str] = set()
    rows: list[int] = []
    cols: list[int] = []
    try:
        for row in reader:
            line = reader.line_num
            if not row or (len(row) == 1 and not row[0].strip()):
                continue
            head = row[0].strip().lower()
            if head in _SECTIONS:  # as pabutools reads it: whatever follows on the line
                if head in seen_sections:
                    raise fail(line, f"a second {head.upper()} section")
                want = _SECTIONS.index(head)
                if want != len(seen_sections):
                    raise fail(
                        line, f"{head.upper()} out of order: sections are META, PROJECTS, VOTES"
                    )
                seen_sections[head] = line
                section = head
                header = []
                while not any(h.strip() for h in header):  # blank lines before it skipped
                    try:
                        header = [h.strip() for h in next(reader)]
                    except StopIteration:
                        raise fail(line, f"{head.upper()} has no header line") from None
                hline = reader.line_num
                need = {"meta": (), "projects": ("project_id", "cost"), "votes": ("voter_id",)}
                for col in need[head]:
                    if col not in header:
                        raise fail(hline, f"the {head.upper()} header lacks the column {col!r}")
                if head == "votes":
                    if meta.get("vote_type") not in ("approval", "choose-1"):
                        raise fail(
                            seen_sections["meta"] if "vote_type" not in meta_line else
                            meta_line["vote_type"],
                            f"vote_type is {meta.get('vote_type')!r}: only approval elections "
                            "('approval', 'choose-1') can be read",
                        )  # fmt: skip
                    if "vote" not in header:
                        raise fail(hline, "the VOTES header lacks the column 'vote'")
                if head == "meta" and [h.lower() for h in header[:2]] != ["key", "value"]:
                    # no "key;value" line (e.g. Warsaw's 2017 files): it is the first entry
                    # (pabutools' parser drops it; a budget there would be lost)
                    meta_entry(header, hline)
                continue
            if not section:
                raise fail(line, "data before the META section")
            if section == "meta":
                meta_entry(row, line)
                continue
            if len(row) > len(header):
                raise fail(
                    line, f"{len(row)} fields but the {section.upper()} header has {len(header)}"
                )
            cells = {h: v.strip() for h, v in zip(header, row, strict=False)}
            if section == "projects":
                pid = cells.get("project_id", "")
                if not pid:
                    raise fail(line, "a project without an id")
                if pid in where:
                    raise fail(line, f"project id {pid!r} appears twice")
                cost = _read_number(cells.get("cost", ""))
                if cost is None or not cost > 0:
                    raise fail(
                        line,
                        f"project {pid!r} costs {cells.get('cost', '')!r}: a cost must be a "
                        "positive number",
                    )
                where[pid] = len(projects)
                projects.append(pid)
                costs.append(cost)
                pmeta.append(
                    {
                        h: v
                        for h, v in cells.items()
                        if h not in ("project_id", "cost") and v.lower() != "none"
                    }
                )
            else:
                vid = cells.get("voter_id", "")
                if not vid:
                    raise fail(line, "a vote without a voter_id")
                if vid in voter_seen:
                    raise fail(line, f"voter id {vid!r} appears twice")
                chosen = [p.strip() for p in cells.get("vote", "").split(",")]
                chosen = [p for p in chosen if p and p.lower() != "none"]
                js = []
                for p in chosen:
                    if p not in where:
                        raise fail(line, f"voter {vid!r} approves {p!r}, which is not a project")
                    js.append(where[p])
                if len(set(js)) != len(js):
                    raise fail(line, f"voter {vid!r} approves a project twice")
                rows += [len(voters)] * len(js)
                cols += js
                voter_seen.add(vid)
                voters.append(vid)
    except csv.Error as exc:
        raise fail(reader.line_num, f"not readable as ;-separated fields ({exc})") from None

    end = reader.line_num
    for s in _SECTIONS:
        if s not in seen_sections:
            raise fail(end, f"no {s.upper()} section")
    for key in ("budget", "vote_type"):
        if key not in meta:
            raise fail(seen_sections["meta"], f"META lacks {key!r}")
    budget = _read_number(meta["budget"])
    if budget is None or budget < 0:
        raise fail(meta_line["budget"], f"budget {meta['budget']!r} is not a number ≥ 0")
    for key, count in (("num_projects", len(projects)), ("num_votes", len(voters))):
        if key in meta:
            given = _read_number(meta[key])
            if given != count:
                raise fail(meta_line[key], f"{key} is {meta[key]!r} but the file has {count}")
    approvals = sp.csr_array(
        (np.ones(len(rows)), (np.asarray(rows, np.int64), np.asarray(cols, np.int64))),
        shape=(len(voters), len(projects)),
    )
    approvals.sort_indices()
    return PBElection(
        projects=tuple(projects),
        costs=np.asarray(costs, dtype=np.float64),
        budget=budget,
        approvals=approvals,
        voters=tuple(voters),
        meta=meta,
        project_meta=tuple(pmeta),
    )


def _read_number(s: str) -> float | None:
    """A PaBuLib number (a decimal comma allowed, as pabutools reads it); None if not finite."""
    try:
        v = float(s.replace(",", "."))
    except ValueError:
        return None
    return v if math.isfinite(v) else None
