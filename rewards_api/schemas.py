"""Shared request/response schema pieces (marshmallow via APIFlask).

Every schema of the API derives from ``StrictSchema``, which gives each of its fields
the limits every value must keep whatever the field: an integer fits a 64-bit column,
text holds no NUL and no lone surrogate (neither PostgreSQL nor UTF-8 can store them),
a date lies between 2000 and 2999.
Fields add their own, tighter limits with marshmallow validators (``Range``, ``Length``).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from apiflask import Schema
from apiflask.fields import Dict, Integer, List, Nested, String
from apiflask.validators import Length, NoneOf, Range
from marshmallow import ValidationError, fields
from marshmallow.validate import Validator

from rewards_api.languages import LANGUAGES
from rewards_api.products import gtin

# What a shop can mean: one place for the bounds of money, quantities and points in
# requests. The largest basket (lines x quantity x unit price) is 2 x 10^12 minor units,
# past 32 bits, so money and points columns are 64-bit.
MAX_BASKET_LINES = 200
MAX_QUANTITY = 999
MAX_UNIT_PRICE_MINOR = 10_000_000
MAX_ADJUSTMENT_POINTS = 1_000_000
# Ids, counts and amounts are BIGINT at most.
MAX_INT64 = 2**63 - 1
# Dates a shop's records can have (and date arithmetic around them cannot overflow).
FIRST_DATE, LAST_DATE = dt.date(2000, 1, 1), dt.date(2999, 12, 31)

NOT_TEXT = re.compile("[\x00\ud800-\udfff]")


class PlainText(Validator):
    """Refuses NUL and lone surrogates (a valid pair is decoded into one character)."""

    error = "Text must not contain NUL or unpaired surrogate characters."

    def __call__(self, value: Any) -> Any:
        if isinstance(value, str) and NOT_TEXT.search(value):
            raise ValidationError(self.error)
        return value


def points_change(maximum: int) -> list[Validator]:
    """A change of points: not zero, at most ``maximum`` either way."""
    return [Range(-maximum, maximum), NoneOf([0], error="A change of 0 points changes nothing.")]


class StrictSchema(Schema):
    """Unknown fields are an error, not silently dropped; every field keeps the limits
    of the module docstring."""

    class Meta:
        unknown = "raise"

    def on_bind_field(self, field_name: str, field_obj: fields.Field) -> None:
        _add_limits(field_obj)


def _add_limits(field_obj: fields.Field) -> None:
    if isinstance(field_obj, List):
        _add_limits(field_obj.inner)
    elif isinstance(field_obj, fields.Integer):
        if not any(isinstance(v, Range) and v.min is not None and v.max is not None
                   for v in field_obj.validators):
            field_obj.validators.append(Range(-MAX_INT64, MAX_INT64))
    elif isinstance(field_obj, fields.Date):
        field_obj.validators.append(Range(FIRST_DATE, LAST_DATE))
    elif isinstance(field_obj, fields.String):
        field_obj.validators.append(PlainText())


def names_field(max_length: int) -> Nested:
    """``names``: a thing's name per language besides the one typed in ``name``
    ({"de": "...", "pt": "..."}); the reader's language is shown, else ``name``
    (rewards_api.localized). Given, it replaces every earlier translation."""
    per_language = StrictSchema.from_dict(
        {language: String(validate=Length(min=1, max=max_length)) for language in LANGUAGES},
        name=f"Names{max_length}")
    return Nested(per_language, load_default=None, metadata={
        "description": "The name per language (en, de, pt); omitted: unchanged"})


class Gtin(String):
    """A product code as printed (EAN-8, UPC-A, EAN-13 or GTIN-14, with a right check
    digit), loaded as the 14-digit GTIN every table and comparison uses."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        try:
            return gtin.normalize(super()._deserialize(value, attr, data, **kwargs))
        except (gtin.NotAGtin, gtin.BadCheckDigit) as exc:
            raise ValidationError(f"Not a product code: {exc}.") from exc


class ErrorBody(Schema):
    code = String(required=True)
    message = String(required=True)
    details = Dict()


class ErrorResponse(Schema):
    """Every error answer; the OpenAPI document uses it for every 4xx/5xx response."""

    error = Nested(ErrorBody, required=True)


class Paging(StrictSchema):
    before = Integer(load_default=None, metadata={"description": "Show entries older than this id"})
    limit = Integer(load_default=50, validate=Range(1, 200))

