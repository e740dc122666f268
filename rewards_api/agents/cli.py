"""``rewards-api agents ...``: provision, tune and disable beacon agents."""

from __future__ import annotations

import click
from flask.cli import with_appcontext
from sqlalchemy import true

from rewards_api import db
from rewards_api.agents import services
from rewards_api.agents.models import Agent
from rewards_api.db import utcnow
from rewards_api.stores.models import Store


@click.group("agents", help="Beacon agents (one per store entrance).")
def agents_group() -> None:
    pass


def _agent(agent_id: int) -> Agent:
    agent = db.session().get(Agent, agent_id)
    if agent is None:
        raise click.ClickException(f"no agent {agent_id}")
    return agent


@agents_group.command("provision", help="Make an agent for a store; prints its id and "
                      "secret once (put both in the agent's config file).")
@click.option("--store", "store_code", required=True)
@click.option("--label", default="entrance", show_default=True)
@with_appcontext
def provision(store_code: str, label: str) -> None:
    from rewards_api.cli import store_by_code

    with db.transaction() as s:
        agent, secret = services.provision(s, store_by_code(store_code).id, label)
    click.echo(f"agent_id: {agent.id}\nsecret: {secret}")


@agents_group.command("disable", help="Refuse the agent's requests from now on.")
@click.argument("agent_id", type=int)
@with_appcontext
def disable(agent_id: int) -> None:
    with db.transaction():
        _agent(agent_id).disabled_at = utcnow()
    click.echo(f"agent {agent_id} disabled")


@agents_group.command("tune", help="Change the settings the agent downloads.")
@click.argument("agent_id", type=int)
@click.option("--rssi-offset", type=int, help="dB added to every RSSI it measures")
@click.option("--enter-rssi", type=int, help="dBm a phone must reach to count as inside")
@click.option("--dwell-seconds", type=click.IntRange(min=0))
@click.option("--exit-after-seconds", type=click.IntRange(min=1))
@with_appcontext
def tune(agent_id: int, **settings: int | None) -> None:
    with db.transaction():
        agent = _agent(agent_id)
        for name, value in settings.items():
            if value is not None:
                setattr(agent, name, value)
    click.echo(f"agent {agent_id} tuned; it picks the settings up at its next config fetch")


@agents_group.command("list")
@click.option("--store", "store_code")
@with_appcontext
def list_agents(store_code: str | None) -> None:
    from rewards_api.cli import store_by_code

    stores = Store.id == store_by_code(store_code).id if store_code else true()
    for agent in services.agents_of(db.session(), stores):
        view = services.agent_view(agent)
        click.echo(" ".join(f"{k}={v}" for k, v in view.items()))
