"""Turn every failure into ``{"error": {"code", "message"}}`` with the right status.

Validation errors name the fields; HTTP errors from Flask (404, 405, 413, malformed
JSON) get registered codes; anything unexpected is logged with its traceback and
answered as ``internal_error`` without one. Requests gunicorn refuses before the app
sees them (too long a URL, too many or too large headers, not HTTP) get the same shape
through ``server_error_response`` (rewards_api/gunicorn_conf.py).
"""

from __future__ import annotations

import json
import logging
from typing import Any

import flask_babel
from apiflask import APIFlask
from apiflask.exceptions import HTTPError
from flask import Response, jsonify
from sqlalchemy.exc import OperationalError, PendingRollbackError
from werkzeug.exceptions import HTTPException

from rewards_api import i18n
from rewards_api.errors import REGISTRY, ApiError

log = logging.getLogger("rewards_api.errors")

_HTTP_CODES = {400: "invalid_request", 401: "unauthenticated", 403: "forbidden",
               404: "not_found", 405: "method_not_allowed", 413: "body_too_large",
               414: "url_too_long", 415: "unsupported_media_type", 431: "headers_too_large"}


# Statuses gunicorn answers by itself, before the app sees the request.
_SERVER_CODES = {414: "url_too_long", 431: "headers_too_large", 403: "forbidden",
                 500: "internal_error"}


def server_error_response(status: int, reason: str) -> bytes:
    """A whole HTTP response in the error shape, for gunicorn to send instead of its page."""
    error = ApiError(_SERVER_CODES.get(status, "malformed_http"), status=status)
    body = json.dumps(error.body()).encode()
    head = (f"HTTP/1.1 {status} {reason}\r\nConnection: close\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n")
    return head.encode("latin-1") + body


def translated(error: ApiError) -> str:
    """The error's message in the request's language (rewards_api.i18n). A sentence the
    catalog lacks (written at a raise site, not yet translated) gives way to the code's
    registered sentence in that language: a cashier in Lisbon reads Portuguese, if less
    specific, rather than English. English answers the sentence as raised."""
    flask_babel.refresh()  # the language may depend on who turned out to be calling
    if i18n.current() == i18n.ENGLISH:
        return error.english
    translations = flask_babel.get_translations()
    message = translations.gettext(error.message)
    if message == error.message:
        return translations.gettext(REGISTRY[error.code].message)
    return message % error.params if error.params else message


def _answer(error: ApiError) -> tuple[Response, int]:
    response = jsonify(error.body(translated(error)))
    response.headers.update(error.headers)
    return response, error.status


def _from_validation(error: HTTPError) -> ApiError:
    detail: Any = error.detail
    # APIFlask nests field errors by location: {"json": {"field": ["message"]}}.
    fields = detail.get("json") or detail.get("query") or detail.get("form") or detail
    if isinstance(fields, dict) and "_schema" in fields:
        messages = fields["_schema"]
        if any("Invalid JSON" in m for m in messages):
            return ApiError("malformed_json")
    if not fields:
        return ApiError("malformed_json") if error.status_code == 400 else ApiError("invalid_request")
    names = ", ".join(sorted(str(k) for k in fields)) if isinstance(fields, dict) else ""
    if not names:
        return ApiError("invalid_request", details=fields)
    return ApiError("invalid_request", "These fields are missing or wrong: %(fields)s.",
                    params={"fields": names}, details=fields)


def _database_down(error: Exception) -> tuple[Response, int]:
    log.error("database error", exc_info=error)
    return _answer(ApiError("service_unavailable"))


# SQLAlchemy's code for "can't reconnect until invalid transaction is rolled back": the
# connection under the request's transaction was lost (the database restarted or went
# away while the request ran). Any other pending rollback is a bug.
CONNECTION_LOST = "8s2b"


def _transaction_lost(error: PendingRollbackError) -> tuple[Response, int]:
    if error.code == CONNECTION_LOST:
        return _database_down(error)
    log.error("unexpected error", exc_info=error)
    return _answer(ApiError("internal_error"))


def init_app(app: APIFlask) -> None:
    @app.errorhandler(ApiError)
    def _api_error(error: ApiError) -> tuple[Response, int]:
        return _answer(error)

    @app.error_processor
    def _apiflask_error(error: HTTPError) -> tuple[Response, int]:
        if error.status_code in (400, 422) and error.detail:
            return _answer(_from_validation(error))
        code = _HTTP_CODES.get(error.status_code, "invalid_request")
        if error.status_code == 400 and not error.detail:
            code = "malformed_json"
        return _answer(ApiError(code, status=error.status_code))

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException) -> tuple[Response, int]:
        status = error.code or 500
        code = _HTTP_CODES.get(status)
        if code is None:
            return _answer(ApiError("invalid_request", error.description, status=status))
        return _answer(ApiError(code, status=status))

    app.register_error_handler(OperationalError, _database_down)
    app.register_error_handler(PendingRollbackError, _transaction_lost)

    @app.errorhandler(Exception)
    def _unexpected(error: Exception) -> tuple[Response, int]:
        log.error("unexpected error", exc_info=error)
        return _answer(ApiError("internal_error"))
