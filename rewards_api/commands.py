"""What the ``rewards-api`` command groups of every package share: the operator as the
audit trail's actor, service errors as command errors, and parameter types.

Each package's ``cli.py`` holds its group and an ``init_app(app)`` that registers it
(flaskr's pattern); the commands parse, call the package's services and print.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager

import click

from rewards_api import clock
from rewards_api.audit.services import Actor, command_line
from rewards_api.errors import ApiError
from rewards_api.products import gtin as gtins


def actor() -> Actor:
    """The user running the command, now (the app's clock)."""
    return command_line(clock.now())


@contextmanager
def service_errors() -> Iterator[None]:
    """A service's refusal ends the command with its sentence (exit status 1)."""
    try:
        yield
    except ApiError as exc:
        raise click.ClickException(f"{exc.english} ({exc.code})") from exc


class Gtin(click.ParamType):
    """A product code as printed, taken as its 14-digit GTIN (like the API's ``Gtin``)."""

    name = "gtin"

    def convert(self, value: str, param: click.Parameter | None, ctx: click.Context | None
                ) -> str:
        try:
            return gtins.normalize(value)
        except (gtins.NotAGtin, gtins.BadCheckDigit) as exc:
            self.fail(str(exc), param, ctx)


class Instant(click.ParamType):
    """An ISO 8601 date-time with its UTC offset."""

    name = "instant"

    def convert(self, value: str, param: click.Parameter | None, ctx: click.Context | None
                ) -> dt.datetime:
        try:
            parsed = dt.datetime.fromisoformat(value)
        except ValueError:
            self.fail(f"{value!r} is not an ISO date-time", param, ctx)
        if parsed.tzinfo is None:
            self.fail(f"{value!r} needs a UTC offset, e.g. 2026-12-01T00:00+01:00", param, ctx)
        return parsed
