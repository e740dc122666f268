"""The schema: migrations match the models, and the ledger is append-only in the database."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.exc import DatabaseError

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
