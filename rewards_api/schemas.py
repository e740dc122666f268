"""Shared request/response schema pieces (marshmallow via APIFlask)."""

from __future__ import annotations

from apiflask import Schema
from apiflask.fields import Dict, Integer, Nested, String


class StrictSchema(Schema):
    """Unknown fields are an error, not silently dropped."""

    class Meta:
        unknown = "raise"


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

