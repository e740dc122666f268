"""REWARDS_REPORTS_DATABASE_URL: the dashboard, its charts and the settlement reports
read the replica it names; everything else (sign-in, writes) stays on the primary."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from rewards_api import create_app, db
from rewards_api.agents import services as agents
from tests.conftest import Api
from tests.support.world import World, build_world, setup_actor


def _app(primary: Path, reports: Path | None) -> Any:
    config = {"DATABASE_URL": f"sqlite:///{primary}", "ENV": "test", "SECRET_KEY": "test-secret",
              "LOG_JSON": False, "TESTING": True}
    if reports is not None:
        config["REPORTS_DATABASE_URL"] = f"sqlite:///{reports}"
    return create_app(config)


def _dispose(app: Any) -> None:
    for name in ("rewards_db", "rewards_db_reports"):
        if name in app.extensions:
            app.extensions[name].kw["bind"].dispose()


@pytest.fixture
def chain(tmp_path: Path, sqlite_template: Path) -> Iterator[tuple[Path, Path, World]]:
    """A primary with a chain, and a replica copied from it before an agent was added."""
    primary, replica = tmp_path / "primary.db", tmp_path / "replica.db"
    shutil.copy(sqlite_template, primary)
    app = _app(primary, None)
    with app.app_context():
        world = build_world()
        db.session().commit()
    _dispose(app)
    shutil.copy(primary, replica)
    app = _app(primary, None)
    with app.app_context():
        agents.provision(db.session(), setup_actor(), world.store_ids[0], "Front door")
        db.session().commit()
    _dispose(app)
    yield primary, replica, world


def _agents(app: Any, world: World) -> list[str]:
    answer = Api(app.test_client()).get(f"/v1/admin/stores/{world.store_ids[0]}/dashboard",
                                        auth=world.keys["manager"])
    assert answer.status_code == 200, answer.get_json()
    return [a["label"] for a in answer.get_json()["agents"]]


def test_dashboard_reads_the_replica_when_set(chain: tuple[Path, Path, World]) -> None:
    primary, replica, world = chain
    on_primary, on_replica = _app(primary, None), _app(primary, replica)
    try:
        assert _agents(on_primary, world) == ["Front door"]
        # The replica has not caught up with the new agent yet: the report says so.
        assert _agents(on_replica, world) == []
        # Sign-in (the staff key) and the rest still use the primary.
        listed = Api(on_replica.test_client()).get("/v1/admin/agents", auth=world.keys["manager"])
        assert [a["label"] for a in listed.get_json()["agents"]] == ["Front door"]
    finally:
        _dispose(on_primary)
        _dispose(on_replica)


def test_every_report_goes_to_the_reports_database(chain: tuple[Path, Path, World],
                                                  tmp_path: Path) -> None:
    primary, _replica, world = chain
    # An empty database: any report that reads it fails, anything that does not works.
    empty = tmp_path / "not-migrated.db"
    app = _app(primary, empty)
    api = Api(app.test_client())
    manager, store = world.keys["manager"], world.store_ids[0]
    today = dt.date.today().isoformat()
    try:
        for path, key in [(f"/v1/admin/stores/{store}/dashboard", manager),
                          (f"/v1/admin/stores/{store}/charts/walk-ins.svg", manager),
                          (f"/v1/admin/settlement?from={today}&to={today}", manager),
                          (f"/v1/admin/settlement/berlin-1.csv?from={today}&to={today}", manager),
                          ("/v1/admin/results", manager), ("/v1/admin/results.csv", manager),
                          ("/v1/admin/chain", world.keys["admin"]),
                          ("/v1/admin/chain.csv", world.keys["admin"])]:
            answer = api.get(path, auth=key)
            assert answer.status_code == 503, (path, answer.status_code)
            assert answer.get_json()["error"]["code"] == "service_unavailable"
        assert api.get("/v1/admin/agents", auth=manager).status_code == 200
        assert api.get("/v1/stores").status_code == 200
    finally:
        _dispose(app)
