"""Fixtures: every database test runs on SQLite and on PostgreSQL.

``database_url`` is parametrized over both backends and hands each test an empty,
migrated database: SQLite gets a copy of a migrated template file, PostgreSQL a
truncated schema in one throwaway cluster per test session (tests/support/postgres.py).
Chain: ``database_url -> app -> client -> api`` (an HTTP helper) and ``store`` (a
ready chain with programs and staff keys).
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import text

from rewards_api import create_app, db, schema_migrations
from rewards_api.db import Base, make_engine
from tests.support import postgres
from tests.support.world import World, build_world

BACKENDS = ["sqlite", "postgresql"]


@pytest.fixture(scope="session")
def _session_stack() -> Iterator[ExitStack]:
    with ExitStack() as stack:
        yield stack


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sqlite-template") / "template.db"
    schema_migrations.upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgresql_url(_session_stack: ExitStack) -> str:
    url = _session_stack.enter_context(postgres.test_database())
    schema_migrations.upgrade(url)
    return url


def _truncate_all(url: str) -> None:
    engine = make_engine(url)
    tables = ", ".join(t.name for t in Base.metadata.sorted_tables)
    with engine.begin() as conn:
        # Replica role silences the ledger's append-only triggers for this clean-up only.
        conn.execute(text("SET LOCAL session_replication_role = replica"))
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        path = tmp_path / "rewards.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    url: str = request.getfixturevalue("postgresql_url")
    _truncate_all(url)
    return url


@pytest.fixture
def backend(database_url: str) -> str:
    return "sqlite" if database_url.startswith("sqlite") else "postgresql"


@pytest.fixture
def app(database_url: str) -> Iterator[Any]:
    app = create_app({"DATABASE_URL": database_url, "ENV": "test", "SECRET_KEY": "test-secret",
                      "LOG_JSON": False, "TESTING": True,
                      # A live stream answers what is there and ends, so that reading
                      # one never waits; tests of live updates keep theirs open longer.
                      "LIVE_STREAM_SECONDS": 0})
    yield app
    db_engine = app.extensions["rewards_db"].kw["bind"]
    db_engine.dispose()


@pytest.fixture
def client(app: Any) -> FlaskClient:
    return app.test_client()


@dataclass
class Api:
    """Small HTTP helper: JSON in and out, bearer auth, a fresh Idempotency-Key per call
    unless one is given."""

    client: FlaskClient

    def call(self, method: str, path: str, *, json: Any = None, auth: str | None = None,
             key: str | None = None, headers: dict[str, str] | None = None,
             **kwargs: Any) -> Any:
        all_headers = dict(headers or {})
        if auth:
            all_headers["Authorization"] = f"Bearer {auth}"
        if method in {"POST", "PUT", "PATCH", "DELETE"}:
            all_headers.setdefault("Idempotency-Key", key or str(uuid.uuid4()))
        return self.client.open(path, method=method, json=json, headers=all_headers, **kwargs)

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.call("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> Any:
        return self.call("POST", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> Any:
        return self.call("DELETE", path, **kwargs)

    def register(self, name: str = "Sam Shopper", phone: str | None = None) -> dict[str, Any]:
        response = self.post("/v1/shoppers", json={"display_name": name, "phone": phone})
        assert response.status_code == 201, response.get_json()
        return dict(response.get_json())


@pytest.fixture
def api(client: FlaskClient) -> Api:
    return Api(client)


@pytest.fixture
def world(app: Any) -> World:
    """A chain with two stores, its store program, the partner program and staff keys."""
    with app.app_context():
        built = build_world()
        db.session().commit()
        return built


@pytest.fixture
def live_url(app: Any) -> Iterator[str]:
    """The app served over real HTTP (threaded) for concurrency and outside clients."""
    from tests.support.live import serve

    with serve(app) as url:
        yield url


@pytest.fixture
def inbox(app: Any) -> Iterator[Any]:
    """The app's mail goes to a real SMTP server on localhost (aiosmtpd); read it here."""
    from tests.support.mail import smtp_sink

    with smtp_sink() as sink:
        app.config.update(SMTP_HOST=sink.host, SMTP_PORT=sink.port)
        yield sink


@pytest.fixture(scope="session")
def playwright_driver() -> Iterator[Any]:
    """Playwright's driver, once for the session (its sync API allows one per thread)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="session")
def browser(playwright_driver: Any) -> Iterator[Any]:
    """One headless Chromium for every page test of the session."""
    from tests.support.browser import launch

    chromium = launch(playwright_driver)
    yield chromium
    chromium.close()
