"""Shared request/response schema pieces (marshmallow via APIFlask)."""

from __future__ import annotations

from typing import Any

from apiflask import Schema
from apiflask.fields import Dict, Integer, Nested, String
from marshmallow import ValidationError

from rewards_api.products import gtin


class StrictSchema(Schema):
    """Unknown fields are an error, not silently dropped."""

    class Meta:
        unknown = "raise"


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
    limit = Integer(load_default=50, validate=lambda n: 1 <= n <= 200)

