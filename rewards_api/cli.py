"""``rewards-api``: the back-office command line (Flask CLI), and its app-wide
commands (schema, purge, holds, demo seed). The domain packages register their own
groups (``<package>/cli.py``, ``init_app``) and call the same services as the API.

Every command reads the database from ``REWARDS_DATABASE_URL`` like the web app.
Keys and secrets are printed once, when made; only digests are stored.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext

from rewards_api import clock, db, idempotency, schema_migrations
from rewards_api.agents import services as agents
from rewards_api.ledger import services as ledger
from rewards_api.scans import services as scans
from rewards_api.signin import services as signin
from rewards_api.signin import throttle
from rewards_api.walkins import services as walkins

# Other domains add what ``rewards-api purge`` removes: name -> function(session, now) -> count.
PURGERS: dict[str, Callable[[Any, dt.datetime], int]] = {
    "raw sightings": walkins.purge_sightings,
    "agent nonces": agents.purge_nonces,
    "scan rate windows": scans.purge_rate_windows,
    "refused scans": scans.purge_refused_scans,
    "sign-in attempt counts": throttle.purge_attempts,
    "sign-in codes and passkey challenges": signin.purge_one_time_secrets,
}


@click.group("db", help="The database schema.")
def db_group() -> None:
    pass


@db_group.command("upgrade", help="Bring the database schema up to date (Alembic).")
@with_appcontext
def db_upgrade() -> None:
    schema_migrations.upgrade(current_app.config["DATABASE_URL"])
    click.echo("database is up to date")


@click.command("purge", help="Remove data past its keeping time (idempotency keys, ...).")
@with_appcontext
def purge() -> None:
    now = clock.now()
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
        click.echo(f"{ledger.expire_due(s, clock.now())} holds released")


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


def init_app(app: Flask) -> None:
    """The app-wide commands; each package's ``cli.init_app`` adds its own group."""
    for command in (db_group, purge, holds_group, seed_demo):
        app.cli.add_command(command)


def _create_app() -> Flask:
    from rewards_api import create_app

    return create_app()


def main() -> None:
    cli = FlaskGroup(create_app=_create_app, add_default_commands=False,
                     help="Back-office commands of the rewards API.")
    cli.main(prog_name="rewards-api")
