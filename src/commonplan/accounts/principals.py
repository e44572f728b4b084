"""Who is asking: the :class:`Principal` a signed-in member is authorised as — their councils,
the councils whose delegate they are now, and the root federations they belong to (through
their councils, or as staff) — and :func:`roots`, the root of each federation's tree."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, bindparam, null, select, union, union_all
from sqlalchemy.orm import Session

from commonplan.accounts._clock import _aware, _now
from commonplan.store.models import Council, Delegate, Federation, Member, Staff


@dataclass(frozen=True)
class Principal:
    """The signed-in member as the service authorises them.

    ``federations``: the root federations the member belongs to — through their councils, or as
    staff (a facilitator or auditor serving a federation).  ``delegate_of``: the councils whose
    delegate the member is, for a term that runs now.
    """

    id: int
    handle: str
    name: str
    role: str
    councils: tuple[int, ...]
    delegate_of: tuple[int, ...]
    federations: frozenset[int]

    @property
    def is_facilitator(self) -> bool:
        return self.role == "facilitator"

    @property
    def is_auditor(self) -> bool:
        return self.role == "auditor"

    @property
    def is_delegate(self) -> bool:
        return bool(self.delegate_of)

    @property
    def roles(self) -> tuple[str, ...]:
        """``member`` always; ``delegate`` during a term; ``facilitator`` or ``auditor``."""
        out = ["member"]
        if self.is_delegate:
            out.append("delegate")
        if self.role != "member":
            out.append(self.role)
        return tuple(out)


def _up(nodes: Any) -> Any:
    """A recursive select of (node, ancestor, ancestor's parent) for each node of ``nodes`` (a
    select of federation ids) and every federation above it; UNION, not UNION ALL, so that even
    a cycle of parents would end."""
    start = select(
        Federation.id.label("node"), Federation.id.label("at"), Federation.parent_id.label("up")
    ).where(Federation.id.in_(nodes))
    path = start.cte("path", recursive=True)
    step = select(path.c.node, Federation.id, Federation.parent_id).join(
        path, Federation.id == path.c.up
    )
    return path.union(step)


_PATH = _up(bindparam("nodes", expanding=True))
_ROOTS = select(_PATH.c.node, _PATH.c.at).where(_PATH.c.up.is_(None))


def roots(s: Session, federations: Iterable[int]) -> set[int]:
    """The root of each federation node's tree (one query, along the paths up only; a node that
    is not there is its own root)."""
    nodes = set(federations)
    if not nodes:
        return set()
    top: dict[int, int] = {n: r for n, r in s.execute(_ROOTS, {"nodes": sorted(nodes)})}
    return {top.get(node, node) for node in nodes}


def principal(s: Session, member: Member) -> Principal:
    """The :class:`Principal` of ``member``, from their councils, staff rows and delegate terms."""
    return _principal(
        s,
        member.id,
        member.handle,
        member.name,
        member.role,
        (member.workers_council_id, member.consumers_council_id),
    )


def _principal_query() -> Any:
    path = _up(
        union(
            select(Council.federation_id).where(Council.id.in_(bindparam("own", expanding=True))),
            select(Staff.federation_id).where(Staff.member_id == bindparam("member")),
        )
    )
    none = null().cast(Delegate.term_start.type)
    return union_all(
        select(path.c.at, none, none).where(path.c.up.is_(None)),
        select(Delegate.council_id, Delegate.term_start, Delegate.term_end).where(
            Delegate.member_id == bindparam("member"), Delegate.recalled_at.is_(None)
        ),
    )


_PRINCIPAL = _principal_query()
"""The roots of the federations of a member's councils (``own``) and staff rows, with no term;
then the member's unrecalled delegate terms (council, start, end)."""


def _principal(
    s: Session | Connection,
    member: int,
    handle: str,
    name: str,
    role: str,
    councils: tuple[int | None, int | None],
) -> Principal:
    """The :class:`Principal` from the member's columns and one query: the roots of the
    federations of their councils and staff rows, and their unrecalled delegate terms."""
    own = tuple(c for c in councils if c)
    rows = s.execute(_PRINCIPAL, {"own": list(own), "member": member}).all()
    now = _now()
    return Principal(
        id=member,
        handle=handle,
        name=name,
        role=role,
        councils=own,
        delegate_of=tuple(
            sorted({c for c, a, b in rows if a is not None and _aware(a) <= now < _aware(b)})
        ),
        federations=frozenset(c for c, a, _ in rows if a is None),
    )
