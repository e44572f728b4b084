"""The web service's hardening, on SQLite and PostgreSQL: security headers on every answer, body
caps (413 before a body is read whole), YAML without aliases, no secret in a URL or the access
log, the configured base URL and trusted hosts, no word about other federations, and nothing
loaded from outside (API docs from the package, ``/favicon.ico``)."""

from __future__ import annotations

import logging
import re
import socket
import threading
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import typer
import uvicorn
from fastapi import FastAPI
from typer.testing import CliRunner

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    from fastapi.testclient import TestClient

import commonplan as cp
from api_support import (
    API,
    FACILITATOR,
    cheap_hashing,
    commune,
    federation_with_members,
    first_facilitator,
    make_app,
    ok,
    refused,
    sign_in,
)
from commonplan.accounts import hosts_of
from commonplan.federation import parse_yaml, read_description
from commonplan.store.models import Federation
from commonplan.web import guard

__all__ = ["cheap_hashing"]  # autouse, from api_support


@pytest.fixture
def app(database_url: str) -> Iterator[FastAPI]:
    application = make_app(database_url)
    first_facilitator(application.state.db)
    yield application
    application.state.db.dispose()


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, follow_redirects=False) as c:
        yield c


# ---------------------------------------------------------------------- headers


PATHS = (
    "/",  # a redirect to the sign-in page
    "/sign-in",
    "/invitation",
    "/static/site.css",
    "/favicon.ico",
    "/api/docs",
    "/openapi.json",
    f"{API}/me",  # 401
    "/no/such/page",  # 404
)


def test_every_answer_carries_the_security_headers(client: TestClient) -> None:
    for path in PATHS:
        r = client.get(path)
        for name, value in guard.HEADERS.items():
            assert r.headers.get(name) == value, (path, name, r.headers.get(name))
        assert "strict-transport-security" not in r.headers, path  # not over plain http
    csp = guard.CSP
    assert "script-src 'self'" in csp and "'unsafe-inline'" not in csp.split("style-src")[0]
    assert "frame-ancestors 'none'" in csp
    big = client.post(f"{API}/auth/sign-in", content=b"x" * (guard.SMALL + 1))
    assert big.status_code == 413 and big.headers["x-frame-options"] == "DENY"


def test_hsts_over_https(app: FastAPI) -> None:
    with TestClient(app, base_url="https://testserver") as c:
        r = c.get("/sign-in")
    assert r.headers["strict-transport-security"] == guard.HSTS


def test_no_page_loads_anything_from_outside(client: TestClient) -> None:
    """The API docs and the pages name no other host; Swagger UI comes from the package."""
    docs = client.get("/api/docs").text
    for url in re.findall(r'(?:src|href)="([^"]+)"', docs):
        assert url.startswith("/"), url
        assert client.get(url).status_code == 200, url
    assert "<script>" not in docs  # no inline script: the CSP would refuse it
    for path in ("/sign-in", "/invitation"):
        page = client.get(path).text
        assert not re.search(r'(?:src|href|action)="(?:https?:)?//', page), path
        assert "<script>" not in page, path
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200 and icon.headers["content-type"] == "image/x-icon"
    assert icon.content[:4] == b"\x00\x00\x01\x00"  # an ICO file


# ---------------------------------------------------------------------- body caps


def test_a_body_over_the_cap_is_refused_before_it_is_read(client: TestClient) -> None:
    # Content-Length says so: 413 at once, without a session, on the API and on a page
    huge = b"x" * (25 * 1024 * 1024)
    t0 = time.perf_counter()
    r = client.post(f"{API}/auth/sign-in", content=huge, headers={"content-type": "text/plain"})
    assert r.status_code == 413 and time.perf_counter() - t0 < 5
    assert r.json() == {"error": "too_large", "detail": r.json()["detail"]}
    assert "1024 KiB" in r.json()["detail"]
    page = client.post("/sign-in", content=huge[: guard.SMALL + 1])
    assert page.status_code == 413 and "1024 KiB" in page.text and "<h1" in page.text

    # streamed in chunks without a length: refused once the bytes pass the cap
    sent = []

    def chunks() -> Iterator[bytes]:
        for _ in range(64):
            sent.append(1)
            yield b"y" * 65536

    streamed = client.post(f"{API}/auth/sign-in", content=chunks())
    assert streamed.status_code == 413
    assert sent  # (the test client sends it all; a real server stops reading: see benchmarks)


