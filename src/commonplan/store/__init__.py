"""Storage: SQLAlchemy 2 models, Alembic migrations; a SQLite file by default, PostgreSQL by URL."""

from commonplan.store.db import DEFAULT_PATH, Database, database_url, get

__all__ = ["DEFAULT_PATH", "Database", "database_url", "get"]
