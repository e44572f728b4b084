"""Fixtures shared by the whole suite.

``database_url`` runs a test twice: on SQLite (a fresh file in ``tmp_path``) and on PostgreSQL (a
fresh database, created for the test and dropped after it, on the server named by
COMMONPLAN_TEST_POSTGRES_URL).  ``scripts/pg`` installs and starts a local PostgreSQL and prints a
URL for that variable; without it the PostgreSQL runs are skipped, except under CI=true, where they
fail, so that CI cannot pass without testing PostgreSQL.  ``-m "not postgres"`` deselects them.
"""

from __future__ import annotations

import os
import re
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

POSTGRES_URL_VARIABLE = "COMMONPLAN_TEST_POSTGRES_URL"

# Per-test databases: commonplan_test_<unix time>_<random>.  Those a killed run left behind are
# dropped by a later run once they are a day old (never younger: another run may be using them).
_DATABASE_PREFIX = "commonplan_test_"
_DATABASE_NAME = re.compile(rf"^{_DATABASE_PREFIX}(\d+)_[0-9a-f]+$")
_STALE_AFTER_S = 24 * 3600


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"postgres: runs against PostgreSQL ({POSTGRES_URL_VARIABLE}, see scripts/pg)",
    )


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"true", "1"}


@pytest.fixture(scope="session")
def postgres_admin() -> Iterator[sa.Engine]:
    """An autocommit engine on COMMONPLAN_TEST_POSTGRES_URL, for creating and dropping databases."""
    raw = os.environ.get(POSTGRES_URL_VARIABLE, "").strip()
    if not raw:
        message = (
            f"{POSTGRES_URL_VARIABLE} is not set; "
            f"`export {POSTGRES_URL_VARIABLE}=$(scripts/pg)` provides a local PostgreSQL"
        )
        if _in_ci():
            pytest.fail(f"CI=true and {message}", pytrace=False)
        pytest.skip(message)
    admin = sa.create_engine(raw, isolation_level="AUTOCOMMIT", pool_pre_ping=True)
    if admin.dialect.name != "postgresql":
        pytest.fail(
            f"{POSTGRES_URL_VARIABLE} is not a PostgreSQL URL: {admin.url!r}", pytrace=False
        )
    try:
        with admin.connect() as connection:
            _drop_stale_databases(connection)
    except sa.exc.DBAPIError as exc:  # set but unusable: an error, never a skip
        pytest.fail(
            f"cannot connect to {POSTGRES_URL_VARIABLE}={admin.url!r}: {exc}", pytrace=False
        )
    yield admin
    admin.dispose()


def _drop_stale_databases(connection: sa.Connection) -> None:
    names = connection.execute(sa.text("SELECT datname FROM pg_database")).scalars().all()
    for name in names:
        match = _DATABASE_NAME.match(name)
        if match and time.time() - int(match[1]) > _STALE_AFTER_S:
            try:
                connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            except sa.exc.DBAPIError:  # another role's, or dropped meanwhile
                pass


@pytest.fixture(
    params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)],
)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of an empty database that belongs to this test alone (SQLite, then PostgreSQL)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'commonplan.db'}"
        return

    admin: sa.Engine = request.getfixturevalue("postgres_admin")
    name = f"{_DATABASE_PREFIX}{int(time.time())}_{uuid.uuid4().hex[:12]}"
    # template0: nobody is ever connected to it (template1 refuses to be copied while anyone is,
    # which parallel runs would trip over); UTF8 whatever the cluster's default (SQL_ASCII, where
    # a cluster was made without a locale, would accept any bytes).
    with admin.connect() as connection:
        try:
            connection.exec_driver_sql(
                f"CREATE DATABASE \"{name}\" TEMPLATE template0 ENCODING 'UTF8'"
            )
        except sa.exc.DBAPIError as exc:
            pytest.fail(
                f"cannot create a test database (the role in {POSTGRES_URL_VARIABLE} "
                f"needs CREATEDB): {exc}",
                pytrace=False,
            )
    try:
        yield admin.url.set(database=name).render_as_string(hide_password=False)
    finally:
        _drop(admin, name)


def _drop(admin: sa.Engine, name: str, attempts: int = 40) -> None:
    """Drop a test's database.  FORCE ends the connections the test left open (an engine never
    disposed); an autovacuum worker busy on the fresh tables cannot be ended by a role that is
    not a superuser ("insufficient privilege"), so wait for it to finish and try again."""
    for attempt in range(attempts):
        try:
            with admin.connect() as connection:
                connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            return
        except sa.exc.DBAPIError as exc:
            privilege = getattr(exc.orig, "sqlstate", None) == "42501"  # insufficient_privilege
            if not privilege or attempt == attempts - 1:
                raise
            time.sleep(0.25)