def test_imports_take_larger_bodies(app: FastAPI, client: TestClient) -> None:
    fac = sign_in(client, FACILITATOR)
    fed = ok(client.post(f"{API}/federations", json=_commune(), headers=fac), 201)["id"]
    rows = "handle,name,consumers_council\n" + "".join(
        f"p{k},Person {k},Commune east\n" for k in range(60_000)
    )
    assert guard.SMALL < len(rows) < guard.LARGE
    files = {"file": ("m.csv", rows.encode(), "text/csv")}
    added = ok(client.post(f"{API}/federations/{fed}/members/csv", files=files, headers=fac), 201)
    assert added["added"] == 60_000
    files = {"file": ("m.csv", b"x" * guard.LARGE, "text/csv")}
    r = client.post(f"{API}/federations/{fed}/members/csv", files=files, headers=fac)
    refused(r, 413, "too_large", "8192 KiB")
    ballot = client.post(f"{API}/questions/1/ballots", content=b"[" * (guard.SMALL + 1))
    refused(ballot, 413, "too_large")


def _commune() -> dict[str, Any]:
    from api_support import commune

    return commune("Commune")


def test_a_yaml_alias_bomb_is_refused_at_once(
    app: FastAPI, client: TestClient, tmp_path: Path
) -> None:
    """582 bytes that expand ×10 per level: refused for its aliases, nothing created."""
    levels = ["a0: &a0 [" + ",".join(["x"] * 10) + "]"]
    levels += [f"a{k}: &a{k} [" + ",".join([f"*a{k - 1}"] * 10) + "]" for k in range(1, 9)]
    bomb = "\n".join(levels) + "\nname: Bomb\n"
    c = TestClient(app, follow_redirects=False)
    r = c.post(f"{API}/auth/sign-in", json={"handle": FACILITATOR, "password": "password of ada"})
    csrf = ok(r)["csrf_token"]
    page = c.post("/facilitate/federations", data={"description": bomb, "csrf_token": csrf})
    assert page.status_code == 422 and "aliases" in page.text
    with app.state.db.transaction() as s:
        assert s.query(Federation).count() == 0
    # refused before anything expands: the parser stops at the first alias (expanding all
    # nine levels takes seconds); and the same rule holds from a file (the CLI's path)
    t0 = time.perf_counter()
    with pytest.raises(cp.FormatError, match="aliases"):
        parse_yaml(bomb)
    assert time.perf_counter() - t0 < 0.1
    path = tmp_path / "bomb.yaml"
    path.write_text(bomb)
    with pytest.raises(cp.FormatError, match=r"bomb\.yaml: .*aliases"):
        read_description(path)


# ---------------------------------------------------------------------- secrets and the log


def test_the_access_log_holds_no_secret() -> None:
    for path, shown in (
        ("/invitation/SECRET-TOKEN", "/invitation/…"),
        ("/board/find?receipt=SECRET", "/board/find"),
        (f"{API}/board/ballots/SECRET", f"{API}/board/ballots/…"),
        (f"{API}/board/ballots/find", f"{API}/board/ballots/find"),
        ("/rounds/3/reports?period=2027-01", "/rounds/3/reports"),
    ):
        assert guard.redact(path) == shown


def test_a_served_request_logs_no_token_nor_receipt(database_url: str) -> None:
    """A real uvicorn, its real access log."""
    app = make_app(database_url)
    records: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record.getMessage())

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="info"))
    keep = Keep()  # (after uvicorn's logging configuration, which replaces the handlers)
    logging.getLogger("uvicorn.access").addHandler(keep)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        for _ in range(100):
            if server.started:
                break
            time.sleep(0.05)
        base = f"http://127.0.0.1:{port}"
        httpx.get(f"{base}/invitation/INVITE-SECRET-123")
        httpx.get(f"{base}/board/find?receipt=RECEIPT-SECRET-9")
        httpx.get(f"{base}/sign-in?next=/x&handle=someone")
    finally:
        server.should_exit = True
        thread.join(10)
        logging.getLogger("uvicorn.access").removeHandler(keep)
        app.state.db.dispose()
    text = "\n".join(records)
    assert "/invitation/…" in text and "/board/find" in text and "/sign-in" in text, text
    for secret in ("INVITE-SECRET-123", "RECEIPT-SECRET-9", "someone", "?"):
        assert secret not in text, text


# ---------------------------------------------------------------------- hosts and base URL


