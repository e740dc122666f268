"""``rewards-api chains|stores|programs create``: the chain, its stores, the programs."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import with_appcontext
from sqlalchemy import true

from rewards_api import db, i18n
from rewards_api.commands import actor, service_errors
from rewards_api.ledger.models import PARTNER_PROGRAM, STORE_PROGRAM
from rewards_api.stores import services

LANGUAGE = click.Choice(i18n.LANGUAGES)


@click.group("chains", help="Retail chains.")
def chains_group() -> None:
    pass


@chains_group.command("create")
@click.argument("code")
@click.option("--name", required=True)
@click.option("--language", type=LANGUAGE,
              help="What its stores speak unless they set their own (default English)")
@with_appcontext
def chains_create(code: str, name: str, language: str | None) -> None:
    with service_errors(), db.transaction() as s:
        chain = services.create_chain(s, actor(), code=code, name=name,
                                      default_language=language)
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
    with service_errors(), db.transaction() as s:
        store = services.create_store(s, actor(), services.chain_by_code(s, chain_code),
                                      code=code, name=name, timezone=timezone,
                                      latitude=latitude, longitude=longitude, language=language)
    click.echo(f"store {store.code} created (id {store.id})")


@stores_group.command("language", help="Set the language a store speaks (registers learn it "
                      "when they start).")
@click.argument("code")
@click.argument("language", type=LANGUAGE)
@with_appcontext
def stores_language(code: str, language: str) -> None:
    with service_errors(), db.transaction() as s:
        services.change_store(s, actor(), services.store_by_code(s, code), language=language)
    click.echo(f"store {code} speaks {i18n.NATIVE_NAMES[language]}")


@stores_group.command("change", help="Rename a store, or change its language or time zone.")
@click.argument("code")
@click.option("--name")
@click.option("--language", type=LANGUAGE)
@click.option("--timezone", help="IANA name, e.g. Europe/Berlin")
@with_appcontext
def stores_change(code: str, name: str | None, language: str | None,
                  timezone: str | None) -> None:
    with service_errors(), db.transaction() as s:
        store = services.change_store(s, actor(), services.store_by_code(s, code), name=name,
                                      language=language, timezone=timezone)
    language = store.language or "the chain's language"
    click.echo(f"store {store.code} changed: {store.name}, {store.timezone}, {language}")


@stores_group.command("close", help="Close a store for good: no more walk-ins, scans or "
                      "checkouts; its history stays.")
@click.argument("code")
@with_appcontext
def stores_close(code: str) -> None:
    with service_errors(), db.transaction() as s:
        services.close_store(s, actor(), services.store_by_code(s, code))
    click.echo(f"store {code} closed")


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
    with service_errors(), db.transaction() as s:
        chain = services.chain_by_code(s, chain_code) if chain_code else None
        program = services.create_program(s, actor(), code=code, name=name, kind=kind,
                                          chain=chain, point_value_minor=point_value,
                                          currency=currency)
    click.echo(f"program {program.code} created (id {program.id})")


@programs_group.command("list", help="Every points program.")
@with_appcontext
def programs_list() -> None:
    with db.transaction() as s:
        for program, chain_code in services.programs_of(s, true()):
            click.echo(f"{program.code}\t{program.kind}\t{chain_code or '-'}\t{program.name}")


def init_app(app: Flask) -> None:
    for group in (chains_group, stores_group, programs_group):
        app.cli.add_command(group)
