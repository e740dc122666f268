"""``rewards-api campaigns`` (scan campaigns) and ``rewards-api codes`` (the support
tool that reads codes from pictures with the scan endpoint's own decoder)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click
from flask import Flask
from flask.cli import with_appcontext
from sqlalchemy import true

from rewards_api import db
from rewards_api.commands import Gtin, Instant, actor, service_errors
from rewards_api.products.services import products_by_gtin
from rewards_api.scans import campaigns, decoder
from rewards_api.scans.models import PER_DAY, PER_SHOPPER_LIMITS
from rewards_api.stores.services import chain_by_code, program_by_code, store_by_code


@click.group("campaigns", help="Scan campaigns: points for scanning chosen products.")
def campaigns_group() -> None:
    pass


@campaigns_group.command("create")
@click.argument("code")
@click.option("--name", required=True)
@click.option("--program", "program_code", required=True,
              help="The program that pays: the chain's own, or the partner program (brands)")
@click.option("--points", type=int, required=True, help="Points per scan")
@click.option("--starts", type=Instant(), required=True, help="ISO date-time with offset")
@click.option("--ends", type=Instant(), required=True, help="ISO date-time with offset")
@click.option("--product", "product_codes", type=Gtin(), multiple=True, required=True,
              help="GTIN; repeat")
@click.option("--store", "store_codes", multiple=True, help="Store code; repeat")
@click.option("--chain", "chain_code", help="Every store of this chain instead of --store")
@click.option("--per-shopper", type=click.Choice(PER_SHOPPER_LIMITS), default=PER_DAY,
              show_default=True, help="day: once per store and store-local day; campaign: once")
@click.option("--budget", type=int, help="Total points the campaign may give out")
@with_appcontext
def campaigns_create(code: str, name: str, program_code: str, points: int,
                     starts: dt.datetime, ends: dt.datetime, product_codes: tuple[str, ...],
                     store_codes: tuple[str, ...], chain_code: str | None, per_shopper: str,
                     budget: int | None) -> None:
    with service_errors(), db.transaction() as s:
        campaign = campaigns.create_campaign(
            s, actor(), code=code, name=name, program=program_by_code(s, program_code),
            points=points, starts_at=starts, ends_at=ends,
            products=products_by_gtin(s, product_codes),
            stores=[store_by_code(s, c) for c in store_codes],
            chain=chain_by_code(s, chain_code) if chain_code else None,
            per_shopper=per_shopper, budget=budget)
    click.echo(f"campaign {campaign.code} created (id {campaign.id})")


@campaigns_group.command("list")
@with_appcontext
def campaigns_list() -> None:
    """Every campaign with its dates and what it has given out."""
    for c in campaigns.campaigns_in(db.session(), true()):
        budget = f"{c.points_awarded}/{c.budget}" if c.budget is not None else f"{c.points_awarded}/-"
        click.echo(f"{c.id}\t{c.code}\t{c.program.code}\t{c.points} pts\t"
                   f"{c.starts_at:%Y-%m-%d %H:%M}Z\t{c.ends_at:%Y-%m-%d %H:%M}Z\t"
                   f"awarded {budget}\t{c.name}")


@campaigns_group.command("end", help="End a running campaign now: later scans are "
                         "refused, what it gave out stays.")
@click.argument("campaign_id", type=int)
@with_appcontext
def campaigns_end(campaign_id: int) -> None:
    with service_errors(), db.transaction() as s:
        campaign = campaigns.end_campaign(s, actor(), campaigns.campaign_in(s, campaign_id, true()))
    click.echo(f"campaign {campaign.code} ended at {campaign.ends_at:%Y-%m-%d %H:%M}Z")


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


def init_app(app: Flask) -> None:
    app.cli.add_command(campaigns_group)
    app.cli.add_command(codes_group)
