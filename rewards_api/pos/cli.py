"""``rewards-api rewards ...`` and ``rewards-api earn-rules ...``: the catalog and earn
rules from the command line (the same services as ``/v1/admin/rewards`` and
``/v1/admin/earn-rules``)."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import with_appcontext

from rewards_api import db
from rewards_api.commands import Gtin, actor, service_errors
from rewards_api.pos import catalog
from rewards_api.pos.models import REWARD_KINDS
from rewards_api.stores.services import program_by_code


@click.group("rewards", help="The rewards catalog of a program.")
def rewards_group() -> None:
    pass


@rewards_group.command("create")
@click.argument("code")
@click.option("--program", required=True)
@click.option("--name", required=True)
@click.option("--kind", type=click.Choice(REWARD_KINDS), required=True)
@click.option("--points", "points_cost", type=click.IntRange(1), required=True)
@click.option("--amount-off", "amount_off_minor", type=click.IntRange(1),
              help="Minor units (cents) off")
@click.option("--percent-off", type=click.IntRange(1, 100))
@click.option("--cap", "cap_minor", type=click.IntRange(1), help="Largest percent discount, cents")
@click.option("--product", "product_gtin", type=Gtin(), help="GTIN of the free product")
@click.option("--min-basket", "min_basket_minor", type=click.IntRange(0), default=0)
@click.option("--eligible", "eligible_gtins", type=Gtin(), multiple=True,
              help="GTIN the discount applies to (repeat); none means the whole basket")
@with_appcontext
def rewards_create(code: str, program: str, eligible_gtins: tuple[str, ...], **fields: object
                   ) -> None:
    with service_errors(), db.transaction() as s:
        reward = catalog.create_reward(s, actor(), program_by_code(s, program),
                                       dict(fields, code=code, eligible_gtins=list(eligible_gtins)))
    click.echo(f"reward {program}:{reward.code} created (id {reward.id})")


@click.group("earn-rules", help="How purchases earn points in a program.")
def earn_rules_group() -> None:
    pass


@earn_rules_group.command("set")
@click.option("--program", required=True)
@click.option("--points-per-unit", type=click.IntRange(0), default=0,
              help="Base rate: points per whole currency unit paid")
@click.option("--gtin", type=Gtin(), help="A product; with --multiplier")
@click.option("--multiplier", type=click.IntRange(1), default=1)
@with_appcontext
def earn_rules_set(program: str, points_per_unit: int, gtin: str | None, multiplier: int) -> None:
    with service_errors(), db.transaction() as s:
        catalog.set_earn_rule(s, actor(), program_by_code(s, program), gtin=gtin,
                              points_per_unit=points_per_unit, multiplier=multiplier)
    what = f"product {gtin} x{multiplier}" if gtin else f"{points_per_unit} points per unit"
    click.echo(f"earn rule of {program}: {what}")


def init_app(app: Flask) -> None:
    app.cli.add_command(rewards_group)
    app.cli.add_command(earn_rules_group)
