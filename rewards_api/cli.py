"""``rewards-api``: the back-office command line (Flask CLI).

Every command reads the database from ``REWARDS_DATABASE_URL`` like the web app.
Keys and secrets are printed once, when made; only digests are stored.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext
from sqlalchemy import select

from rewards_api import db, i18n, idempotency, schema_migrations
from rewards_api.agents import services as agents
from rewards_api.agents.cli import agents_group
from rewards_api.db import utcnow
from rewards_api.ledger import services as ledger
from rewards_api.ledger.models import PARTNER_PROGRAM, STORE_PROGRAM, Program
from rewards_api.pos.cli import earn_rules_group, rewards_group
from rewards_api.products.cli import products_group
from rewards_api.scans import services as scans
from rewards_api.scans.cli import campaigns_group, codes_group
from rewards_api.signin import services as signin
from rewards_api.signin import throttle
from rewards_api.staff.models import ROLE_RANK, StaffKey
from rewards_api.staff.services import issue_key
from rewards_api.stores.models import Chain, Store
from rewards_api.walkins import services as walkins
from rewards_api.walkins.cli import walkins_group

# Other domains add what ``rewards-api purge`` removes: name -> function(session, now) -> count.
PURGERS: dict[str, Callable[[Any, dt.datetime], int]] = {
    "raw sightings": walkins.purge_sightings,
    "agent nonces": agents.purge_nonces,
    "scan rate windows": scans.purge_rate_windows,
    "refused scans": scans.purge_refused_scans,
    "sign-in attempt counts": throttle.purge_attempts,
    "sign-in codes and passkey challenges": signin.purge_one_time_secrets,
}


def _chain(code: str) -> Chain:
    chain = db.session().scalars(select(Chain).where(Chain.code == code)).first()
    if chain is None:
        raise click.ClickException(f"no chain with code {code!r}")
    return chain


def store_by_code(code: str) -> Store:
    store = db.session().scalars(select(Store).where(Store.code == code)).first()
    if store is None:
        raise click.ClickException(f"no store with code {code!r}")
    return store


@click.group("db", help="The database schema.")
def db_group() -> None:
    pass


@db_group.command("upgrade", help="Bring the database schema up to date (Alembic).")
@with_appcontext
def db_upgrade() -> None:
    schema_migrations.upgrade(current_app.config["DATABASE_URL"])
    click.echo("database is up to date")


@click.group("chains", help="Retail chains.")
def chains_group() -> None:
    pass


LANGUAGE = click.Choice(i18n.LANGUAGES)


@chains_group.command("create")
@click.argument("code")
@click.option("--name", required=True)
@click.option("--language", type=LANGUAGE,
              help="What its stores speak unless they set their own (default English)")
@with_appcontext
def chains_create(code: str, name: str, language: str | None) -> None:
    with db.transaction() as s:
        chain = Chain(code=code, name=name, default_language=language)
        s.add(chain)
    click.echo(f"chain {chain.code} created (id {chain.id})")


@click.group("stores", help="Stores of a chain.")
def stores_group() -> None:
    pass


@stores_group.command("create")
@click.argument("code")
@click.option("--chain", "chain_code", required=True)
@click.option("--name", required=True)
@click.option("--timezone", required=True, help="IANA name, e.g. Europe/Berlin")
@click.option("--latitude", type=float)
@click.option("--longitude", type=float)
@click.option("--language", type=LANGUAGE,
              help="What its registers, staff pages and messages speak (default: the chain's)")
@with_appcontext
def stores_create(code: str, chain_code: str, name: str, timezone: str,
                  latitude: float | None, longitude: float | None,
                  language: str | None) -> None:
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise click.ClickException(f"unknown timezone {timezone!r}") from exc
    with db.transaction() as s:
        store = Store(code=code, chain_id=_chain(chain_code).id, name=name, timezone=timezone,
                      latitude=latitude, longitude=longitude, language=language)
        s.add(store)
    click.echo(f"store {store.code} created (id {store.id})")


@stores_group.command("language", help="Set the language a store speaks (registers learn it "
                      "when they start).")
@click.argument("code")
@click.argument("language", type=LANGUAGE)
@with_appcontext
def stores_language(code: str, language: str) -> None:
    with db.transaction():
        store_by_code(code).language = language
    click.echo(f"store {code} speaks {i18n.NATIVE_NAMES[language]}")


@click.group("programs", help="Points programs: one per chain, one partner network.")
def programs_group() -> None:
    pass


@programs_group.command("create")
@click.argument("code")
@click.option("--name", required=True)
@click.option("--kind", type=click.Choice([STORE_PROGRAM, PARTNER_PROGRAM]), required=True)
@click.option("--chain", "chain_code", help="The chain whose own program this is (kind store)")
@click.option("--point-value", type=int, default=1, show_default=True,
              help="What one point is worth, in minor currency units (cents)")
@click.option("--currency", default="EUR", show_default=True)
@with_appcontext
def programs_create(code: str, name: str, kind: str, chain_code: str | None,
                    point_value: int, currency: str) -> None:
    if (kind == STORE_PROGRAM) != (chain_code is not None):
        raise click.ClickException("a store program names its chain; the partner program none")
    with db.transaction() as s:
        program = Program(code=code, name=name, kind=kind, point_value_minor=point_value,
                          currency=currency,
                          chain_id=_chain(chain_code).id if chain_code else None)
        s.add(program)
    click.echo(f"program {program.code} created (id {program.id})")


@click.group("staff", help="Keys for registers, managers and admins.")
def staff_group() -> None:
    pass


@staff_group.command("create", help="Make a key; it is printed once and stored hashed.")
@click.option("--role", type=click.Choice(list(ROLE_RANK)), required=True)
@click.option("--store", "store_code", help="The store (cashier and manager keys)")
@click.option("--chain", "chain_code",
              help="The chain of an admin key; without it the key is head office's")
@click.option("--label", required=True, help='Who or what holds it, e.g. "Register 1"')
@with_appcontext
def staff_create(role: str, store_code: str | None, chain_code: str | None, label: str) -> None:
    if role != "admin" and store_code is None:
        raise click.ClickException(f"a {role} key belongs to a store: pass --store")
    if role != "admin" and chain_code is not None:
        raise click.ClickException(f"a {role} key belongs to its store's chain: leave out --chain")
    with db.transaction() as s:
        key = issue_key(s, role, store_by_code(store_code).id if store_code else None, label,
                        chain_id=_chain(chain_code).id if chain_code else None)
    click.echo(key)


@staff_group.command("revoke")
@click.argument("staff_id", type=int)
@with_appcontext
def staff_revoke(staff_id: int) -> None:
    with db.transaction() as s:
        staff = s.get(StaffKey, staff_id)
        if staff is None:
            raise click.ClickException(f"no staff key {staff_id}")
        staff.revoked_at = utcnow()
    click.echo(f"staff key {staff_id} revoked")


@click.command("purge", help="Remove data past its keeping time (idempotency keys, ...).")
@with_appcontext
def purge() -> None:
    now = utcnow()
    with db.transaction() as s:
        ttl = dt.timedelta(hours=current_app.config["IDEMPOTENCY_TTL_HOURS"])
        click.echo(f"idempotency keys: {idempotency.purge(s, ttl, now)} removed")
        for name, purger in PURGERS.items():
            click.echo(f"{name}: {purger(s, now)} removed")


@click.group("holds", help="Reserved points.")
def holds_group() -> None:
    pass


@holds_group.command("expire", help="Release every hold whose expiry has passed.")
@with_appcontext
def holds_expire() -> None:
    with db.transaction() as s:
        click.echo(f"{ledger.expire_due(s, utcnow())} holds released")


@click.command("seed-demo", help="Fill an empty database with the demo chain (again: "
               "nothing changes).")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path),
              default="var/demo.json", show_default=True,
              help="Where the keys and secrets go (mode 0600)")
@with_appcontext
def seed_demo(out: Path) -> None:
    from rewards_api import demo_seed

    try:
        click.echo(demo_seed.seed(out))
    except RuntimeError as exc:
        raise click.ClickException(str(exc)) from exc


COMMANDS = [db_group, chains_group, stores_group, programs_group, staff_group, purge,
            holds_group, seed_demo, rewards_group, earn_rules_group, agents_group,
            walkins_group, products_group, campaigns_group, codes_group]


def init_app(app: Flask) -> None:
    for command in COMMANDS:
        app.cli.add_command(command)


def _create_app() -> Flask:
    from rewards_api import create_app

    return create_app()


def main() -> None:
    cli = FlaskGroup(create_app=_create_app, add_default_commands=False,
                     help="Back-office commands of the rewards API.")
    cli.main(prog_name="rewards-api")
