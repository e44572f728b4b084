"""The application factory: ``create_app(db_url)`` → a FastAPI app with the REST API under
``/api/v1`` (OpenAPI at ``/openapi.json``, docs at ``/api/docs``, Swagger UI served from the
installed ``fastapi-offline`` package, never a CDN), the error mapping, and in front of
everything the guards of :mod:`commonplan.web.guard` (security headers, the trusted hosts, the
body caps)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import fastapi_offline  # type: ignore[import-untyped]
from fastapi import FastAPI
from fastapi.responses import FileResponse, HTMLResponse
from fastapi.staticfiles import StaticFiles
from starlette.middleware.trustedhost import TrustedHostMiddleware

from commonplan import __version__
from commonplan.accounts import Settings
from commonplan.store import Database
from commonplan.web import errors, guard
from commonplan.web.api import router as api_router
from commonplan.web.api import tags
from commonplan.web.ballot_path import BallotPath

__all__ = ["API_PREFIX", "create_app", "from_env"]

API_PREFIX = "/api/v1"


def create_app(
    db_url: str | Path | Database | None = None, *, settings: Settings | None = None
) -> FastAPI:
    """The commonplan web application on the database ``db_url`` (a SQLite path, a
    ``postgresql://`` URL, an open :class:`~commonplan.store.Database`, or ``None``:
    ``$COMMONPLAN_DB``, else ``commonplan.db``); the migrations run when it opens.

    ``settings`` default to :meth:`Settings.from_env`.  ``app.state`` holds ``db`` and
    ``settings``; the pages add their routes to the returned app.
    """
    db = db_url if isinstance(db_url, Database) else Database(db_url)
    owned = not isinstance(db_url, Database)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        if owned:
            db.dispose()

    app = FastAPI(
        title="commonplan",
        version=__version__,
        summary="Democratic economic planning: councils propose, the engine plans, members vote.",
        description=(
            "Sign in with `POST /api/v1/auth/sign-in`; send the token as "
            "`Authorization: Bearer TOKEN` (or use the session cookie, with the CSRF token in "
            "`X-CSRF-Token` on requests that change something).  Errors answer "
            '`{"error": kind, "detail": message}`.'
        ),
        openapi_tags=tags,
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.db = db
    app.state.settings = settings if settings is not None else Settings.from_env()
    app.state.render_error = None
    errors.install(app)
    app.add_middleware(BallotPath, db=db, settings=app.state.settings, prefix=API_PREFIX)
    app.add_middleware(guard.CompressAssets)
    app.add_middleware(guard.BodyLimit)  # (the last added is the outermost)
    app.add_middleware(TrustedHostMiddleware, allowed_hosts=list(app.state.settings.allowed_hosts))
    app.add_middleware(guard.SecurityHeaders)
    guard.install_access_log_filter()
    app.include_router(api_router, prefix=API_PREFIX)
    _docs(app)
    from commonplan.web import pages  # (imported here: the pages load jinja2 and plotly)

    pages.install(app)
    return app


SWAGGER = Path(fastapi_offline.__file__).parent / "static"
"""Swagger UI's files, as the installed ``fastapi-offline`` package ships them."""
DOCS_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>commonplan API</title>
<link rel="icon" href="/favicon.ico">
<link rel="stylesheet" href="/vendor/swagger/swagger-ui.css">
</head>
<body>
<div id="swagger-ui" data-openapi="/openapi.json"></div>
<script src="/vendor/swagger/swagger-ui-bundle.js"></script>
<script src="/static/api-docs.js"></script>
</body>
</html>
"""
FAVICON = Path(__file__).parent / "static" / "favicon.ico"


def _docs(app: FastAPI) -> None:
    """``/api/docs`` (no inline script: the CSP allows none), Swagger UI's files, and
    ``/favicon.ico``."""

    @app.get("/api/docs", include_in_schema=False)
    async def docs() -> HTMLResponse:
        return HTMLResponse(DOCS_PAGE)

    @app.get("/favicon.ico", include_in_schema=False)
    async def favicon() -> FileResponse:
        return FileResponse(
            FAVICON, media_type="image/x-icon", headers={"Cache-Control": "public, max-age=86400"}
        )

    app.mount("/vendor/swagger", StaticFiles(directory=str(SWAGGER)), name="swagger")


def from_env() -> FastAPI:
    """``create_app()`` on ``$COMMONPLAN_DB`` with settings from the environment (the factory
    ``commonplan serve`` gives uvicorn, so that every worker builds its own app)."""
    return create_app()
