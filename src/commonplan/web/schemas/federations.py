"""The API's bodies for federations: their councils, delegates, floors and members."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field
from pydantic.dataclasses import dataclass

from commonplan.members import MemberStatus
from commonplan.web.schemas._base import Handle, Instant, _In

__all__ = [
    "CouncilCreate",
    "CouncilPublic",
    "DelegateCreate",
    "DelegatePublic",
    "FederationCreate",
    "FederationPublic",
    "FloorCreate",
    "InvitationsCreate",
    "MemberCreate",
    "MemberStatusPublic",
    "MembersAdded",
    "NodeCreate",
    "Number",
    "RoundSettings",
]

Number = float


class FloorCreate(_In):
    product: str = Field(max_length=100)
    per_person: float = Field(ge=0, allow_inf_nan=False)
    need: str = Field(default="food", max_length=50)


class CouncilCreate(_In):
    name: str = Field(min_length=1, max_length=200)
    kind: Literal["workers", "consumers"]
    processes: list[str] = Field(default_factory=list, max_length=1000)


class DelegateCreate(_In):
    """The council's decision: who is its delegate, for how long."""

    handle: str = Field(min_length=1, max_length=100)
    term_days: int = Field(default=365, ge=1, le=3650)


class DelegatePublic(BaseModel):
    """A delegate's term: ``serving`` while it runs and nobody recalled it."""

    id: int
    council: int
    handle: str
    term_start: Instant
    term_end: Instant
    recalled_at: Instant | None
    serving: bool


class RoundSettings(_In):
    quorum: float | None = Field(default=None, ge=0, le=1)
    threshold: float | None = Field(default=None, ge=0, le=1)
    strict: bool | None = None
    ratification: Literal["approval", "consent"] | None = None
    max_rounds: int | None = Field(default=None, ge=1, le=100)
    collective_share: float | None = Field(default=None, ge=0, le=1)
    caps: dict[str, float | str] | None = None
    mes_utility: Literal["cost", "approval"] | None = None
    tie_break: Literal["lexicographic"] | None = None


class NodeCreate(_In):
    name: str = Field(min_length=1, max_length=200)
    level: str = Field(default="federation", max_length=50)
    councils: list[CouncilCreate] = Field(default_factory=list, max_length=10_000)
    children: list[NodeCreate] = Field(default_factory=list, max_length=10_000)


class FederationCreate(NodeCreate):
    """A federation tree, as in the YAML description of ``commonplan federation create``."""

    economy: str = Field(
        default="demo", max_length=500, description="One the server offers, e.g. demo"
    )
    people_per_member: float = Field(default=1.0, gt=0, allow_inf_nan=False)
    default_hours: float = Field(default=1600.0, ge=0, le=8760)
    floors: list[FloorCreate] = Field(default_factory=list, max_length=10_000)
    rounds: RoundSettings = RoundSettings()

    def description(self) -> dict[str, Any]:
        data = self.model_dump(exclude_none=True)
        data["rounds"] = self.rounds.model_dump(exclude_none=True)
        return data


class CouncilPublic(BaseModel):
    id: int
    name: str
    kind: str
    federation: int
    processes: list[str]
    members: int | None = None


class FederationPublic(BaseModel):
    """A node of the tree with its councils and children; the root carries its settings."""

    id: int
    name: str
    level: str
    parent: int | None
    settings: dict[str, Any] | None = None
    councils: list[CouncilPublic] = Field(default_factory=list)
    children: list[FederationPublic] = Field(default_factory=list)


@dataclass(frozen=True)
class MemberStatusPublic(MemberStatus):
    """A member as a facilitator keeps track of them: ``account`` is ``active`` (a password
    set), ``invited``, ``invitation expired`` or ``not invited``; ``voted``: whether they cast
    a ballot in the round asked about (null where none was) — who voted, never how."""


class InvitationsCreate(_In):
    """Invitations for many members at once, all or none (a refusal names the line: 1 is the
    first handle)."""

    handles: list[Annotated[str, Field(min_length=1, max_length=100)]] = Field(
        min_length=1, max_length=10_000
    )


class MemberCreate(_In):
    handle: str = Handle
    name: str | None = Field(default=None, max_length=200)
    workers_council: str | None = Field(default=None, max_length=200)
    consumers_council: str | None = Field(default=None, max_length=200)
    role: Literal["member", "facilitator", "auditor"] = "member"


class MembersAdded(BaseModel):
    added: int
