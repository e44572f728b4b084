"""How the hours ledger (:mod:`commonplan.work.hours`) stores a checked batch: its accounts, then
its entries and postings — by COPY on PostgreSQL (the references and the netting checked by the
statement triggers of migration 0004), by executemany and one netting query on SQLite.  The
module docstring of :mod:`commonplan.work.hours` says why, with the measurements."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, NamedTuple, cast

from sqlalchemy import Table, bindparam, func, insert, select, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session

from commonplan.store.models import Council, HoursAccount, HoursEntry, HoursPosting, Member
from commonplan.work._hours_rows import HoursRow


def _accounts(s: Session, federation: int, wanted: Mapping[str, dict[str, Any]]) -> dict[str, int]:
    """Account ids by key, creating the missing ones (``wanted``: key → column values)."""
    have = dict(
        s.execute(
            select(HoursAccount.key, HoursAccount.id).where(
                HoursAccount.federation_id == federation
            )
        ).all()
    )
    missing = [{"key": k, "federation_id": federation, **v} for k, v in wanted.items()]
    missing = [m for m in missing if m["key"] not in have]
    if missing and s.get_bind().dialect.name == "postgresql":
        # one INSERT … SELECT unnest(array) per column: 10^4 accounts in 0.1 s, not 1 s
        table = cast(Table, HoursAccount.__table__)
        names = ["key", "federation_id", "kind", "member_id", "council_id", "credit"]
        rows = select(
            *[
                func.unnest(
                    bindparam(c, [m[c] for m in missing], type_=ARRAY(table.c[c].type))
                ).label(c)
                for c in names
            ]
        )
        made = insert(table).from_select(names, rows).returning(table.c.key, table.c.id)
        have.update({key: id_ for key, id_ in s.execute(made)})
    elif missing:
        for key, id_ in s.execute(
            insert(HoursAccount).returning(
                HoursAccount.key, HoursAccount.id, sort_by_parameter_order=True
            ),
            missing,
        ):
            have[key] = id_
    return have


def _member_account(m: int) -> tuple[str, dict[str, Any]]:
    return f"member {m}", {"kind": "member", "member_id": m, "council_id": None, "credit": None}


def _other_account(fed: int, council: int | None, credit: str | None) -> tuple[str, dict[str, Any]]:
    if council is not None:
        return f"workplace {council}", {
            "kind": "workplace",
            "member_id": None,
            "council_id": council,
            "credit": None,
        }
    return f"credit {fed} {credit}", {
        "kind": "credit",
        "member_id": None,
        "council_id": None,
        "credit": credit,
    }


_NULL = "\\N"  # NULL in COPY's text format


def _copy_text(value: Any) -> str:
    """A value as a field of PostgreSQL's COPY text format."""
    if value is None:
        return _NULL
    out = str(value)
    if "\\" in out or "\t" in out or "\n" in out or "\r" in out:
        out = (
            out.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
        )
    return out


_COPY_CHUNK = 100_000
_ANALYZE_AFTER = 10_000
"""A batch of this many rows or more refreshes the planner's statistics of entries and postings
(and accounts: ANALYZE samples 30,000 rows a table, a fraction of a second)."""


def _copy(s: Session, table: str, columns: Sequence[str], lines: Iterable[str]) -> None:
    """``COPY table (columns) FROM STDIN`` (text format) on the session's own connection, inside
    its transaction; ``lines`` each end in a newline."""
    import psycopg

    raw = s.connection().connection.driver_connection
    assert raw is not None
    statement = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
    try:
        with raw.cursor() as cur, cur.copy(statement) as copy:
            chunk: list[str] = []
            for line in lines:
                chunk.append(line)
                if len(chunk) == _COPY_CHUNK:
                    copy.write("".join(chunk).encode())
                    chunk = []
            if chunk:
                copy.write("".join(chunk).encode())
    except psycopg.Error as exc:  # as SQLAlchemy raises it (IntegrityError for a trigger's refusal)
        raise DBAPIError.instance(statement, None, exc, psycopg.Error) from exc


class _Checked(NamedTuple):
    """A checked batch, row by row: the rows, each row's member and workplace (``None`` for a
    credit), and the accounts its two legs post to (the member's, the other one)."""

    rows: Sequence[HoursRow]
    who: Sequence[Member]
    where: Sequence[Council | None]
    mine: Sequence[int]
    theirs: Sequence[int]


