"""The storage layer: migrations, URLs, transactions; delegates' terms."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import select

from commonplan import audit
from commonplan.errors import AuthorisationError, PlanInputError, PlanningError
from commonplan.federation import add_members, create_federation, elect_delegate, recall_delegate
from commonplan.store import Database, database_url
from commonplan.store.models import Base, Council, Federation, Member


def test_migrations_build_exactly_the_models(database_url: str) -> None:
    db = Database(database_url)
    assert db.revision() == Database.head()
    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []  # a model changed without a migration would show here
    Database(database_url)  # opening again is a no-op upgrade
    assert db.revision() == Database.head()


def test_urls() -> None:
    assert database_url("plan.db") == f"sqlite:///{Path('plan.db').resolve()}"
    assert database_url("postgresql://u:p@h/db") == "postgresql+psycopg://u:p@h/db"
    with pytest.raises(PlanInputError, match="'nonsense' is not a database"):
        Database("nonsense://somewhere")


def test_a_failed_import_adds_no_rows(database_url: str) -> None:
    db = Database(database_url)
    fed = {
        "name": "F",
        "economy": "demo",
        "councils": [{"name": "W", "kind": "workers"}, {"name": "C", "kind": "consumers"}],
    }
    create_federation(db, fed)
    rows = [{"handle": f"h{i}", "workers_council": "W", "consumers_council": "C"} for i in range(5)]
    rows.append({"handle": "bad", "workers_council": "C"})  # a consumers' council as workplace
    with pytest.raises(PlanInputError, match=r"row 6 \(bad\).*'C' is not a workers' council"):
        add_members(db, rows)
    with db.transaction() as s:
        assert s.execute(select(Member)).first() is None
    bad = {"name": "G", "economy": "demo", "floors": [{"product": "nope", "per_person": 1}]}
    with pytest.raises(PlanInputError, match="no product 'nope'"):
        create_federation(db, bad)
    with db.transaction() as s:
        assert [f.name for f in s.execute(select(Federation)).scalars()] == ["F"]
        assert audit.verify(s).entries == 1


def test_delegates_rotate_and_can_be_recalled(database_url: str) -> None:
    db = Database(database_url)
    create_federation(
        db, {"name": "F", "economy": "demo", "councils": [{"name": "W", "kind": "workers"}]}
    )
    add_members(db, [{"handle": h, "workers_council": "W" if h != "x" else ""} for h in "abx"])
    with db.transaction() as s:
        w = s.execute(select(Council.id)).scalar_one()
        ids = {m.handle: m.id for m in s.execute(select(Member)).scalars()}
    with pytest.raises(AuthorisationError, match="'x' is not in council 'W'"):
        elect_delegate(db, w, ids["x"])
    first = elect_delegate(db, w, ids["a"])
    with pytest.raises(PlanningError, match="term runs"):
        elect_delegate(db, w, ids["b"])
    recall_delegate(db, first)
    with pytest.raises(PlanningError, match="recalled already"):
        recall_delegate(db, first)
    second = elect_delegate(db, w, ids["a"], term_days=0)  # a term that ends at once
    with pytest.raises(PlanningError, match="2 terms in a row"):
        elect_delegate(db, w, ids["a"])
    assert elect_delegate(db, w, ids["b"]) > second
