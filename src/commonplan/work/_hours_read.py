"""Reading the hours ledger (:mod:`commonplan.work.hours`): balances per account and period,
summed in SQL, and the entries with their verdicts and reversals — as a viewer may see them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from commonplan.errors import AuthorisationError, NotFoundError, PlanInputError
from commonplan.federation import member_named, subtree
from commonplan.store import Database, get
from commonplan.store.models import (
    Council,
    HoursAccount,
    HoursEntry,
    HoursPosting,
    HoursVerdict,
    Member,
    Round,
)
from commonplan.work._hours_check import _facilitates
from commonplan.work._hours_rows import Balance, StoredEntry


def _viewer(s: Session, viewer: str | None, nodes: set[int], round_id: int) -> Member | None:
    """None where the viewer sees everything (no viewer given, or a facilitator); else the member,
    refused with NotFoundError outside the federation."""
    if viewer is None:
        return None
    m = member_named(s, viewer)
    if _facilitates(s, m, nodes):
        return None
    own = [c for c in (m.workers_council_id, m.consumers_council_id) if c is not None]
    inside = s.execute(
        select(Council.id).where(Council.id.in_(own), Council.federation_id.in_(nodes))
    ).first()
    if inside is None:
        raise NotFoundError(f"no round {round_id}")
    return m


def balances(
    db: Database,
    round_id: int,
    *,
    of: str = "member",
    period: str | None = None,
    account: str | None = None,
    viewer: str | None = None,
) -> list[Balance]:
    """Balances of the ``member``, ``workplace`` or ``credit`` accounts of a round, per period,
    confirmed / pending / disputed — summed in SQL, one aggregate query (GROUP BY account and
    period, a filtered sum per verdict).  A member's balance is the hours they worked and were
    credited; a workplace's is minus the hours worked there.  ``account``: a handle, a council
    name or a credit kind.  With ``viewer``: refused outside the round's federation; a member
    (not a facilitator) sees their own account, and those of their workplace and its members."""
    if of not in ("member", "workplace", "credit"):
        raise PlanInputError(f"of must be 'member', 'workplace' or 'credit'; got {of!r}")
    with db.transaction() as s:
        r = get(s, Round, round_id, "round")
        nodes = set(subtree(s, r.federation_id))
        seer = _viewer(s, viewer, nodes, round_id)
        handles = dict(s.execute(select(Member.id, Member.handle)).all())
        names = dict(s.execute(select(Council.id, Council.name)).all())
        accounts = {
            row[0]: _account_name(row[1:], of, handles, names)
            for row in s.execute(
                select(
                    HoursAccount.id,
                    HoursAccount.member_id,
                    HoursAccount.council_id,
                    HoursAccount.credit,
                ).where(HoursAccount.kind == of)
            ).all()
        }
        target = func.coalesce(HoursEntry.reverses_id, HoursEntry.id)
        verdict = HoursVerdict.verdict
        q = (
            select(
                HoursPosting.account_id,
                HoursEntry.period,
                func.sum(HoursPosting.hours).filter(verdict == "confirmed"),
                func.sum(HoursPosting.hours).filter(
                    verdict.is_(None) | verdict.not_in(["confirmed", "disputed"])
                ),
                func.sum(HoursPosting.hours).filter(verdict == "disputed"),
            )
            .select_from(HoursEntry)
            .join(HoursPosting, HoursPosting.entry_id == HoursEntry.id)
            .outerjoin(HoursVerdict, HoursVerdict.entry_id == target)
            .where(HoursEntry.round_id == round_id)
            .group_by(HoursPosting.account_id, HoursEntry.period)
        )
        if period is not None:
            q = q.where(HoursEntry.period == period)
        wanted: set[int] | None = None  # None: every account of the kind
        if seer is not None:
            if of == "credit":
                raise AuthorisationError(f"{viewer!r} sees members' and workplaces' accounts only")
            place = seer.workers_council_id
            if of == "workplace":
                mine = {
                    a
                    for (a,) in s.execute(
                        select(HoursAccount.id).where(
                            HoursAccount.kind == "workplace", HoursAccount.council_id == place
                        )
                    )
                }
                wanted = mine
                q = q.where(HoursEntry.council_id == place)
            else:
                people = {seer.id} | set(
                    s.execute(
                        select(Member.id).where(
                            Member.workers_council_id == place,
                            Member.workers_council_id.is_not(None),
                        )
                    ).scalars()
                )
                wanted = set(
                    s.execute(
                        select(HoursAccount.id).where(
                            HoursAccount.kind == "member", HoursAccount.member_id.in_(people)
                        )
                    ).scalars()
                )
                q = q.where(HoursEntry.member_id.in_(people))  # the (round, member) index
        if account is not None:
            named = {a for a, name in accounts.items() if name == account}
            wanted = named if wanted is None else wanted & named
        if wanted is not None:
            if not wanted:
                return []
            q = q.where(HoursPosting.account_id.in_(sorted(wanted)))
        else:
            q = q.where(
                HoursPosting.account_id.in_(select(HoursAccount.id).where(HoursAccount.kind == of))
            )
        if s.get_bind().dialect.name == "postgresql":
            s.execute(text("SET LOCAL work_mem = '64MB'"))  # the aggregate's hash in memory
        # Core rows (not the ORM's result processing): 10^5 rows and more for a large round
        got = s.connection().execute(q).all()
        out = [(accounts[a], p, c or 0.0, n or 0.0, d or 0.0) for a, p, c, n, d in got]
    out.sort()
    return [Balance(name, of, p, c, n, d) for name, p, c, n, d in out]


def _account_name(
    row: Sequence[Any], of: str, handles: Mapping[int, str], names: Mapping[int, str]
) -> str:
    """An account's name from its (member_id, council_id, credit)."""
    if of == "member":
        return handles[row[0]]
    if of == "workplace":
        return names[row[1]]
    return str(row[2])


