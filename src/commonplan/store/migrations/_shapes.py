"""The shapes the revisions in ``versions/`` build their tables from: a table written as a line of
columns, with the constraint and index names of :data:`commonplan.store.models.NAMING`.

A revision calls :func:`create_table` with its columns as text, ``"name type"`` apart by commas:
the types are ``int``, ``float``, ``bool``, ``json``, ``time`` (a date and time with its zone) and
``str(N)``; a ``?`` after the type lets the column be empty, and ``-> table`` after it makes the
column a reference to that table's ``id``.  The table's key is an ``id`` integer put first, unless
``key`` names other columns.  What it writes is what the same ``op.create_table`` written out
would: the columns in their order, then the foreign keys, the primary key and the unique
constraints, then the indexes.

Not under ``versions/``: Alembic reads every module there as a revision.  A shape used here must
stay as it is while a revision uses it (a revision is history: it builds the same schema forever).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any, Literal

import sqlalchemy as sa
from alembic import op

BATCH = (
    "round_id int -> round, filed_by int -> member, filed_at time, rows int, rows_sha256 str(64)"
)
"""The columns of a batch of rows a member files for a round at once (reports, hours), with their
count and digest."""

_TYPES: dict[str, Callable[[], sa.types.TypeEngine[Any]]] = {
    "int": sa.Integer,
    "float": sa.Float,
    "bool": sa.Boolean,
    "json": sa.JSON,
    "time": lambda: sa.DateTime(timezone=True),
}
_COLUMN = re.compile(r"^(\w+) (\w+(?:\(\d+\))?)(\?)?(?: -> (\w+))?$")


def _type(name: str) -> sa.types.TypeEngine[Any]:
    sized = re.fullmatch(r"str\((\d+)\)", name)
    if sized:
        return sa.String(length=int(sized[1]))
    return _TYPES[name]()


def create_table(
    name: str,
    columns: str,
    *,
    key: Sequence[str] = ("id",),
    counted: bool = True,
    unique: Sequence[Sequence[str]] = (),
    index: Sequence[str | Sequence[str]] = (),
    refs_by_name: bool = False,
) -> sa.Table:
    """Create table ``name`` of ``columns`` (see the module) and its indexes; returns the table.

    ``key``: the primary key's columns (an ``id`` integer is added first when it is ``("id",)``
    and the columns do not name one; ``counted=False``: the database does not number it).
    ``unique``: the column lists that are unique together.  ``index``: the columns (or lists of
    columns) to index.  ``refs_by_name``: the foreign keys in the order of their columns' names
    (what ``alembic revision --autogenerate`` writes), not of the columns."""
    items: list[sa.Column[Any] | sa.Constraint] = []
    refs: list[tuple[str, str]] = []
    specs = [part.strip() for part in columns.split(",")]
    if tuple(key) == ("id",) and not any(spec.startswith("id ") for spec in specs):
        specs.insert(0, "id int")
    for spec in specs:
        found = _COLUMN.match(spec)
        if found is None:
            raise ValueError(f"table {name}: column {spec!r} is not 'name type[?] [-> table]'")
        column, kind, empty, target = found.groups()
        numbered: bool | Literal["auto"] = "auto" if counted or column not in key else False
        items.append(
            sa.Column(column, _type(kind), nullable=empty is not None, autoincrement=numbered)
        )
        if target:
            refs.append((column, target))
    for column, target in sorted(refs) if refs_by_name else refs:
        fk = op.f(f"fk_{name}_{column}_{target}")
        items.append(sa.ForeignKeyConstraint([column], [f"{target}.id"], name=fk))
    items.append(sa.PrimaryKeyConstraint(*key, name=op.f(f"pk_{name}")))
    for together in unique:
        items.append(sa.UniqueConstraint(*together, name=op.f(f"uq_{name}_{together[0]}")))
    table = op.create_table(name, *items)
    for indexed in index:
        on = [indexed] if isinstance(indexed, str) else list(indexed)
        op.create_index(op.f(f"ix_{name}_{'_'.join(on)}"), name, on, unique=False)
    return table


def drop_tables(*names: str) -> None:
    """Drop the tables ``names``, in that order, with their indexes."""
    for name in names:
        op.drop_table(name)
