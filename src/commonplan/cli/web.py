"""The ``commonplan`` commands of the web service: ``serve``, ``db upgrade`` and ``account``.

    commonplan serve --db plan.db --port 8000
    commonplan db upgrade --db postgresql://planner@db/plan
    commonplan account invite ada
    commonplan account reset ada
    commonplan account set-password ada
    commonplan account staff ada 1

The web libraries (FastAPI, uvicorn, argon2) are imported inside the commands; without them the
command names the extra to install.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from commonplan.cli._common import (
    DbOpt,
    JsonOpt,
    SystemAsOpt,
    argument,
    database,
    echo_json,
    group,
    say,
)
from commonplan.errors import MissingExtraError, PlanInputError

__all__ = ["register"]

db_app = group("db", "The database: schema migrations.")
account_app = group("account", "Accounts of the web service: invitations, passwords, staff.")
HandleArg = Annotated[str, argument("HANDLE", "The member's handle.")]


def register(app: typer.Typer) -> None:
    """Add ``serve``, ``db`` and ``account`` to the ``commonplan`` command."""
    app.command("serve")(serve)
    app.add_typer(db_app)
    app.add_typer(account_app)


def _web() -> None:
    try:
        import argon2  # noqa: F401
        import fastapi  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError as exc:
        raise MissingExtraError(
            f"the web service needs its extra: pip install 'commonplan[web]' ({exc})"
        ) from None


BOOTSTRAP = """\
No facilitator can sign in yet.  To create the first one:

  1. add them (a CSV row with role facilitator; the council columns may stay empty):
       printf 'handle,name,role\\nada,Ada,facilitator\\n' > first.csv
       commonplan members add first.csv{db}
  2. print their invitation token and give it to them:
       commonplan account invite ada{db}
     (or set the password here: commonplan account set-password ada{db})
  3. signed in, they create the federation (POST /api/v1/federations) and import the
     members; a facilitator of an existing federation is added with
       commonplan account staff ada FEDERATION_ID{db}