def test_only_the_base_urls_host_is_answered(database_url: str) -> None:
    base = "https://plan.example.org"
    app = make_app(database_url, base_url=base, allowed_hosts=hosts_of(base))
    first_facilitator(app.state.db)
    with TestClient(app, base_url=base) as c:
        assert c.get("/sign-in").status_code == 200
        evil = c.get("/sign-in", headers={"host": "evil.example"})
        assert evil.status_code == 400 and evil.headers["x-frame-options"] == "DENY"
        fed, fac = federation_with_members(c, FACILITATOR, "North", "n", n=0)
        rows = [{"handle": "nu", "consumers_council": "North east"}]
        ok(c.post(f"{API}/federations/{fed}/members", json=rows, headers=fac), 201)
        made = ok(c.post(f"{API}/members/nu/invitations", headers=fac), 201)
        assert made["url"] == f"{base}/invitation#{made['token']}"
    app.state.db.dispose()
    assert hosts_of("") == ("*",)
    assert hosts_of("http://127.0.0.1:8000") == ("127.0.0.1", "localhost", "::1")


def test_serve_needs_a_base_url_off_loopback(
    cli: typer.Typer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[dict[str, Any]] = []
    monkeypatch.setattr("uvicorn.run", lambda target, **kw: calls.append(kw))
    monkeypatch.setenv("COMMONPLAN_DB", "unused.db")
    monkeypatch.setenv("COMMONPLAN_BASE_URL", "")
    db = str(tmp_path / "served.db")
    runner = CliRunner()
    off = runner.invoke(cli, ["serve", "--db", db, "--host", "0.0.0.0"])
    assert off.exit_code != 0 and "--base-url" in off.output and not calls
    bad = runner.invoke(cli, ["serve", "--db", db, "--host", "0.0.0.0", "--base-url", "plan"])
    assert bad.exit_code != 0 and "http(s)://" in bad.output and not calls
    good = ["serve", "--db", db, "--host", "0.0.0.0", "--base-url", "https://plan.example.org/"]
    assert runner.invoke(cli, good).exit_code == 0 and calls
    import os

    assert os.environ["COMMONPLAN_BASE_URL"] == "https://plan.example.org"
    monkeypatch.setenv("COMMONPLAN_BASE_URL", "")
    assert runner.invoke(cli, ["serve", "--db", db]).exit_code == 0  # loopback: local use
    assert os.environ["COMMONPLAN_BASE_URL"] == "http://127.0.0.1:8000"


@pytest.fixture
def cli() -> typer.Typer:
    from commonplan.cli import app

    return app


# ---------------------------------------------------------------------- other federations


def test_errors_say_nothing_of_other_federations(app: FastAPI, client: TestClient) -> None:
    db = app.state.db
    first_facilitator(db, "bob")
    north, ada = federation_with_members(client, FACILITATOR, "North", "n", n=1)
    federation_with_members(client, "bob", "South", "s", n=1)
    theirs = refused(client.post(f"{API}/members/s0/invitations", headers=ada), 404, "not_found")
    nobody = refused(client.post(f"{API}/members/zz/invitations", headers=ada), 404, "not_found")
    assert theirs.replace("s0", "zz") == nobody  # the same words for both
    rows = [{"handle": "s0", "consumers_council": "North east"}]
    taken = refused(
        client.post(f"{API}/federations/{north}/members", json=rows, headers=ada),
        422,
        "plan_input",
    )
    assert "South" not in taken and "taken" not in taken and "s0" in taken
    # another federation's rows answer exactly as ids nobody has: the same status and words
    south = ok(client.get(f"{API}/me", headers=sign_in(client, "s0")))["councils"][0]
    south_fed = next(
        f["id"] for f in ok(client.get(f"{API}/federations", headers=sign_in(client, "bob")))
    )
    for path in (f"/federations/{south_fed}", f"/councils/{south['id']}/delegates"):
        key = path.split("/")[2]
        theirs = client.get(f"{API}{path}", headers=ada)
        nobodys = client.get(f"{API}{path.replace(key, '99999')}", headers=ada)
        assert theirs.status_code == nobodys.status_code == 404, (path, theirs.text)
        assert theirs.json()["detail"].replace(key, "99999") == nobodys.json()["detail"]
    # node names are unique across federations: a name in use elsewhere is refused, not placed
    for name, node in (("South", {}), ("Elsewhere", {"councils": [{"name": "South east"}]})):
        body = {**commune(name), **node}
        if node:
            body["councils"] = [{"name": "South east", "kind": "consumers"}]
        said = refused(client.post(f"{API}/federations", json=body, headers=ada), 422, "plan_input")
        assert "cannot be used" in said and "exists" not in said and "twice" not in said, said
