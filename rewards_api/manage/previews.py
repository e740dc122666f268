"""What a rule will do, in one sentence in the reader's language: the back office's
rules page shows it beside each rule and under the form while it is filled in
(``GET /v1/admin/walk-in-rules/preview``, ``GET /v1/admin/earn-rules/preview``).

Each sentence is a whole sentence in the catalogs with named placeholders, so that a
translation may order its parts as its language needs; numbers, days and money are
written by Babel in the request's language.
"""

from __future__ import annotations

import datetime as dt

import flask_babel
from flask_babel import gettext as _

from rewards_api import i18n


def _days(starts_on: dt.date, ends_on: dt.date | None) -> str:
    if ends_on == starts_on:
        return _("on %(day)s", day=flask_babel.format_date(starts_on, "full"))
    first = flask_babel.format_date(starts_on, "medium")
    if ends_on is None:
        return _("any day from %(first)s on", first=first)
    return _("any day from %(first)s to %(last)s", first=first,
             last=flask_babel.format_date(ends_on, "medium"))


def walk_in_rule(*, store: str, program: str, points: int, starts_on: dt.date,
                 ends_on: dt.date | None, daily_budget: int | None) -> str:
    """For example: A shopper who walks into Berlin Mitte on Saturday, December 5, 2026
    gets 50 Corner Points, at most once a day, until the 500-point daily budget runs out."""
    values = {"store": store, "days": _days(starts_on, ends_on), "points": i18n.number(points),
              "program": program}
    if daily_budget is None:
        return _("A shopper who walks into %(store)s %(days)s gets %(points)s %(program)s, "
                 "at most once a day.", **values)
    return _("A shopper who walks into %(store)s %(days)s gets %(points)s %(program)s, "
             "at most once a day, until the %(budget)s-point daily budget runs out.",
             budget=i18n.number(daily_budget), **values)


def earn_rule(*, program: str, currency: str, points_per_unit: int, multiplier: int,
              product: str | None) -> str:
    """The base rate ("Every €1.00 spent earns 2 Corner Points.") or a product's
    multiplier (``product``: its name, or its code when the store lists none)."""
    if product is not None:
        return _("Buying %(product)s earns %(multiplier)s times the usual %(program)s.",
                 product=product, multiplier=i18n.number(multiplier), program=program)
    if points_per_unit == 0:
        return _("Purchases earn no %(program)s.", program=program)
    return _("Every %(unit)s spent earns %(points)s %(program)s.",
             unit=flask_babel.format_currency(1, currency), points=i18n.number(points_per_unit),
             program=program)
