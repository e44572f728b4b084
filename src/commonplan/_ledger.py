"""What the append-only ledgers (production reports, hours) share: the reader of their CSV files
and the audit entry of an accepted batch.

A ledger's file has a header of known columns, some of them required; each line becomes one row
of the ledger, and a message about a line names the file and the line (counted with the header
as line 1, as an editor shows it)::

    for line in csv_lines(fh, "january.csv", what="hours", columns=COLUMNS, required=("member",)):
        line.text("member"), line.where          # 'ada', 'january.csv, line 2'
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from commonplan import audit
from commonplan.errors import PlanInputError
from commonplan.store.models import AuditEntry, HoursBatch, ReportBatch

__all__ = ["CsvLine", "csv_lines", "log_batch"]


@dataclass(frozen=True)
class CsvLine:
    """One line of a ledger's file: its fields as read, and ``where`` it stands (for messages)."""

    raw: Mapping[str, Any]
    where: str

    def text(self, key: str) -> str | None:
        """The field ``key`` without surrounding blanks; ``None`` where it is missing or empty."""
        v = self.raw.get(key)
        return None if v is None or str(v).strip() == "" else str(v).strip()


def csv_lines(
    lines: Iterable[str],
    where: str,
    *,
    what: str,
    columns: Sequence[str],
    required: Sequence[str],
) -> Iterator[CsvLine]:
    """The lines of the ``what`` file ``where`` (``lines``: a file or a list of lines), read as
    they are iterated; the header is checked at once: every ``required`` column present, and no
    column outside ``columns`` (:class:`PlanInputError` naming the file otherwise)."""
    reader = csv.DictReader(lines)
    fields = set(reader.fieldnames or ())
    missing = set(required) - fields
    if missing:
        raise PlanInputError(
            f"{where}: the {what} file needs the columns {', '.join(required)}; "
            f"missing {', '.join(sorted(missing))}"
        )
    unknown = fields - set(columns)
    if unknown:
        raise PlanInputError(
            f"{where}: unknown columns {', '.join(sorted(unknown))}; the columns are "
            f"{', '.join(columns)}"
        )
    return (CsvLine(raw, f"{where}, line {k + 2}") for k, raw in enumerate(reader))


def log_batch(
    s: Session,
    batch: ReportBatch | HoursBatch,
    ids: Sequence[int],
    *,
    actor: str,
    action: str,
    noun: str,
) -> AuditEntry:
    """The audit entry of an accepted ``batch``: its id, its number of rows, their hash, and the
    first and last of the stored rows' ``ids`` (``first_NOUN``, ``last_NOUN``)."""
    return audit.append(
        s,
        actor=actor,
        action=action,
        subject=f"round {batch.round_id}",
        payload={
            "batch": batch.id,
            "rows": len(ids),
            "rows_sha256": batch.rows_sha256,
            f"first_{noun}": ids[0],
            f"last_{noun}": ids[-1],
        },
    )
