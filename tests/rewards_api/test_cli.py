"""Back-office commands and settings."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from rewards_api import db, idempotency, settings
from rewards_api.idempotency import IdempotencyRecord
from rewards_api.staff.models import StaffKey


def test_create_chain_store_programs_and_keys(app):
    runner = app.test_cli_runner()
    steps = [
        ["chains", "create", "north", "--name", "North Foods"],
        ["stores", "create", "north-1", "--chain", "north", "--name", "North 1",
         "--timezone", "Europe/Paris", "--latitude", "48.85", "--longitude", "2.35"],
        ["programs", "create", "north-points", "--name", "North Points", "--kind", "store",
         "--chain", "north"],
        ["programs", "create", "network", "--name", "Network", "--kind", "partner"],
    ]
    for args in steps:
        result = runner.invoke(args=args)
        assert result.exit_code == 0, result.output
    key = runner.invoke(args=["staff", "create", "--role", "cashier", "--store", "north-1",
                              "--label", "Register 2"])
    assert key.exit_code == 0
    assert key.output.startswith("sk_")
    with app.app_context():
        stored = db.session().scalars(select(StaffKey)).one()
        assert stored.key_hash != key.output.strip()  # only the digest is stored
    bad_zone = runner.invoke(args=["stores", "create", "x", "--chain", "north", "--name", "X",
                                   "--timezone", "Mars/Olympus"])
    assert bad_zone.exit_code != 0
    assert "Unknown time zone" in bad_zone.output
    no_store = runner.invoke(args=["staff", "create", "--role", "manager", "--label", "M"])
    assert no_store.exit_code != 0


def test_change_and_close_a_store_and_list_the_programs(app, api, world):
    runner = app.test_cli_runner()
    changed = runner.invoke(args=["stores", "change", "berlin-1", "--name", "Berlin Am Platz",
                                  "--timezone", "Europe/Lisbon", "--language", "pt"])
    assert changed.exit_code == 0, changed.output
    assert "Berlin Am Platz, Europe/Lisbon, pt" in changed.output
    assert runner.invoke(args=["stores", "change", "berlin-1", "--timezone", "Moon/Base"]
                         ).exit_code != 0
    closed = runner.invoke(args=["stores", "close", "berlin-1"])
    assert closed.exit_code == 0, closed.output
    again = runner.invoke(args=["stores", "close", "berlin-1"])
    assert again.exit_code != 0 and "closed" in again.output
    trail = api.get("/v1/admin/audit?resource=store", auth=world.keys["admin"]).get_json()
    done = [(e["action"], e["actor"].split(":")[0]) for e in trail["entries"]
            if e["resource_id"] == "berlin-1"]
    assert done[:2] == [("close", "cli"), ("change", "cli")]
    listed = runner.invoke(args=["programs", "list"])
    assert listed.output.splitlines() == ["corner-points\tstore\tcorner\tCorner Points",
                                          "partner-plus\tpartner\t-\tPartner Plus"]


def test_purge_removes_old_idempotency_keys(app, api, world):
    api.register("Old")
    with app.app_context():
        s = db.session()
        assert len(s.scalars(select(IdempotencyRecord)).all()) == 1
        later = dt.datetime.now(dt.UTC) + dt.timedelta(hours=49)
        assert idempotency.purge(s, dt.timedelta(hours=48), now=later) == 1
        s.commit()
    result = app.test_cli_runner().invoke(args=["purge"])
    assert result.exit_code == 0
    assert "idempotency keys: 0 removed" in result.output


def test_production_refuses_to_start_without_secrets():
    with pytest.raises(settings.SettingsError, match="REWARDS_SECRET_KEY"):
        settings.load({"REWARDS_ENV": "production"})
    production = {"REWARDS_ENV": "production", "REWARDS_SECRET_KEY": "s3cret",
                  "REWARDS_PRESENCE_KEYS": "0:" + "ab" * 16}
    assert settings.load(production)["SECRET_KEY"] == "s3cret"
    without_keys = {k: v for k, v in production.items() if k != "REWARDS_PRESENCE_KEYS"}
    with pytest.raises(settings.SettingsError, match="REWARDS_PRESENCE_KEYS"):
        settings.load(without_keys)
    with pytest.raises(settings.SettingsError, match="whole number"):
        settings.load({"REWARDS_HOLD_TTL_SECONDS": "soon", "REWARDS_SECRET_KEY": "x"})


@pytest.mark.parametrize("name", ["REWARDS_RESIDENT_VISIT_HOURS", "REWARDS_RESIDENT_DAYS"])
def test_the_resident_rule_takes_positive_numbers_only(name):
    assert settings.load({name: "2", "REWARDS_SECRET_KEY": "x"})[name.removeprefix("REWARDS_")] == 2
    for bad in ("0", "-4"):
        with pytest.raises(settings.SettingsError, match=f"{name} must be a positive number"):
            settings.load({name: bad, "REWARDS_SECRET_KEY": "x"})
