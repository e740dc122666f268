"""``rewards-api agents ...``: provision, tune and disable beacon agents."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import with_appcontext
from sqlalchemy import true

from rewards_api import db
from rewards_api.agents import services
from rewards_api.commands import actor, service_errors
from rewards_api.stores.models import Store
from rewards_api.stores.services import store_by_code


@click.group("agents", help="Beacon agents (one per store entrance).")
def agents_group() -> None:
    pass


@agents_group.command("provision", help="Make an agent for a store; prints its id and a "
                      "one-time enrolment code for `beacon-agent enrol` on its Pi (or, with "
                      "--show-secret, the secret itself for a Pi set up by hand).")
@click.option("--store", "store_code", required=True)
@click.option("--label", default="entrance", show_default=True)
@click.option("--show-secret", is_flag=True,
              help="Print the secret instead of an enrolment code (`beacon-agent provision`)")
@with_appcontext
def provision(store_code: str, label: str, show_secret: bool) -> None:
    with service_errors(), db.transaction() as s:
        by = actor()
        agent, secret = services.provision(s, by, store_by_code(s, store_code).id, label)
        code = None if show_secret else services.enrolment_code(s, by, agent)
    if code is None:
        click.echo(f"agent_id: {agent.id}\nsecret: {secret}")
    else:
        click.echo(f"agent_id: {agent.id}\nenrolment_code: {code}\n"
                   f"on the Pi: sudo beacon-agent enrol {code} --api https://YOUR-API-HOST")


@agents_group.command("enrolment-code", help="A new one-time enrolment code for an agent "
                      "(a replaced Pi or SD card); an unused earlier code stops working.")
@click.argument("agent_id", type=int)
@with_appcontext
def new_enrolment_code(agent_id: int) -> None:
    with service_errors(), db.transaction() as s:
        code = services.enrolment_code(s, actor(), services.agent_in(s, agent_id, true()))
    click.echo(f"enrolment_code: {code}")


@agents_group.command("disable", help="Refuse the agent's requests from now on.")
@click.argument("agent_id", type=int)
@with_appcontext
def disable(agent_id: int) -> None:
    with service_errors(), db.transaction() as s:
        services.disable(s, actor(), services.agent_in(s, agent_id, true()))
    click.echo(f"agent {agent_id} disabled")


@agents_group.command("tune", help="Change the settings the agent downloads.")
@click.argument("agent_id", type=int)
@click.option("--rssi-offset", type=int, help="dB added to every RSSI it measures")
@click.option("--enter-rssi", type=int, help="dBm a phone must reach to count as inside")
@click.option("--dwell-seconds", type=click.IntRange(min=0))
@click.option("--exit-after-seconds", type=click.IntRange(min=1))
@with_appcontext
def tune(agent_id: int, **settings: int | None) -> None:
    with service_errors(), db.transaction() as s:
        services.tune(s, actor(), services.agent_in(s, agent_id, true()), settings)
    click.echo(f"agent {agent_id} tuned; it picks the settings up at its next config fetch")


@agents_group.command("list")
@click.option("--store", "store_code")
@with_appcontext
def list_agents(store_code: str | None) -> None:
    s = db.session()
    with service_errors():
        stores = Store.id == store_by_code(s, store_code).id if store_code else true()
    for agent in services.agents_of(s, stores):
        view = services.agent_view(agent)
        click.echo(" ".join(f"{k}={v}" for k, v in view.items()))


def init_app(app: Flask) -> None:
    app.cli.add_command(agents_group)
