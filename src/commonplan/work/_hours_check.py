"""The hours ledger's checks (:mod:`commonplan.work.hours`): who may record whose hours, each row
of a batch, and the checks across rows — repeats, two places at once, credit caps."""

from __future__ import annotations

import functools
import math
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from typing import Any, NamedTuple

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from commonplan.errors import AuthorisationError, PlanInputError, said
from commonplan.federation import member_federations
from commonplan.rounds.phases import ratified
from commonplan.store.models import Council, Federation, HoursEntry, Member, Round
from commonplan.work._hours_rows import HoursRow
from commonplan.work._hours_rules import HOURS_PER_WEEK, HoursSettings, weeks_in


def _ratified(s: Session, round_id: int) -> tuple[Round, Federation]:
    return ratified(s, round_id, said("hours are recorded"))


def _facilitates(s: Session, member: Member, nodes: set[int]) -> bool:
    """A facilitator of the federation whose nodes are ``nodes``."""
    return member.role == "facilitator" and bool(member_federations(s, member) & nodes)


def _may_record(
    actor: Member,
    facilitator: bool,
    member: Member,
    workplace: Council | None,
    where: str | Callable[[], str],
) -> None:
    """Work: a member of the workplace's council; a credit: of the member's own workers' council;
    never the member themself — or a facilitator of the federation.  ``where`` names the row (a
    callable: worked out only for the message)."""
    if facilitator:
        return
    if actor.id != member.id:
        council = workplace.id if workplace is not None else member.workers_council_id
        if council is not None and actor.workers_council_id == council:
            return
    at = where if isinstance(where, str) else where()
    if actor.id == member.id:
        raise AuthorisationError(
            f"{at}: {actor.handle!r} cannot record their own hours; their workplace does, and "
            "they confirm or dispute"
        )
    council = workplace.id if workplace is not None else member.workers_council_id
    if council is None or actor.workers_council_id != council:
        where = repr(workplace.name) if workplace else f"the workplace of {member.handle!r}"
        raise AuthorisationError(
            f"{at}: {actor.handle!r} is not a member of {where}: hours are recorded by the "
            "workplace's own members (or a facilitator of the federation)"
        )


def _members(s: Session, nodes: set[int]) -> dict[str, Any]:
    """The federation's members by handle, as rows of (id, handle, workers_council_id) — all
    the checks read; ORM objects for 10^4 members take half a second to load."""
    councils = select(Council.id).where(Council.federation_id.in_(nodes))
    query = select(Member.id, Member.handle, Member.workers_council_id).where(
        Member.workers_council_id.in_(councils) | Member.consumers_council_id.in_(councils)
    )
    return {m.handle: m for m in s.execute(query)}


def _at(k: int, row: HoursRow) -> str:
    what = row.workplace or (f"{row.credit} credit" if row.credit else "?")
    return f"hours row {k} ({row.member or '?'}, {what}, {row.period or '?'})"


class _Lookup(NamedTuple):
    """What a batch's rows are checked against: the plan's periods, the federation's members by
    handle and its workplaces by name (rows of the columns the checks read), its hours rules."""

    periods: Sequence[str]
    members: Mapping[str, Any]
    workplaces: Mapping[str, Any]
    cfg: HoursSettings


def _check_row(s: Session, k: int, row: HoursRow, lookup: _Lookup) -> tuple[Member, Council | None]:
    periods, members, workplaces, cfg = lookup
    at = _at(k, row)
    member = members.get(row.member)
    if member is None:
        known = s.execute(select(Member.id).where(Member.handle == row.member)).first()
        if known is not None:
            raise AuthorisationError(
                f"{at}: {row.member!r} is a member of another federation; hours are recorded "
                "within a federation"
            )
        raise PlanInputError(f"{at}: no member with handle {row.member!r}")
    if (row.workplace is None) == (row.credit is None):
        raise PlanInputError(f"{at}: a row names either a workplace or a credit kind")
    workplace = None
    if row.workplace is not None:
        workplace = workplaces.get(row.workplace)
        if workplace is None:
            raise PlanInputError(f"{at}: no workers' council named {row.workplace!r} here")
        if row.age is not None:
            raise PlanInputError(f"{at}: hours worked give no age")
    elif row.credit not in cfg.credits:
        raise PlanInputError(
            f"{at}: credit must be one of {', '.join(cfg.credits)}; got {row.credit!r}"
        )
    if row.period not in periods:
        raise PlanInputError(
            f"{at}: period {row.period!r} is not in the plan ({periods[0]} to {periods[-1]})"
        )
    if not isinstance(row.hours, int | float) or not math.isfinite(row.hours):
        raise PlanInputError(f"{at}: hours must be a finite number; got {row.hours}")
    if row.hours <= 0:
        raise PlanInputError(
            f"{at}: hours must be more than 0; got {row.hours:g} (a correction is a reversal)"
        )
    if row.age is not None and not 0 <= row.age <= 130:
        raise PlanInputError(f"{at}: age must be between 0 and 130; got {row.age}")
    return member, workplace


