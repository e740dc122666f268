"""``rewards-api products``: the product catalogue and store assortments."""

from __future__ import annotations

from typing import TextIO

import click
from flask.cli import with_appcontext

from rewards_api import db
from rewards_api.products import services


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
    from rewards_api.cli import store_by_code

    rows, errors = services.parse_assortment(file)
    if errors:
        for error in errors:
            click.echo(f"{file.name}:{error.line}: {error.message}", err=True)
        raise click.ClickException(f"{len(errors)} bad line(s); nothing was imported")
    with db.transaction() as s:
        store = store_by_code(store_code)
        with click.progressbar(rows, label=f"importing into {store.code}") as bar:
            for row in bar:
                services.carry(s, store.id, row)
    click.echo(f"{len(rows)} product(s) imported into {store.code}")
