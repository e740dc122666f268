"""docs/operations.md's PostgreSQL set-up and restore, on throwaway clusters:
deploy/postgresql/roles.sql and grants.sql give the API a role that runs the whole shop
but cannot drop a table or rewrite the ledger; a pg_dump of a shop that has traded
restores into a fresh cluster with the ledger's invariants whole, and the API goes on
trading on it."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from psycopg import errors
from sqlalchemy import create_engine, make_url, text
from sqlalchemy.exc import DBAPIError

from rewards_api import create_app, db, schema_migrations
from tests.conftest import Api
from tests.support import postgres
from tests.support.shop import Shop, build_shop
from tests.support.world import build_world

# Starting PostgreSQL clusters, gunicorn hosts and nginx on a busy 2-core machine can take
# a minute before the first test runs; the suite's 120 s per test is too tight for that.
pytestmark = pytest.mark.timeout(300)


SQL = Path(__file__).resolve().parents[2] / "deploy" / "postgresql"


@dataclass(frozen=True)
class Cluster:
    host: str  # the socket directory
    port: int

    def url(self, user: str, database: str = "rewards") -> str:
        return f"postgresql+psycopg://{user}@/{database}?host={self.host}&port={self.port}"

    def run(self, tool: str, *args: str, user: str = "postgres") -> str:
        command = [str(postgres._bindir() / tool), "-h", self.host, "-p", str(self.port),
                   "-U", user, *args]
        result = subprocess.run(command, capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, f"{tool}: {result.stderr}"
        return result.stdout

    def psql(self, user: str, database: str, file: str) -> None:
        self.run("psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", database,
                 "-f", str(SQL / file), user=user)


@contextmanager
def _cluster() -> Iterator[Cluster]:
    """A throwaway cluster with the rewards database and roles of roles.sql."""
    with postgres.throwaway_cluster("scratch") as scratch:
        parsed = make_url(scratch.url)
        cluster = Cluster(str(parsed.query["host"]), int(str(parsed.query["port"])))
        cluster.psql("postgres", "postgres", "roles.sql")
        yield cluster


def _app(url: str) -> Any:
    return create_app({"DATABASE_URL": url, "ENV": "test", "SECRET_KEY": "test-secret",
                       "LOG_JSON": False, "TESTING": True})


def _sell(shop: Shop, *, redeem: bool = True, **identify: Any) -> dict[str, Any]:
    """One sale at the register, with both programs' suggested rewards if ``redeem``."""
    opened = shop.open(**identify)
    assert opened.status_code == 201, opened.get_json()
    checkout = opened.get_json()
    if redeem:
        applied = shop.post(f"/v1/pos/checkouts/{checkout['id']}/rewards")
        assert applied.status_code == 200, applied.get_json()
    committed = shop.commit(checkout["id"])
    assert committed.status_code == 200, committed.get_json()
    return dict(committed.get_json())


@dataclass
class Traded:
    cluster: Cluster
    app: Any
    shop: Shop
    receipt: dict[str, Any]
    cli_output: list[str]


@pytest.fixture(scope="module")
def traded() -> Iterator[Traded]:
    """Migrated as rewards_owner, granted by grants.sql, then a day of trade run by the
    API as rewards_app: a chain, rewards, a shopper, a sale, the purge and hold expiry."""
    with _cluster() as cluster:
        schema_migrations.upgrade(cluster.url("rewards_owner"))
        cluster.psql("rewards_owner", "rewards", "grants.sql")
        app = _app(cluster.url("rewards_app"))
        with app.app_context():
            world = build_world()
            db.session().commit()
        api = Api(app.test_client())
        shop = build_shop(app, api, world)
        receipt = _sell(shop)
        runner = app.test_cli_runner()
        outputs = []
        for command in (["purge"], ["holds", "expire"]):
            result = runner.invoke(args=command)
            assert result.exit_code == 0, result.output
            outputs.append(result.output)
        try:
            yield Traded(cluster, app, shop, receipt, outputs)
        finally:
            app.extensions["rewards_db"].kw["bind"].dispose()


def test_the_api_runs_the_shop_as_the_app_role(traded: Traded) -> None:
    kinds = {line["kind"] for line in traded.receipt["receipt"]["lines"]}
    assert {"earned", "redeemed"} <= kinds
    assert "holds released" in traded.cli_output[1]
    accounts = traded.shop.accounts()  # checks balances against the ledger sums
    assert set(accounts) == {"corner-points", "partner-plus"}


