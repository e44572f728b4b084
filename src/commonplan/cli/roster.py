"""The ``commonplan roster`` command: members assigned to shifts and roles from one file.

A thin layer over :func:`commonplan.work.roster`: the file (YAML or JSON) is read into the
library's :class:`~commonplan.work.Shift`, :class:`~commonplan.work.Member`,
:class:`~commonplan.work.Role`, :class:`~commonplan.work.Rules` and
:class:`~commonplan.work.Request`, and every rule about them is checked by the library.  Exit
status 2 when no roster keeps every rule (the shortfalls say what is missing), like
``optimize``'s infeasible plans.

    commonplan roster examples/roster.yaml
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

from commonplan.cli._common import NO_PLAN, JsonOpt, argument, echo_json, new_table
from commonplan.errors import PlanInputError

if TYPE_CHECKING:
    from commonplan.work import Roster

__all__ = ["read_roster_file", "register"]

_SECTIONS = ("shifts", "members", "roles", "rules", "requests", "history")


def register(app: typer.Typer) -> None:
    """Add ``roster`` to ``app``."""
    app.command("roster")(roster)


def roster(
    path: Annotated[
        Path, argument("FILE.yaml|json", "Shifts, members, roles, rules, requests, history.")
    ],
    time_limit: Annotated[
        float,
        typer.Option("--time-limit", metavar="S", min=0.001, help="Seconds per workplace."),
    ] = 60.0,
    as_json: JsonOpt = False,
) -> None:
    r"""Assign members to shifts and roles, undesirable hours shared evenly.

    Prints who works each shift, each member's hours and undesirable hours,
    the Gini of undesirable hours and the least any roster can reach, and
    availability marks that fall on unpleasant shifts more than chance
    would; when the rules cannot all hold, the shortfalls instead: which
    shift and role lack people, and why.

    The file has shifts, members and roles, and may have rules, requests
    and history (previous cycles' assignments, oldest first).  Shift times
    are hours from the start of the period, or ISO date-times:

        rules: {min_rest_hours: 11, forbidden_sequences: \[\[night, morning]]}

        roles:

          - {name: nurse, skills: \[care]}

          - {name: dishes, unpleasant: true, mandatory: true}

        shifts:

          - {id: mon-night, start: 22, end: 30, needs: {nurse: 1},
             kind: night, unpleasant: true}

          - {id: tue-day, start: 32, end: 40, needs: {nurse: 1, dishes: 1}}

        members:

          - {name: ada, skills: \[care], unavailable: \[tue-day], max_hours: 40}

          - {name: bo, skills: \[care]}

        requests:

          - {member: bo, shift: mon-night, wants: false, weight: 2}

    Exit status: 0 a roster that keeps every rule; 1 bad input (one line
    "error: …"); 2 no such roster: infeasible, or the time ran out first.

    Example:

        commonplan roster examples/roster.yaml --time-limit 10
    """
    from commonplan import work

    data = read_roster_file(path)
    result = work.roster(
        data["shifts"],
        data["members"],
        roles=data["roles"],
        rules=data["rules"],
        requests=data["requests"],
        history=data["history"] or None,
        time_limit=time_limit,
    )
    if as_json:
        echo_json(jsonable(result) | {"success": result.success})
    else:
        _print_roster(result, data["shifts"])
    if not result.success:
        raise typer.Exit(NO_PLAN)


# ---------------------------------------------------------------------- reading


def read_roster_file(path: Path) -> dict[str, Any]:
    """The roster's inputs from a YAML or JSON file, as the library's types (their rules are
    checked by :func:`commonplan.work.roster`; this checks the file's shape and names the
    entry at fault)."""
    from commonplan import work

    text = path.read_text(encoding="utf-8")
    if path.suffix.lower() == ".json":
        try:
            raw = json.loads(text)
        except ValueError as exc:
            raise PlanInputError(f"{path}: not valid JSON: {exc}") from None
    else:
        import yaml

        try:
            raw = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise PlanInputError(f"{path}: not valid YAML: {' '.join(str(exc).split())}") from None
    if not isinstance(raw, Mapping):
        raise PlanInputError(f"{path}: expected a mapping with {', '.join(_SECTIONS)}")
    unknown = sorted(set(raw) - set(_SECTIONS))
    if unknown:
        raise PlanInputError(
            f"{path}: unknown section(s) {', '.join(map(str, unknown))}; the sections are "
            f"{', '.join(_SECTIONS)}"
        )
    for needed in ("shifts", "members", "roles"):
        if not raw.get(needed):
            raise PlanInputError(f"{path}: the roster needs {needed}")
    rules = raw.get("rules") or {}
    if not isinstance(rules, Mapping):
        raise PlanInputError(f"{path}: rules must be a mapping, e.g. {{min_rest_hours: 11}}")
    rules = dict(rules)
    if "forbidden_sequences" in rules:
        pairs = rules["forbidden_sequences"] or []
        if not isinstance(pairs, list) or not all(
            isinstance(p, list | tuple) and len(p) == 2 for p in pairs
        ):
            raise PlanInputError(
                f"{path}: rules.forbidden_sequences is a list of pairs, e.g. [[night, morning]]"
            )
        rules["forbidden_sequences"] = tuple((str(a), str(b)) for a, b in pairs)
    shifts = [
        _build(work.Shift, s, f"{path}: shifts[{k}]", times=("start", "end"))
        for k, s in enumerate(_list(raw, "shifts", path))
    ]
    history = []
    for k, cycle in enumerate(_list(raw, "history", path)):
        if not isinstance(cycle, list):
            raise PlanInputError(
                f"{path}: history[{k}] is a cycle's list of {{shift, role, member}}"
            )
        history.append(
            [_build(work.Assignment, a, f"{path}: history[{k}][{j}]") for j, a in enumerate(cycle)]
        )
    return {
        "shifts": shifts,
        "members": [
            _build(work.Member, m, f"{path}: members[{k}]")
            for k, m in enumerate(_list(raw, "members", path))
        ],
        "roles": [
            _build(work.Role, r, f"{path}: roles[{k}]")
            for k, r in enumerate(_list(raw, "roles", path))
        ],
        "rules": _build(work.Rules, rules, f"{path}: rules"),
        "requests": [
            _build(work.Request, r, f"{path}: requests[{k}]")
            for k, r in enumerate(_list(raw, "requests", path))
        ],
        "history": history,
    }


def _list(raw: Mapping[str, Any], key: str, path: Path) -> list[Any]:
    value = raw.get(key) or []
    if not isinstance(value, list):
        raise PlanInputError(f"{path}: {key} must be a list")
    return value


def _build(kind: Any, raw: Any, where: str, times: tuple[str, ...] = ()) -> Any:
    """``kind(**raw)`` with every field checked: known, present where required, and for
    ``times`` a number of hours or an ISO date-time."""
    fields = {f.name: f for f in dataclasses.fields(kind)}
    if not isinstance(raw, Mapping):
        raise PlanInputError(f"{where}: expected a mapping with {', '.join(fields)}")
    unknown = sorted(set(map(str, raw)) - set(fields))
    if unknown:
        raise PlanInputError(
            f"{where}: unknown field(s) {', '.join(unknown)}; the fields are {', '.join(fields)}"
        )
    required = [
        n
        for n, f in fields.items()
        if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
    ]
    missing = [n for n in required if n not in raw]
    if missing:
        raise PlanInputError(f"{where}: missing {', '.join(missing)}")
    values = dict(raw)
    for name in times:
        values[name] = _time(values[name], f"{where}.{name}")
    for name in ("skills", "unavailable"):
        if name in values:
            v = values[name] or []
            if not isinstance(v, list):
                raise PlanInputError(f"{where}.{name} must be a list, e.g. [care]")
            values[name] = frozenset(str(x) for x in v)
    if "needs" in values and not isinstance(values["needs"], Mapping):
        raise PlanInputError(f"{where}.needs maps roles to people, e.g. {{nurse: 1}}")
    try:
        return kind(**values)
    except (TypeError, ValueError) as exc:
        raise PlanInputError(f"{where}: {exc}") from None


def _time(value: Any, where: str) -> float | datetime:
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            pass
    raise PlanInputError(
        f"{where}: {value!r} is neither hours from the period's start nor an ISO date-time"
    )


# ---------------------------------------------------------------------- output


def jsonable(value: Any) -> Any:
    """A roster result as plain JSON values (sets as sorted lists)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, frozenset | set):
        return sorted(jsonable(v) for v in value)
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def _print_roster(r: Roster, shifts: list[Any]) -> None:
    console = Console()
    colour = "green" if r.success else "red"
    console.print(f"roster: [bold {colour}]{escape(r.message)}[/]", highlight=False)
    if r.assignments:
        title = "who works each shift" if r.success else "the roster shortest of people"
        columns = ("shift", "time", "role", "members")
        table = new_table(title, columns, left=columns)
        for s in shifts:
            for role in s.needs:
                names = [a.member for a in r.assignments if a.shift == s.id and a.role == role]
                table.add_row(escape(s.id), _span(s), escape(role), escape(", ".join(names) or "—"))
        console.print(table)
    if r.shortfalls:
        console.print(
            "[bold red]shortfalls[/]: what is missing for a roster to exist", highlight=False
        )
        for f in r.shortfalls:
            where = f"{f.shift}, {f.role}" if f.shift is not None else f"{f.member}, {f.role}"
            skills = f" (skills {', '.join(sorted(f.skills))})" if f.skills else ""
            console.print(
                f"  {escape(where + skills)}: short by {f.short_by} — {escape(f.reason)}",
                highlight=False,
            )
    for flag in r.flags:
        console.print(
            f"availability: {escape(flag.member)} marked {flag.unpleasant_unavailable} of "
            f"{flag.unpleasant_total} unpleasant shifts unavailable and "
            f"{flag.other_unavailable} of {flag.other_total} others (p = {flag.p_value:.2g}): "
            "for the council to look at",
            highlight=False,
        )
    if not r.success:
        return
    table = new_table("hours per member", ("member", "hours", "undesirable"), left=("member",))
    for h in r.hours:
        table.add_row(escape(h.member), f"{h.hours:g}", f"{h.undesirable_hours:g}")
    console.print(table)
    console.print(
        f"Gini of undesirable hours: [bold]{r.gini:.3f}[/] (no roster under these rules goes "
        f"below {r.gini_lower_bound:.3f}); spread {r.spread:g} h (at least "
        f"{r.spread_lower_bound:g} h)",
        highlight=False,
    )
    if r.wishes_total:
        console.print(f"requests granted: {r.wishes_met} of {r.wishes_total}", highlight=False)


def _span(s: Any) -> str:
    if isinstance(s.start, datetime):
        return f"{s.start:%a %d %H:%M}–{s.end:%H:%M}"
    return f"{s.start:g}–{s.end:g} h"
