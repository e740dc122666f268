"""``rewards-api walkins rule ...``: walk-in points per program and store."""

from __future__ import annotations

import datetime as dt

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from rewards_api import db
from rewards_api.ledger.models import Program
from rewards_api.stores.models import Store
from rewards_api.walkins.models import WalkInRule


@click.group("walkins", help="Walk-in points.")
def walkins_group() -> None:
    pass


@walkins_group.group("rule", help="Walk-in rules: points a program gives at a store.")
def rule_group() -> None:
    pass


def _program(code: str) -> Program:
    program = db.session().scalars(select(Program).where(Program.code == code)).first()
    if program is None:
        raise click.ClickException(f"no program with code {code!r}")
    return program


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
    from rewards_api.cli import store_by_code

    with db.transaction() as s:
        program, store = _program(program_code), store_by_code(store_code)
        if not program.pays_in_chain(store.chain_id):
            raise click.ClickException(f"{program.code} is the program of another chain")
        first = starts_on.date() if starts_on else store.local_date(db.utcnow())
        last = ends_on.date() if ends_on else None
        if last is not None and last < first:
            raise click.ClickException("--ends-on is before --starts-on")
        rule = WalkInRule(program_id=program.id, store_id=store.id, points=points,
                          starts_on=first, ends_on=last, daily_budget=daily_budget)
        s.add(rule)
    click.echo(f"walk-in rule {rule.id} created: {points} {program.code} points at "
               f"{store.code} from {first}" + (f" to {last}" if last else ""))


@rule_group.command("end", help="Stop a rule after the given day (default: yesterday).")
@click.argument("rule_id", type=int)
@click.option("--last-day", type=click.DateTime(["%Y-%m-%d"]))
@with_appcontext
def end(rule_id: int, last_day: dt.datetime | None) -> None:
    with db.transaction() as s:
        rule = s.get(WalkInRule, rule_id)
        if rule is None:
            raise click.ClickException(f"no walk-in rule {rule_id}")
        yesterday = s.get_one(Store, rule.store_id).local_date(db.utcnow()) - dt.timedelta(days=1)
        rule.ends_on = last_day.date() if last_day else yesterday
    click.echo(f"walk-in rule {rule_id} ends after {rule.ends_on}")


@rule_group.command("list")
@with_appcontext
def list_rules() -> None:
    for rule in db.session().scalars(select(WalkInRule).order_by(WalkInRule.id)):
        click.echo(f"{rule.id} program={rule.program_id} store={rule.store_id} "
                   f"points={rule.points} from={rule.starts_on} to={rule.ends_on or '-'} "
                   f"daily_budget={rule.daily_budget or '-'}")