@pytest.mark.parametrize("statement", [
    "UPDATE ledger_entries SET amount = amount + 1",
    "DELETE FROM ledger_entries",
    "TRUNCATE ledger_entries",
    "DROP TABLE accounts",
    "ALTER TABLE accounts DROP COLUMN balance",
    "CREATE TABLE side_door (id int)",
    "DELETE FROM alembic_version",
])
def test_the_app_role_cannot_change_the_schema_or_rewrite_the_ledger(traded: Traded,
                                                                      statement: str) -> None:
    engine = create_engine(traded.cluster.url("rewards_app"))
    try:
        with pytest.raises(DBAPIError) as refused, engine.begin() as conn:
            conn.execute(text(statement))
        # Refused for want of the right, not by a trigger or a missing row.
        assert isinstance(refused.value.orig, errors.InsufficientPrivilege), refused.value
    finally:
        engine.dispose()


def test_the_reports_role_only_reads(traded: Traded) -> None:
    engine = create_engine(traded.cluster.url("rewards_reports"))
    try:
        with engine.connect() as conn:
            assert conn.scalar(text("SELECT count(*) FROM ledger_entries")) > 0
        with pytest.raises(DBAPIError) as refused, engine.begin() as conn:
            conn.execute(text("INSERT INTO chains (code, name) VALUES ('x', 'x')"))
        assert isinstance(refused.value.orig, errors.InsufficientPrivilege)
    finally:
        engine.dispose()


def _ledger_problems(url: str) -> list[str]:
    """Accounts whose balance is not the sum of their entries, whose held points are not
    the sum of their active holds, or that are negative."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(text("""
                SELECT a.id, a.balance, a.held,
                       (SELECT coalesce(sum(e.amount), 0) FROM ledger_entries e WHERE e.account_id = a.id),
                       (SELECT coalesce(sum(h.amount), 0) FROM holds h
                         WHERE h.account_id = a.id AND h.status = 'held')
                FROM accounts a""")).all()
    finally:
        engine.dispose()
    assert rows, "no accounts to check"
    return [f"account {r[0]}: balance {r[1]}, held {r[2]}, entries {r[3]}, holds {r[4]}"
            for r in rows if r[1] != r[3] or r[2] != r[4] or r[1] < 0 or r[2] < 0 or r[1] < r[2]]


def _counts(url: str) -> dict[str, int]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return {table: conn.scalar(text(f"SELECT count(*) FROM {table}")) or 0
                    for table in ("ledger_entries", "accounts", "holds", "checkouts",
                                  "settlement_records", "shoppers")}
    finally:
        engine.dispose()


def test_a_dump_restores_into_a_fresh_cluster_with_the_ledger_whole(traded: Traded,
                                                                    tmp_path: Path) -> None:
    source = traded.cluster
    assert _ledger_problems(source.url("postgres")) == []
    dump = tmp_path / "rewards.dump"
    source.run("pg_dump", "-Fc", "-d", "rewards", "-f", str(dump))
    before = _counts(source.url("postgres"))
    with _cluster() as fresh:
        fresh.run("pg_restore", "--exit-on-error", "-d", "rewards", str(dump))
        assert _counts(fresh.url("postgres")) == before
        assert _ledger_problems(fresh.url("postgres")) == []
        # The restored database keeps its owner, grants and sequences: the API, as its
        # own role, sells again and the ledger still adds up.
        app = _app(fresh.url("rewards_app"))
        try:
            shop = Shop(app, Api(app.test_client()), traded.shop.world, traded.shop.shopper,
                        traded.shop.registers)
            # (by card: the shopper's checkout code was spent on the first sale)
            assert "receipt" in _sell(shop, redeem=False, code=None, membership_number="CM-1001")
            shop.accounts()
        finally:
            app.extensions["rewards_db"].kw["bind"].dispose()
        assert _counts(fresh.url("postgres"))["checkouts"] == before["checkouts"] + 1
        assert _ledger_problems(fresh.url("postgres")) == []
        with pytest.raises(DBAPIError):
            engine = create_engine(fresh.url("rewards_app"))
            try:
                with engine.begin() as conn:
                    conn.execute(text("DELETE FROM ledger_entries"))
            finally:
                engine.dispose()
