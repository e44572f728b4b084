"""The database_url fixture (tests/conftest.py): every test that asks for it gets an empty,
writable database of its own, on SQLite and on PostgreSQL, and loses it afterwards."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack

import pytest
import sqlalchemy as sa

metadata = sa.MetaData()
notes = sa.Table(
    "notes",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("text", sa.Unicode(200), nullable=False),
)


@pytest.fixture
def engine(database_url: str) -> Iterator[sa.Engine]:
    engine = sa.create_engine(database_url)
    yield engine
    engine.dispose()


def _backend(request: pytest.FixtureRequest) -> str:
    backend: str = request.node.callspec.params["database_url"]
    return backend


def test_the_url_is_of_the_backend_in_the_test_id(
    request: pytest.FixtureRequest, engine: sa.Engine
) -> None:
    assert engine.dialect.name == _backend(request)
    with engine.connect() as connection:
        assert connection.execute(sa.select(sa.literal(1) + 1)).scalar_one() == 2
        if engine.dialect.name == "postgresql":
            encoding = connection.exec_driver_sql("SHOW server_encoding").scalar_one()
            assert encoding == "UTF8"


def test_database_is_empty_and_writable(engine: sa.Engine) -> None:
    assert sa.inspect(engine).get_table_names() == []
    metadata.create_all(engine)
    rows = [{"id": 1, "text": "grain"}, {"id": 2, "text": "Ålesund — 10 € · 電力"}]
    with engine.begin() as connection:
        connection.execute(notes.insert(), rows)
    # A new engine (new connections) sees what was committed: it is on disk, not in a session.
    other = sa.create_engine(engine.url)
    try:
        with other.connect() as connection:
            got = connection.execute(sa.select(notes).order_by(notes.c.id)).mappings().all()
        assert [dict(row) for row in got] == rows
        assert sa.inspect(other).get_table_names() == ["notes"]
    finally:
        other.dispose()


@pytest.mark.parametrize("turn", [1, 2])
def test_each_test_gets_its_own_database(engine: sa.Engine, turn: int) -> None:
    # Each turn (and each backend) makes the same table: were any two given one database, the
    # later would find the earlier's table (and its row) here, whatever order they run in.
    assert sa.inspect(engine).get_table_names() == []
    metadata.create_all(engine)
    with engine.begin() as connection:
        connection.execute(notes.insert(), {"id": 1, "text": f"turn {turn}"})
    with engine.connect() as connection:
        assert connection.execute(sa.select(notes.c.text)).scalars().all() == [f"turn {turn}"]


class Boom(Exception):
    pass


def test_transaction_rolls_back_on_error(engine: sa.Engine) -> None:
    metadata.create_all(engine)
    with engine.begin() as connection:
        connection.execute(notes.insert(), {"id": 1, "text": "kept"})
    with pytest.raises(Boom), engine.begin() as connection:
        connection.execute(notes.insert(), {"id": 2, "text": "rolled back"})
        connection.execute(notes.update().where(notes.c.id == 1).values(text="changed"))
        assert connection.execute(sa.select(sa.func.count()).select_from(notes)).scalar_one() == 2
        raise Boom
    with engine.connect() as connection:
        got = connection.execute(sa.select(notes.c.id, notes.c.text)).all()
    assert [tuple(row) for row in got] == [(1, "kept")]


def test_a_failed_statement_rolls_back_the_whole_transaction(engine: sa.Engine) -> None:
    metadata.create_all(engine)
    with pytest.raises(sa.exc.IntegrityError), engine.begin() as connection:
        connection.execute(notes.insert(), {"id": 1, "text": "first"})
        connection.execute(notes.insert(), {"id": 1, "text": "same key"})
    with engine.connect() as connection:
        assert connection.execute(sa.select(sa.func.count()).select_from(notes)).scalar_one() == 0


class Afterwards:
    """What a test leaves for the fixture below: its URL, and what to close once it is checked."""

    def __init__(self) -> None:
        self.urls: list[str] = []
        self.cleanup = ExitStack()


@pytest.fixture
def postgres_database_is_dropped(request: pytest.FixtureRequest) -> Iterator[Afterwards]:
    """Set up before database_url, so torn down after it: its PostgreSQL database must be gone."""
    afterwards = Afterwards()
    admin: sa.Engine | None = None
    if _backend(request) == "postgresql":
        admin = request.getfixturevalue("postgres_admin")
    with afterwards.cleanup:
        yield afterwards
        if admin is not None:
            assert afterwards.urls, "the test did not record its URL"
            names = [sa.make_url(url).database for url in afterwards.urls]
            with admin.connect() as connection:
                left = connection.execute(
                    sa.text("SELECT datname FROM pg_database WHERE datname = ANY(:names)"),
                    {"names": names},
                ).all()
            assert left == [], f"test databases not dropped: {left}"


def test_postgres_database_is_dropped_afterwards_even_with_connections_open(
    postgres_database_is_dropped: Afterwards, database_url: str
) -> None:
    afterwards = postgres_database_is_dropped
    afterwards.urls.append(database_url)
    engine = sa.create_engine(database_url)
    afterwards.cleanup.callback(engine.dispose)
    # Left open through database_url's teardown on purpose: the drop must not wait for it.
    connection = engine.connect()
    afterwards.cleanup.callback(connection.close)
    afterwards.cleanup.callback(connection.invalidate)  # first: the server has ended it
    assert connection.execute(sa.select(sa.literal(1))).scalar_one() == 1
    if engine.dialect.name == "postgresql":
        name = connection.exec_driver_sql("SELECT current_database()").scalar_one()
        assert name == sa.make_url(database_url).database