def entries_of(
    db: Database,
    round_id: int,
    *,
    member: str | None = None,
    period: str | None = None,
    viewer: str | None = None,
) -> list[StoredEntry]:
    """The entries of a round in order, with each one's verdict and reversal (a member's own,
    with ``member``).  With ``viewer``: as for :func:`balances`."""
    with db.transaction() as s:
        r = get(s, Round, round_id, "round")
        seer = _viewer(s, viewer, set(subtree(s, r.federation_id)), round_id)
        handles = dict(s.execute(select(Member.id, Member.handle)).all())
        names = dict(s.execute(select(Council.id, Council.name)).all())
        q = select(HoursEntry).where(HoursEntry.round_id == round_id).order_by(HoursEntry.id)
        if member is not None:
            q = q.where(HoursEntry.member_id == member_named(s, member).id)
        if period is not None:
            q = q.where(HoursEntry.period == period)
        if seer is not None:
            place = seer.workers_council_id
            if place is None:  # no workplace: their own entries only
                q = q.where(HoursEntry.member_id == seer.id)
            else:
                mates = select(Member.id).where(Member.workers_council_id == place)
                q = q.where(
                    (HoursEntry.member_id == seer.id)
                    | HoursEntry.member_id.in_(mates)
                    | (HoursEntry.council_id == place)
                )
        entries = list(s.execute(q).scalars())
        ids = [e.id for e in entries] + [e.reverses_id for e in entries if e.reverses_id]
        verdicts = {
            v.entry_id: v
            for v in s.execute(select(HoursVerdict).where(HoursVerdict.entry_id.in_(ids))).scalars()
        }
        reversed_by = dict(
            s.execute(
                select(HoursEntry.reverses_id, HoursEntry.id).where(
                    HoursEntry.round_id == round_id, HoursEntry.reverses_id.is_not(None)
                )
            ).all()
        )
        out = []
        for e in entries:
            v = verdicts.get(e.reverses_id or e.id)
            out.append(
                StoredEntry(
                    id=e.id,
                    batch=e.batch_id,
                    period=e.period,
                    kind=e.kind,
                    member=handles[e.member_id],
                    workplace=names.get(e.council_id) if e.council_id else None,
                    credit=e.credit,
                    hours=e.hours,
                    reverses=e.reverses_id,
                    reason=e.reason,
                    reversed_by=reversed_by.get(e.id),
                    status=v.verdict if v is not None else "pending",
                    dispute=v.reason if v is not None else None,
                )
            )
        return out