def _store_postgresql(s: Session, round_id: int, batch: int, checked: _Checked) -> list[int]:
    """The batch's entries and postings, by two COPYs; returns the entries' ids in row order.

    The ids are taken from the entries' sequence up front (one ``nextval`` per row, in one
    statement), so the postings name their entries without reading them back.  The statement
    triggers of migration 0004 then check every reference and that each entry nets to zero."""
    rows, who, where, mine, theirs = checked
    n = len(rows)
    # a block of n ids: safe because record_hours holds a lock on hours_entry that every INSERT
    # into it waits for (see there), so no other nextval of this sequence runs in between
    last = s.execute(
        text(
            "SELECT setval(seq, nextval(seq) + :n - 1) "
            "FROM pg_get_serial_sequence('hours_entry', 'id') AS seq"
        ),
        {"n": n},
    ).scalar_one()
    ids = range(last - n + 1, last + 1)
    head = f"{round_id}\t{batch}\t"
    fields: dict[Any, str] = {None: _NULL}  # period and credit texts, each made once

    def field(value: Any) -> str:
        got = fields.get(value)
        if got is None:
            got = fields[value] = _copy_text(value)
        return got

    def entries() -> Iterator[str]:
        for i, row, member, place in zip(ids, rows, who, where, strict=True):
            age = _NULL if row.age is None else str(int(row.age))
            note = _NULL if row.note is None else _copy_text(row.note)
            if place is None:
                kind = f"credit\t{member.id}\t{_NULL}\t{field(row.credit)}"
            else:
                kind = f"work\t{member.id}\t{place.id}\t{_NULL}"
            yield f"{i}\t{head}{field(row.period)}\t{kind}\t{float(row.hours)!r}\t{age}\t{note}\n"

    _copy(
        s,
        "hours_entry",
        (
            "id",
            "round_id",
            "batch_id",
            "period",
            "kind",
            "member_id",
            "council_id",
            "credit",
            "hours",
            "age",
            "note",
        ),
        entries(),
    )

    def legs() -> Iterator[str]:
        for i, row, a, b in zip(ids, rows, mine, theirs, strict=True):
            h = repr(float(row.hours))
            yield f"{i}\t{a}\t{h}\n{i}\t{b}\t-{h}\n"

    _copy(s, "hours_posting", ("entry_id", "account_id", "hours"), legs())
    return list(ids)


def _store_sqlite(s: Session, round_id: int, batch: int, checked: _Checked) -> list[int]:
    """The batch's entries and postings by two executemany INSERTs (SQLite's driver runs them in
    C); then the netting of every entry checked by one GROUP BY, as PostgreSQL's trigger does."""
    rows, who, where, mine, theirs = checked
    conn = s.connection()
    conn.execute(
        insert(HoursEntry),
        [
            {
                "round_id": round_id,
                "batch_id": batch,
                "period": row.period,
                "kind": "work" if place is not None else "credit",
                "member_id": member.id,
                "council_id": place.id if place is not None else None,
                "credit": row.credit,
                "hours": float(row.hours),
                "age": row.age,
                "note": row.note,
            }
            for row, member, place in zip(rows, who, where, strict=True)
        ],
    )
    ids = list(
        s.execute(
            select(HoursEntry.id).where(HoursEntry.batch_id == batch).order_by(HoursEntry.id)
        ).scalars()
    )
    conn.execute(
        insert(HoursPosting),
        [
            {"entry_id": i, "account_id": a, "hours": float(row.hours)}
            for i, row, a in zip(ids, rows, mine, strict=True)
        ]
        + [
            {"entry_id": i, "account_id": b, "hours": -float(row.hours)}
            for i, row, b in zip(ids, rows, theirs, strict=True)
        ],
    )
    _nets_to_zero(s, ids[0], ids[-1])
    return ids


def _nets_to_zero(s: Session, first: int, last: int) -> None:
    """Refuse (IntegrityError) entries ``first``..``last`` unless each has two postings or more
    summing to zero — on SQLite; on PostgreSQL the postings' statement trigger checks it."""
    bad = s.execute(
        select(HoursPosting.entry_id)
        .where(HoursPosting.entry_id.between(first, last))
        .group_by(HoursPosting.entry_id)
        .having(
            (func.count() < 2)
            | (
                func.abs(func.sum(HoursPosting.hours))
                > 1e-9 * func.max(1.0, func.sum(func.abs(HoursPosting.hours)))
            )
        )
        .limit(1)
    ).scalar()
    if bad is not None:
        raise IntegrityError(
            "hours postings", None, Exception(f"hours entry {bad}: its postings do not sum to zero")
        )


def _analyze(s: Session) -> None:
    """Statistics now, not when autovacuum comes by: planned for the empty tables they were, the
    balances' joins go by nested loops (34 s for 20,000 rows, not 0.1 s; with the accounts
    unanalysed, 0.5 s of index lookups for 10^6 postings)."""
    s.execute(text("ANALYZE hours_entry, hours_posting, hours_account"))
