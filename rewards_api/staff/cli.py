"""``rewards-api staff create|revoke``: keys for registers, managers, admins and the
partner operator."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import with_appcontext
from sqlalchemy import true

from rewards_api import db
from rewards_api.commands import actor, service_errors
from rewards_api.staff import services
from rewards_api.staff.models import ROLE_RANK
from rewards_api.stores.services import chain_by_code, store_by_code


@click.group("staff", help="Keys for registers, managers, admins and the partner operator.")
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
    with service_errors(), db.transaction() as s:
        _, key = services.issue_key(
            s, actor(), role, label, store=store_by_code(s, store_code) if store_code else None,
            chain=chain_by_code(s, chain_code) if chain_code else None)
    click.echo(key)


@staff_group.command("revoke")
@click.argument("staff_id", type=int)
@with_appcontext
def staff_revoke(staff_id: int) -> None:
    with service_errors(), db.transaction() as s:
        services.revoke_key(s, actor(), services.key_in(s, staff_id, true()))
    click.echo(f"staff key {staff_id} revoked")


def init_app(app: Flask) -> None:
    app.cli.add_command(staff_group)
