"""The server-rendered pages: sign in, a member's home, proposals, the draft plan with charts, the
ballot, results and history, finding one's ballot, and the facilitators' pages.

:func:`commonplan.web.create_app` calls :func:`install`, which adds the routes, ``/static``,
the vendored plotly.js, and ``app.state.render_error`` so that errors outside ``/api/`` are HTML
pages.  The pages read through :mod:`commonplan.web.public` and act through
:mod:`commonplan.web.acts` — as the REST API does, so authorisation, validation and messages are
the API's — and otherwise call the domain: a page turns form fields into the schemas' bodies and
renders what comes back.

Every page works without JavaScript (plain forms carrying the CSRF token); charts are drawn by
plotly.js where it runs and listed as text under each chart.  Every word on the pages comes from
:mod:`commonplan.web.text`.

Modules, by page family: ``_base`` (the router, rendering, CSRF-carrying forms, shared reads),
``account`` (sign in and out, invitations), ``home``, ``rounds`` (proposals), ``plans`` (the
plan page: what it means for me and for everyone), ``ballots`` (the vote, the receipt),
``results`` (result, history, finding one's ballot) and ``federation`` (the facilitators' set-up
pages and steps), ``people`` (the member list, invitations for many); after the vote,
``reports`` (the ledger per period, the report form), ``alerts``, ``hours`` (a member's, a
workplace's) and ``dashboard`` (the running plan watched), with ``_running`` (numbers, product
names, periods, multi-row forms).
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from commonplan.web.pages import (
    account,
    alerts,
    ballots,
    dashboard,
    federation,
    home,
    hours,
    people,
    plans,
    reports,
    results,
    rounds,
)
from commonplan.web.pages._base import PLOTLY_JS, STATIC, render_error, router

__all__ = ["PLOTLY_JS", "install", "render_error", "router"]

MODULES = (
    account,
    home,
    rounds,
    plans,
    ballots,
    results,
    federation,
    people,
    reports,
    alerts,
    hours,
    dashboard,
)
"""The page families (importing each adds its routes to :data:`router`)."""


def install(app: FastAPI) -> None:
    """Add the pages, ``/static``, the vendored plotly.js and the HTML error pages to ``app``
    (once; a second call changes nothing)."""
    if getattr(app.state, "pages_installed", False):
        return
    app.state.pages_installed = True
    app.include_router(router)
    app.mount("/static", StaticFiles(directory=str(STATIC)), name="static")
    app.state.render_error = render_error
