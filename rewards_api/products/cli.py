"""``rewards-api products``: the product catalogue and store assortments."""

from __future__ import annotations

from typing import TextIO

import click
from flask import Flask
from flask.cli import with_appcontext

from rewards_api import db
from rewards_api.commands import actor
from rewards_api.errors import ApiError
from rewards_api.products import services
from rewards_api.stores.services import store_by_code


@click.group("products", help="Products and what each store carries.")
def products_group() -> None:
    pass


@products_group.command("import")
@click.argument("file", type=click.File("r", encoding="utf-8-sig"))
@click.option("--store", "store_code", required=True, help="The store that carries them")
@with_appcontext
def products_import(file: TextIO, store_code: str) -> None:
    """Import a store's assortment from a CSV file with the header
    ``gtin,name,aisle,picture_url`` (aisle and picture_url optional).

    All or nothing: if any line is wrong, every wrong line is listed and nothing is
    imported; fix the file and run the command again.
    """
    try:
        with db.transaction() as s:
            store = store_by_code(s, store_code)
            count = services.import_assortment(s, actor(), store, file)
    except ApiError as exc:
        if exc.code != "assortment_invalid":
            raise click.ClickException(exc.english) from exc
        for line in exc.details["lines"]:
            click.echo(f"{file.name}:{line['line']}: {line['message']}", err=True)
        raise click.ClickException(f"{len(exc.details['lines'])} bad line(s); nothing was "
                                   "imported") from exc
    click.echo(f"{count} product(s) imported into {store.code}")


def init_app(app: Flask) -> None:
    app.cli.add_command(products_group)