def _on_file(s: Session, round_id: int) -> tuple[set[tuple[Any, ...]], dict[Any, float]]:
    """The keys of live entries (not reversed, not reversals) and the net hours on file per
    (member, period) and per (member, period, credit kind)."""
    reversed_ids = select(HoursEntry.reverses_id).where(
        HoursEntry.round_id == round_id, HoursEntry.reverses_id.is_not(None)
    )
    live = s.execute(
        select(
            HoursEntry.member_id, HoursEntry.period, HoursEntry.council_id, HoursEntry.credit
        ).where(
            HoursEntry.round_id == round_id,
            HoursEntry.reverses_id.is_(None),
            HoursEntry.id.not_in(reversed_ids),
        )
    ).all()
    sums: dict[Any, float] = defaultdict(float)
    rows = s.execute(
        select(
            HoursEntry.member_id, HoursEntry.period, HoursEntry.credit, func.sum(HoursEntry.hours)
        )
        .where(HoursEntry.round_id == round_id)
        .group_by(HoursEntry.member_id, HoursEntry.period, HoursEntry.credit)
    ).all()
    for member, period, credit, hours in rows:
        sums[(member, period)] += float(hours)
        if credit is not None:
            sums[(member, period, credit)] += float(hours)
            sums[(member, period, "")] += float(hours)
    return {tuple(x) for x in live}, sums


def _check_batch(
    s: Session,
    rows: Sequence[HoursRow],
    user: Member,
    facilitator: bool,
    lookup: _Lookup,
    keys: set[tuple[Any, ...]],
    sums: dict[Any, float],
) -> tuple[list[Any], list[Any]]:
    """Every row checked (see :func:`record_hours`), in order; the rows' members and workplaces.

    A row that passes the cheap tests of the common case (known member, workplace or credit,
    period, finite positive hours) skips :func:`_check_row`, which a row failing any of them goes
    through, to be refused with its message or accepted; the messages are made only for a row
    refused.  Then the checks across rows: authority, repeats, hours per period, credit caps."""
    periods, members, workplaces, cfg = lookup
    weeks = {p: weeks_in(p) for p in periods}
    credits = cfg.credits
    inf = math.inf
    who: list[Any] = []
    where: list[Any] = []
    for k, row in enumerate(rows, start=1):
        member = members.get(row.member)
        period, hours, credit = row.period, row.hours, row.credit
        place = None
        w = weeks.get(period)
        fast = member is not None and w is not None and type(hours) is float and 0 < hours < inf
        if fast:
            if row.workplace is not None:
                place = workplaces.get(row.workplace)
                fast = place is not None and credit is None and row.age is None
            else:
                age = row.age
                fast = credit in credits and (age is None or 0 <= age <= 130)
        if not fast:
            member, place = _check_row(s, k, row, lookup)
            w = weeks[period]
        assert w is not None
        assert member is not None
        if not facilitator:
            _may_record(user, facilitator, member, place, functools.partial(_at, k, row))
        mid = member.id
        key = (mid, period, place.id if place is not None else None, credit)
        if key in keys:
            raise PlanInputError(
                f"{_at(k, row)}: these hours are on file already: reverse that entry to correct it"
            )
        keys.add(key)
        total = sums[(mid, period)] = sums[(mid, period)] + hours
        if total > HOURS_PER_WEEK * w + 1e-9:
            raise PlanInputError(
                f"{_at(k, row)}: {row.member!r} would have {total:g} hours in {period}, which has "
                f"{HOURS_PER_WEEK * w:g}: a member cannot be in two places at once"
            )
        if credit is not None:
            at = _at(k, row)
            rule = credits[credit]
            try:
                cap = rule.cap_per_week(row.age) * w
            except PlanInputError as exc:
                raise PlanInputError(f"{at}: {exc}") from None
            kind = sums[(mid, period, credit)] + hours
            every = sums[(mid, period, "")] + hours
            if kind > cap + 1e-9:
                raise PlanInputError(
                    f"{at}: {kind:g} hours of {credit} credit in {period} is more "
                    f"than the rule allows ({cap:g})"
                )
            if every > cfg.quota_per_week * w + 1e-9:
                raise PlanInputError(
                    f"{at}: {every:g} hours of credits in {period} is more than a full "
                    f"quota ({cfg.quota_per_week * w:g})"
                )
            sums[(mid, period, credit)] = kind
            sums[(mid, period, "")] = every
        who.append(member)
        where.append(place)
    return who, where
