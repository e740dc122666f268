"""``rewards-api walkins rule ...``: walk-in points per program and store."""

from __future__ import annotations

import datetime as dt

import click
from flask import Flask
from flask.cli import with_appcontext
from sqlalchemy import true

from rewards_api import db
from rewards_api.commands import actor, service_errors
from rewards_api.stores.services import program_by_code, store_by_code
from rewards_api.walkins import rules


@click.group("walkins", help="Walk-in points.")
def walkins_group() -> None:
    pass


@walkins_group.group("rule", help="Walk-in rules: points a program gives at a store.")
def rule_group() -> None:
    pass


@rule_group.command("create", help="Points once per shopper per store-local day. A newer "
                    "rule of the same program and store replaces the older one on the "
                    "days they share.")
@click.option("--program", "program_code", required=True)
@click.option("--store", "store_code", required=True)
@click.option("--points", type=click.IntRange(min=1), required=True)
@click.option("--starts-on", type=click.DateTime(["%Y-%m-%d"]),
              help="First day (store-local); default today")
@click.option("--ends-on", type=click.DateTime(["%Y-%m-%d"]), help="Last day; default open")
@click.option("--daily-budget", type=click.IntRange(min=1),
              help="Most points the program gives at this store per local day")
@with_appcontext
def create(program_code: str, store_code: str, points: int, starts_on: dt.datetime | None,
           ends_on: dt.datetime | None, daily_budget: int | None) -> None:
    with service_errors(), db.transaction() as s:
        rule = rules.create_rule(s, actor(), program=program_by_code(s, program_code),
                                 store=store_by_code(s, store_code), points=points,
                                 starts_on=starts_on.date() if starts_on else None,
                                 ends_on=ends_on.date() if ends_on else None,
                                 daily_budget=daily_budget)
    click.echo(f"walk-in rule {rule.id} created: {points} {program_code} points at "
               f"{store_code} from {rule.starts_on}" + (f" to {rule.ends_on}" if rule.ends_on else ""))


@rule_group.command("end", help="Stop a rule after the given day (default: yesterday).")
@click.argument("rule_id", type=int)
@click.option("--last-day", type=click.DateTime(["%Y-%m-%d"]))
@with_appcontext
def end(rule_id: int, last_day: dt.datetime | None) -> None:
    with service_errors(), db.transaction() as s:
        rule = rules.end_rule(s, actor(), rules.rule_in(s, rule_id, true()),
                              last_day.date() if last_day else None)
    click.echo(f"walk-in rule {rule_id} ends after {rule.ends_on}")


@rule_group.command("list")
@with_appcontext
def list_rules() -> None:
    for rule in rules.rules_of(db.session(), true()):
        click.echo(f"{rule.id} program={rule.program_id} store={rule.store_id} "
                   f"points={rule.points} from={rule.starts_on} to={rule.ends_on or '-'} "
                   f"daily_budget={rule.daily_budget or '-'}")


def init_app(app: Flask) -> None:
    app.cli.add_command(walkins_group)
