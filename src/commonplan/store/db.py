"""One database: its URL, engine, schema migrations and transactions.

``Database("commonplan.db")`` opens (and creates) an embedded SQLite file; any SQLAlchemy URL —
``postgresql://user:pass@host/db`` — opens that database instead.  Opening runs the Alembic
migrations up to the newest schema unless ``upgrade=False``; a database already at the newest is
only read (one query, Alembic does not load), so opening one is cheap.

Every service step runs in one :meth:`Database.transaction`: all of it is written or none of it.
On SQLite the transaction starts with ``BEGIN IMMEDIATE`` (one writer at a time, no deadlock on
upgrade from read to write lock) on a write-ahead log with ``synchronous=FULL``, so a process
killed mid-step (kill -9) leaves the last committed state and nothing half-written.

On PostgreSQL each process keeps a pool of :data:`POOL_SIZE` connections (and up to
:data:`MAX_OVERFLOW` more for a burst; ``$COMMONPLAN_DB_POOL_SIZE``,
``$COMMONPLAN_DB_MAX_OVERFLOW``): the web service's workers × (pool + overflow) must stay below
the server's ``max_connections`` (100 unless configured).  A
connection idle for :data:`PING_AFTER` seconds is pinged before use, so one that died meanwhile
(a restarted server) is replaced unseen; one in steady use is not — a server restart under load
fails the transactions it cuts, after which the pool reconnects.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, DisconnectionError, NoSuchModuleError
from sqlalchemy.orm import Session, sessionmaker

from commonplan.errors import MissingExtraError, NotFoundError, PlanInputError, Said, said

if TYPE_CHECKING:  # alembic loads when migrations run, not with every command
    from alembic.config import Config

T = TypeVar("T")

__all__ = ["DEFAULT_PATH", "Database", "database_url", "get"]

DEFAULT_PATH = "commonplan.db"
"""The embedded database a command uses when neither ``--db`` nor ``COMMONPLAN_DB`` names one."""

MIGRATIONS = Path(__file__).parent / "migrations"


def database_url(where: str | Path | None = None) -> str:
    """A SQLAlchemy URL from a URL, a file path, ``$COMMONPLAN_DB`` or :data:`DEFAULT_PATH`.

    ``postgresql://`` is read as ``postgresql+psycopg://`` (psycopg 3, the ``postgres`` extra).
    """
    where = where if where is not None else os.environ.get("COMMONPLAN_DB", DEFAULT_PATH)
    text = str(where)
    if "://" not in text:
        return f"sqlite:///{Path(text).expanduser().resolve()}"
    try:
        url = make_url(text)
    except ArgumentError as exc:
        raise PlanInputError(
            said("not a database URL or file path: {text!r} ({exc})", text=text, exc=exc)
        ) from exc
    if url.drivername in ("postgresql", "postgres"):
        url = url.set(drivername="postgresql+psycopg")
    return url.render_as_string(hide_password=False)


class Database:
    """An engine, a session factory and the schema's migrations for one database URL."""

    def __init__(self, where: str | Path | None = None, *, upgrade: bool = True) -> None:
        self.url = database_url(where)
        try:
            self.engine = _engine(self.url)
        except NoSuchModuleError as exc:
            raise PlanInputError(
                said(
                    "{drivername!r} is not a database commonplan can use: give a file path "
                    "(SQLite) or a postgresql:// URL",
                    drivername=make_url(self.url).drivername,
                )
            ) from exc
        except ModuleNotFoundError as exc:
            raise MissingExtraError(
                said(
                    "PostgreSQL needs psycopg: pip install 'commonplan[postgres]' ({exc})", exc=exc
                )
            ) from exc
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        if upgrade:
            self.upgrade()

    def __repr__(self) -> str:
        return f"Database({make_url(self.url).render_as_string(hide_password=True)!r})"

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session inside one transaction: committed on success, rolled back on any error."""
        with self._sessions() as session, session.begin():
            yield session

    def upgrade(self, revision: str = "head") -> None:
        """Run the Alembic migrations up to ``revision`` (default: the newest); nothing to run
        when the database is at the newest already."""
        if revision == "head" and self.revision() == self.head():
            return
        from alembic import command

        with self.engine.begin() as conn:
            config = _alembic_config(self.url)
            config.attributes["connection"] = conn
            command.upgrade(config, revision)

    def revision(self) -> str | None:
        """The schema revision the database is at (``None``: empty), from Alembic's version
        table."""
        try:
            with self.engine.connect() as conn:
                query = text("SELECT version_num FROM alembic_version")
                version: str | None = conn.execute(query).scalar_one_or_none()
        except DBAPIError:  # no version table: a new database
            return None
        return version

    @staticmethod
    def head() -> str:
        """The newest schema revision this version of commonplan knows: the one no migration in
        ``migrations/versions`` revises (read from their ``revision`` lines, without Alembic)."""
        revised: dict[str, str | None] = {}
        for path in (MIGRATIONS / "versions").glob("*.py"):
            fields = dict(_REVISION_LINE.findall(path.read_text(encoding="utf-8")))
            revised[fields["revision"]] = fields.get("down_revision")
        heads = set(revised) - set(revised.values())
        assert len(heads) == 1, f"the migrations have {len(heads)} heads: {sorted(heads)}"
        return heads.pop()

    def dispose(self) -> None:
        self.engine.dispose()


_REVISION_LINE = re.compile(r"^(revision|down_revision)\b[^=]*=\s*[\"']?(\w+)", re.MULTILINE)
"""``revision: str = "0002"`` in a migration: the name and the revision (``"None"`` for none)."""


def _alembic_config(url: str) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


POOL_SIZE = 20
"""Connections a process keeps open to a server database (``$COMMONPLAN_DB_POOL_SIZE``)."""
MAX_OVERFLOW = 10
"""Further connections it may open for a burst, closed again as soon as they are returned
(``$COMMONPLAN_DB_MAX_OVERFLOW``); a request that finds all taken waits for one (30 s)."""


def _pool_setting(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise PlanInputError(
            said("${name} must be a whole number; got {raw!r}", name=name, raw=raw)
        ) from None
    if value < 0:
        raise PlanInputError(said("${name} must be 0 or more; got {value}", name=name, value=value))
    return value


PING_AFTER = 1.0
"""Seconds a pooled connection may sit unused before it is pinged on checkout (one that died
meanwhile — a restarted server, a dropped link — is replaced unseen); one in steady use is not
pinged: under load that is a round trip saved per transaction."""


def _engine(url: str) -> Engine:
    if not url.startswith("sqlite"):
        engine = create_engine(
            url,
            pool_size=max(1, _pool_setting("COMMONPLAN_DB_POOL_SIZE", POOL_SIZE)),
            max_overflow=_pool_setting("COMMONPLAN_DB_MAX_OVERFLOW", MAX_OVERFLOW),
        )

        @event.listens_for(engine, "checkin")
        def _idle_from(_dbapi_connection: Any, record: Any) -> None:
            record.info["checked_in"] = time.monotonic()

        @event.listens_for(engine, "checkout")
        def _ping_if_idle(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
            since = record.info.get("checked_in")  # none: a new connection
            if since is None or time.monotonic() - since < PING_AFTER:
                return
            try:
                engine.dialect.do_ping(dbapi_connection)
            except Exception as exc:  # the pool replaces it and tries again
                raise DisconnectionError(f"a pooled connection did not answer: {exc}") from exc

        return engine
    engine = create_engine(url, connect_args={"timeout": 60})

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves, below
        cursor = dbapi_connection.cursor()
        for pragma in ("foreign_keys=ON", "journal_mode=WAL", "synchronous=FULL"):
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


THINGS = {
    "alert": said("alert"),
    "alternative draft": said("alternative draft"),
    "council": said("council"),
    "delegate": said("delegate"),
    "federation": said("federation"),
    "hours entry": said("hours entry"),
    "member": said("member"),
    "plan": said("plan"),
    "proposal": said("proposal"),
    "report": said("report"),
    "round": said("round"),
}
"""The kinds of row :func:`get` names, said so that the pages name them in their language."""


def no_such(what: str, key: int) -> Said:
    """The words for a row that is not there: no ``what`` (one of :data:`THINGS`) with id
    ``key``."""
    return said("no {what} with id {key}", what=THINGS.get(what, what), key=key)


def get(session: Session, model: type[T], key: int, what: str) -> T:
    """The row of ``model`` with primary key ``key``, or :class:`NotFoundError` naming ``what``."""
    row = session.get(model, key)
    if row is None:
        raise NotFoundError(no_such(what, key))
    return row
