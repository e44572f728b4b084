"""Start-up: ``import commonplan``, ``commonplan --help`` and opening a database stay cheap.

Each check runs in a fresh interpreter, since this test process has long imported everything.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from alembic.config import Config
from alembic.script import ScriptDirectory

from commonplan.store import Database
from commonplan.store.db import MIGRATIONS

HEAVY = ("numpy", "scipy", "numba", "pandas", "sqlalchemy", "plotly", "alembic")


def loaded_after(code: str, cwd: Path | None = None) -> set[str]:
    """The top-level packages of ``HEAVY`` a fresh interpreter has loaded after running ``code``."""
    probe = f"""
import json, sys
{code}
print(json.dumps(sorted({{m.split(".")[0] for m in sys.modules}} & {set(HEAVY)!r})))
"""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, env=env, cwd=cwd, check=True
    )
    return set(json.loads(done.stdout.splitlines()[-1]))


def test_importing_commonplan_and_its_command_loads_no_heavy_library() -> None:
    assert loaded_after("import commonplan") == set()
    assert loaded_after("import commonplan.cli") == set()


def test_help_loads_no_heavy_library() -> None:
    code = """
from commonplan.cli import app
for args in (["--help"], ["vote", "cast", "--help"], ["optimize", "--help"]):
    try:
        app(args, prog_name="commonplan")
    except SystemExit as exc:
        assert exc.code == 0, exc.code
"""
    assert loaded_after(code) == set()


def test_the_newest_revision_is_alembics_head() -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    assert Database.head() == ScriptDirectory.from_config(config).get_current_head()


def test_a_database_at_the_newest_revision_opens_without_alembic(tmp_path: Path) -> None:
    path = tmp_path / "plan.db"
    Database(path).dispose()  # created and migrated
    code = f"""
from commonplan.store import Database
db = Database({str(path)!r})
assert db.revision() == Database.head()
"""
    assert "alembic" not in loaded_after(code)


def test_an_older_database_is_still_migrated(database_url: str) -> None:
    old = Database(database_url, upgrade=False)
    assert old.revision() is None
    old.upgrade("0001")
    assert old.revision() == "0001" != Database.head()
    old.dispose()
    db = Database(database_url)
    assert db.revision() == Database.head()
    db.dispose()
