"""The schema: migrations match the models, and the ledger is append-only in the database."""

from __future__ import annotations

import json

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.exc import DatabaseError

from rewards_api import schema_migrations
from rewards_api.db import Base, make_engine


def test_migrations_match_models(database_url):
    engine = make_engine(database_url)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        differences = compare_metadata(context, Base.metadata)
    engine.dispose()
    assert differences == []


def test_ledger_entries_cannot_be_updated_or_deleted(api, world, database_url):
    shopper = api.register("Ledger")
    adjusted = api.post("/v1/admin/adjustments", auth=world.keys["manager"],
                        json={"public_id": shopper["public_id"], "program": "corner-points",
                              "amount": 10, "reason": "welcome gift"})
    assert adjusted.status_code == 201, adjusted.get_json()
    engine = make_engine(database_url)
    for statement in ("UPDATE ledger_entries SET amount = 1000",
                      "DELETE FROM ledger_entries"):
        with pytest.raises(DatabaseError, match="append-only"), engine.begin() as conn:
            conn.execute(text(statement))
    with engine.connect() as conn:
        assert conn.execute(text("SELECT amount FROM ledger_entries")).scalars().all() == [10]
    engine.dispose()


def test_migration_0011_stores_product_codes_in_their_14_digit_form(tmp_path):
    url = f"sqlite:///{tmp_path / 'old.db'}"
    schema_migrations.upgrade(url, "0006")
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO chains VALUES (1, 'c', 'C', '2026-01-01')"))
        conn.execute(text("INSERT INTO programs VALUES (1, 'p', 'P', 'store', 1, 1, 'EUR', "
                          "'2026-01-01')"))
        conn.execute(text("INSERT INTO rewards VALUES (1, 1, 'free', 'F', 'free_product', 5, "
                          "NULL, NULL, NULL, '4006381333931', 0, '[\"96385074\"]', 1, "
                          "'2026-01-01')"))
        conn.execute(text("INSERT INTO earn_rules VALUES (1, 1, '4006381333931', 0, 2), "
                          "(2, 1, '04006381333931', 0, 3), (3, 1, '96385074', 0, 4)"))
    schema_migrations.upgrade(url)
    with engine.connect() as conn:
        reward = conn.execute(text("SELECT product_gtin, eligible_gtins FROM rewards")).one()
        rules = conn.execute(text("SELECT gtin, multiplier FROM earn_rules ORDER BY id")).all()
    engine.dispose()
    assert reward[0] == "04006381333931" and json.loads(reward[1]) == ["00000096385074"]
    assert [tuple(r) for r in rules] == [("04006381333931", 3), ("00000096385074", 4)]
