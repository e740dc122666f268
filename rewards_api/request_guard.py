"""What any request may be before a view reads it, whatever the route.

- Path parts: ``<int:...>`` is at most a 64-bit id and a string part holds no NUL,
  else the route does not match (404).
- Header values hold no NUL and no lone surrogate (gunicorn refuses NUL itself; other
  servers and test clients may pass them on), else ``malformed_http``.
- A JSON body nests at most ``MAX_JSON_DEPTH`` levels; checked on the raw bytes before
  anything parses it (Python's parser recurses, so a deep body would exhaust the stack).

Field values are checked by the schemas (``rewards_api.schemas.StrictSchema``).
"""

from __future__ import annotations

import re
from typing import Any

from flask import Flask, request
from werkzeug.routing import IntegerConverter, UnicodeConverter

from rewards_api.errors import ApiError
from rewards_api.schemas import MAX_INT64, NOT_TEXT

# The deepest request of the API (an offline earning's basket line) nests 4 levels.
MAX_JSON_DEPTH = 32

FORM_TYPES = {"multipart/form-data", "application/x-www-form-urlencoded"}
# A JSON string, escapes included ("unrolled loop": no backtracking on long strings).
_JSON_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")


class IdConverter(IntegerConverter):
    """``<int:...>``: a positive id that fits a BIGINT column."""

    def __init__(self, url_map: Any, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", MAX_INT64)
        super().__init__(url_map, *args, **kwargs)


class TextConverter(UnicodeConverter):
    """``<name>``: one path segment without NUL."""

    def __init__(self, url_map: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(url_map, *args, **kwargs)
        self.regex = self.regex.replace("[^/]", "[^/\\x00]")


def json_too_deep(body: bytes, limit: int = MAX_JSON_DEPTH) -> bool:
    brackets = _JSON_STRING.sub(b"", body).translate(None, _NOT_BRACKETS)
    depth = 0
    for byte in brackets:
        depth += 1 if byte in b"[{" else -1
        if depth > limit:
            return True
    return False


def _refuse_hostile_request() -> None:
    if any(NOT_TEXT.search(value) for value in request.headers.values()):
        raise ApiError("malformed_http", "A header holds a NUL or an unpaired surrogate character.")
    if request.mimetype in FORM_TYPES:
        return  # parsed by werkzeug's form parser, which does not recurse
    if json_too_deep(request.get_data(cache=True)):
        raise ApiError("malformed_json", "The request body nests JSON more than %(depth)s levels "
                                         "deep; no request needs that.",
                       params={"depth": MAX_JSON_DEPTH})


def init_app(app: Flask) -> None:
    """Call before any route is added (the converters apply to rules made afterwards)."""
    app.url_map.converters.update(int=IdConverter, default=TextConverter, string=TextConverter)
    app.before_request(_refuse_hostile_request)
