"""The language of every answer, page and e-mail, and the one rule that picks it.

English is the source language: every text is written in English in the code and
translated in the gettext catalogs under ``rewards_api/translations`` (``make i18n``
extracts, updates and compiles them; see ``babel.cfg``). A request speaks, in order:

1. the language the page or a caller chose explicitly (``use()``; the pages' ``?lang=``);
2. the best of ``LANGUAGES`` in the ``Accept-Language`` header;
3. the signed-in shopper's preferred language (chosen in the app);
4. the store's language when the request is about a store (a register's or manager's
   key, a store in the path), else its chain's default (an admin key of a chain);
5. English.

Error codes never change; only their ``message`` is translated (rewards_api.http_errors).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import Any

import flask_babel
from babel.lists import format_list
from flask import Flask, current_app, g, has_request_context, request
from sqlalchemy import Select
from sqlalchemy.exc import SQLAlchemyError

from rewards_api import db
from rewards_api.languages import ENGLISH as ENGLISH
from rewards_api.languages import LANGUAGES as LANGUAGES
from rewards_api.languages import NATIVE_NAMES as NATIVE_NAMES

log = logging.getLogger("rewards_api.i18n")

TRANSLATIONS = Path(__file__).resolve().parent / "translations"
MINOR_PER_UNIT = 100  # the two-decimal currencies the programs count in


def N_(text: str) -> str:  # noqa: N802 (gettext's name for "mark, translate later")
    """Mark ``text`` for the catalogs (``make i18n``); translate it where it is shown."""
    return text


# Given the store id (or None) and the chain id (or None) of a request, the query of
# the language they speak, or None. The stores package answers it; the app factory
# hands it over (rewards_api.create_app), so that this module imports no domain.
LanguageQuery = Callable[[int | None, int | None], "Select[Any] | None"]


def init_app(app: Flask, language_query: LanguageQuery) -> None:
    flask_babel.Babel(app, locale_selector=select_language, default_locale=ENGLISH,
                      default_translation_directories=str(TRANSLATIONS))
    app.extensions["rewards_language_query"] = language_query


def supported(language: str | None) -> str | None:
    """``language`` if the catalogs hold it (``pt-PT`` counts as ``pt``), else None."""
    if not language:
        return None
    primary = language.replace("_", "-").split("-")[0].lower()
    return primary if primary in LANGUAGES else None


def use(language: str | None) -> None:
    """Speak ``language`` for the rest of this request (ignored when not supported)."""
    chosen = supported(language)
    if chosen is not None:
        g.language = chosen
        flask_babel.refresh()


def speaking(language: str | None) -> AbstractContextManager[object]:
    """Within it, speak ``language`` if the catalogs hold it (a shopper's e-mail in the
    language they chose), else the request's own language."""
    chosen = supported(language)
    return flask_babel.force_locale(chosen) if chosen else nullcontext()


def current() -> str:
    """The language of this request (English outside one)."""
    locale = flask_babel.get_locale()
    return str(locale.language) if locale is not None else ENGLISH


def select_language() -> str:
    """Flask-Babel's locale selector: the rule of this module's docstring."""
    if not has_request_context():
        return ENGLISH
    chosen = g.get("language")
    if chosen:
        return str(chosen)
    # By quality, the first the catalogs hold: "en-GB,de;q=0.5" is English.
    for accepted, _quality in request.accept_languages:
        if supported(accepted):
            return supported(accepted)  # type: ignore[return-value]
    return _stored_language() or ENGLISH


def _stored_language() -> str | None:
    """The shopper's, the store's or the chain's language for this request. The store's
    is read on the request's own session (a connection of its own would be a second
    one per answer: under a rush of refusals every pooled connection would wait for
    another); when that transaction has failed (often why an error is being answered)
    or the database is down, the answer is None: English."""
    signed_in = g.get("signed_in")
    if signed_in is not None:
        return supported(signed_in.language)
    try:
        query = _store_language_query()
        if query is None:
            return None
        language = db.session().execute(query).scalar()
    except SQLAlchemyError:
        log.warning("language not read: database error", exc_info=True)
        return None
    return supported(language)


def _store_language_query() -> Select[Any] | None:
    """The language of the store in the path or of the caller's key, if any."""
    staff = g.get("staff")
    store_id = (request.view_args or {}).get("store_id")
    if not isinstance(store_id, int) and staff is not None:
        store_id = staff.store_id
    chain_id = staff.chain_id if staff is not None else None
    query: LanguageQuery = current_app.extensions["rewards_language_query"]
    return query(store_id if isinstance(store_id, int) else None, chain_id)


def store_language(store_language: str | None, chain_language: str | None) -> str:
    """What a store speaks: its own language, else its chain's default, else English."""
    return supported(store_language) or supported(chain_language) or ENGLISH


def amount(minor: int) -> str:
    """Money in minor units as the request's language writes it: 1,234.50 / 1.234,50."""
    return flask_babel.format_decimal(minor / MINOR_PER_UNIT, format="#,##0.00")


def number(value: int) -> str:
    """A count (points, visits) as the request's language writes it: 1,234 / 1.234."""
    return flask_babel.format_decimal(value)


def listing(items: list[str]) -> str:
    """``a and b`` / ``a und b`` / ``a e b``."""
    return format_list(items, locale=flask_babel.get_locale() or ENGLISH)
