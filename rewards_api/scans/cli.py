"""``rewards-api campaigns`` (scan campaigns) and ``rewards-api codes`` (the support
tool that reads codes from pictures with the scan endpoint's own decoder)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from rewards_api import db
from rewards_api.products import gtin
from rewards_api.products.services import product_by_gtin
from rewards_api.scans import decoder, services
from rewards_api.scans.models import PER_DAY, PER_SHOPPER_LIMITS, ScanCampaign
from rewards_api.shoppers.services import program_by_code


def _instant(value: str) -> dt.datetime:
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError as exc:
        raise click.BadParameter(f"{value!r} is not an ISO date-time") from exc
    if parsed.tzinfo is None:
        raise click.BadParameter(f"{value!r} needs a UTC offset, e.g. 2026-12-01T00:00+01:00")
    return parsed


@click.group("campaigns", help="Scan campaigns: points for scanning chosen products.")
def campaigns_group() -> None:
    pass


@campaigns_group.command("create")
@click.argument("code")
@click.option("--name", required=True)
@click.option("--program", "program_code", required=True,
              help="The program that pays: the chain's own, or the partner program (brands)")
@click.option("--points", type=int, required=True, help="Points per scan")
@click.option("--starts", required=True, help="ISO date-time with offset")
@click.option("--ends", required=True, help="ISO date-time with offset")
@click.option("--product", "product_codes", multiple=True, required=True, help="GTIN; repeat")
@click.option("--store", "store_codes", multiple=True, help="Store code; repeat")
@click.option("--chain", "chain_code", help="Every store of this chain instead of --store")
@click.option("--per-shopper", type=click.Choice(PER_SHOPPER_LIMITS), default=PER_DAY,
              show_default=True, help="day: once per store and store-local day; campaign: once")
@click.option("--budget", type=int, help="Total points the campaign may give out")
@with_appcontext
def campaigns_create(code: str, name: str, program_code: str, points: int, starts: str,
                     ends: str, product_codes: tuple[str, ...], store_codes: tuple[str, ...],
                     chain_code: str | None, per_shopper: str, budget: int | None) -> None:
    from rewards_api.cli import _chain, store_by_code

    with db.transaction() as s:
        products = []
        for raw in product_codes:
            try:
                product = product_by_gtin(s, gtin.normalize(raw))
            except ValueError as exc:
                raise click.ClickException(f"{raw}: {exc}") from exc
            if product is None:
                raise click.ClickException(f"no product {raw}; import it with `products import`")
            products.append(product)
        try:
            campaign = services.create_campaign(
                s, code=code, name=name, program=program_by_code(s, program_code), points=points,
                starts_at=_instant(starts), ends_at=_instant(ends), products=products,
                stores=[store_by_code(c) for c in store_codes],
                chain=_chain(chain_code) if chain_code else None,
                per_shopper=per_shopper, budget=budget)
        except ValueError as exc:
            raise click.ClickException(str(exc)) from exc
    click.echo(f"campaign {campaign.code} created (id {campaign.id})")


@campaigns_group.command("list")
@with_appcontext
def campaigns_list() -> None:
    """Every campaign with its dates and what it has given out."""
    for c in db.session().scalars(select(ScanCampaign).order_by(ScanCampaign.starts_at)):
        budget = f"{c.points_awarded}/{c.budget}" if c.budget is not None else f"{c.points_awarded}/-"
        click.echo(f"{c.code}\t{c.program.code}\t{c.points} pts\t{c.starts_at:%Y-%m-%d %H:%M}Z"
                   f"\t{c.ends_at:%Y-%m-%d %H:%M}Z\tawarded {budget}\t{c.name}")


@click.group("codes", help="Barcodes and QR codes in pictures.")
def codes_group() -> None:
    pass


@codes_group.command("decode")
@click.argument("images", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
def codes_decode(images: tuple[Path, ...]) -> None:
    """Read codes with the scan endpoint's own decoder: one line per code found,
    ``<file>\\t<symbology>\\t<value>``, or ``<file>\\tunreadable``, or
    ``<file>\\tunclear`` (readers disagreed about a barcode). Exits 1 if any picture
    gave nothing."""
    failed = False
    for path in images:
        verdict = "unreadable"
        try:
            reads = decoder.decode(path.read_bytes())
        except (OSError, decoder.UnreadableImage):
            reads = []
        except decoder.UnclearBarcode:
            reads, verdict = [], "unclear"
        for read in reads:
            click.echo(f"{path}\t{read.symbology}\t{read.value}")
        if not reads:
            click.echo(f"{path}\t{verdict}")
            failed = True
    if failed:
        raise SystemExit(1)