"""


LOCAL_SERVICE = "http://127.0.0.1:8000"
"""Where ``commonplan serve`` is reached with its defaults: invitation links point there when no
base URL is set."""


def serve(
    db: DbOpt = None,
    host: Annotated[str, typer.Option("--host", help="The address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="The port to listen on.")] = 8000,
    workers: Annotated[
        int,
        typer.Option(
            "--workers",
            min=1,
            help="Worker processes (sessions and the rate "
            "limit live in the database, so any number works).",
        ),
    ] = 1,
    base_url: Annotated[
        str,
        typer.Option(
            "--base-url",
            envvar="COMMONPLAN_BASE_URL",
            help="Where people reach the service (https://plan.example.org): invitation links "
            "are built on it, and only its host is answered. Required unless --host is a "
            "loopback address (then http://HOST:PORT).",
        ),
    ] = "",
) -> None:
    """Run the web service (the REST API under /api/v1, its docs at /api/docs).

    The database's migrations run first.  Behind a reverse proxy that terminates https, the
    session cookie is marked Secure (the proxy's X-Forwarded-Proto is trusted from 127.0.0.1).
    On PostgreSQL each worker keeps $COMMONPLAN_DB_POOL_SIZE connections open (default 20) and
    opens up to $COMMONPLAN_DB_MAX_OVERFLOW more in a burst (10): keep workers × their sum below
    the server's max_connections.

    Example:

        commonplan serve --db plan.db --port 8000
    """
    _web()
    import uvicorn
    from sqlalchemy import func, select

    from commonplan.accounts import LOOPBACK, hosts_of
    from commonplan.errors import PlanInputError
    from commonplan.store.models import Member

    if not base_url:
        if host not in LOOPBACK:
            raise PlanInputError(
                f"serving on {host} needs --base-url (or $COMMONPLAN_BASE_URL): the address "
                "people reach the service at, e.g. https://plan.example.org; invitation links "
                "are built on it and no other Host header is answered"
            )
        base_url = f"http://{host}:{port}"
    base_url = base_url.strip().rstrip("/")
    hosts_of(base_url)  # refused here, before anything starts, if it is not a URL

    with database(db) as d:
        url = d.url
        with d.transaction() as s:
            ready = s.execute(
                select(func.count()).where(
                    Member.role == "facilitator", Member.password_hash.is_not(None)
                )
            ).scalar_one()
        shown = repr(d)
    if not ready:
        typer.echo(BOOTSTRAP.format(db=f" --db {db}" if db else ""), err=True)
    typer.echo(
        f"commonplan serves {shown} on http://{host}:{port}/ as {base_url}/ (API docs: /api/docs)",
        err=True,
    )
    os.environ["COMMONPLAN_DB"] = url
    os.environ["COMMONPLAN_BASE_URL"] = base_url
    uvicorn.run(
        "commonplan.web.app:from_env",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        proxy_headers=True,
        log_level="info",
    )


@db_app.command("upgrade")
def db_upgrade(db: DbOpt = None) -> None:
    """Run the schema migrations up to the newest (opening the database does it too).

    Example:

        commonplan db upgrade --db postgresql://planner@localhost/plan
    """
    from commonplan.store import Database

    with database(db) as d:
        d.upgrade()
        revision, shown = d.revision(), repr(d)
    say(f"database {shown} is at schema revision {revision} (newest: {Database.head()})")


@account_app.command("invite")
def account_invite(
    handle: HandleArg, actor: SystemAsOpt = "system", db: DbOpt = None, as_json: JsonOpt = False
) -> None:
    """Print a one-time invitation with which HANDLE, who has no password yet, sets one (valid
    for a week).

    Example:

        commonplan account invite ada
    """
    _issue(handle, actor, db, as_json, reset=False)


@account_app.command("invite-many")
def account_invite_many(
    rows: Annotated[
        Path,
        argument(
            "FILE", "A CSV with a handle column (a members file will do), or a handle a line."
        ),
    ],
    actor: SystemAsOpt = "system",
    db: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Invitations for every member in FILE at once, all or none: a line per member with the
    link to give them (shown once, valid for a week).

    Example:

        commonplan account invite-many members.csv > links.txt
    """
    _web()
    from commonplan import accounts as auth

    handles = _handles(rows)
    settings = auth.Settings.from_env()
    with database(db) as d:
        made = auth.invite_many(d, handles, actor=actor, settings=settings)
    base = settings.base_url or LOCAL_SERVICE
    if as_json:
        echo_json([{"handle": i.handle, "url": f"{base}/invitation#{i.token}"} for i in made])
        return
    for i in made:
        typer.echo(f"{i.handle}\t{base}/invitation#{i.token}")


def _handles(path: Path) -> list[str]:
    """The handles in a CSV with a ``handle`` column, or one a line."""
    import csv

    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise PlanInputError(f"cannot read {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise PlanInputError(f"{path}: not UTF-8 text") from None
    header = next(csv.reader(lines[:1]), [])
    if "handle" in [h.strip() for h in header]:
        return [row["handle"] for row in csv.DictReader(lines) if (row.get("handle") or "").strip()]
    return [line for line in lines if line.strip()]


@account_app.command("reset")
def account_reset(
    handle: HandleArg, actor: SystemAsOpt = "system", db: DbOpt = None, as_json: JsonOpt = False
) -> None:
    """Print a one-time password reset for HANDLE (valid for a week; audit-logged, and told to
    them at their next sign-in).

    Example:

        commonplan account reset ada
    """
    _issue(handle, actor, db, as_json, reset=True)


def _issue(handle: str, actor: str, db: str | None, as_json: bool, *, reset: bool) -> None:
    _web()
    from commonplan import accounts as auth

    settings = auth.Settings.from_env()
    issue = auth.reset_password if reset else auth.invite
    with database(db) as d:
        token = issue(d, handle, actor=actor, settings=settings)
    base = settings.base_url or LOCAL_SERVICE
    url = f"{base}/invitation#{token}"
    if as_json:
        echo_json({"handle": handle, "token": token, "url": url})
        return
    what = "password reset" if reset else "invitation"
    say(f"{what} for {handle!r} (shown once, valid for 7 days):\n  link:  {url}\n  token: {token}")
    if not settings.base_url:
        say(
            f"  (the link is for a service on this machine, {LOCAL_SERVICE}; set "
            "COMMONPLAN_BASE_URL to where members reach yours)"
        )
    say("they open the link and set a password (or POST /api/v1/auth/invitations/accept)")


@account_app.command("set-password")
def account_set_password(
    handle: HandleArg,
    actor: SystemAsOpt = "system",
    db: DbOpt = None,
    stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
) -> None:
    """Set HANDLE's password (asked twice, not shown); their sessions end.

    Example:

        commonplan account set-password ada
    """
    _web()
    from commonplan import accounts as auth

    if stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = typer.prompt("password", hide_input=True, confirmation_prompt=True)
    with database(db) as d:
        auth.set_password(d, handle, password, actor=actor)
    say(f"password of {handle!r} set")


@account_app.command("staff")
def account_staff(
    handle: HandleArg,
    federation: Annotated[int, argument("FEDERATION", "The federation's id.")],
    actor: SystemAsOpt = "system",
    db: DbOpt = None,
) -> None:
    """Let a facilitator or auditor serve FEDERATION (its whole tree) without a council.

    Example:

        commonplan account staff ada 1
    """
    _web()
    from commonplan import accounts as auth

    with database(db) as d:
        auth.add_staff(d, handle, federation, actor=actor)
    say(f"{handle!r} serves federation {federation}")
