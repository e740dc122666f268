"""The panel's language: its store's (``GET /v1/stores/mine``), English until known.

Texts are written in English and marked with ``N_`` (``make i18n`` extracts them into
``pos_plugin/translations``); they are translated where the panel shows them, with
Flask-Babel, so the Python API (``RewardsError``, ``LABELS``) keeps the English source.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import flask_babel
from flask import Flask

ENGLISH = "en"
LANGUAGES = (ENGLISH, "de", "pt")
TRANSLATIONS = Path(__file__).resolve().parent / "translations"


def N_(text: str) -> str:  # noqa: N802 (gettext's name for "mark, translate later")
    """Mark ``text`` for the catalogs; it is translated where it is shown."""
    return text


def init_app(app: Flask, store_language: Callable[[], str]) -> None:
    """Speak ``store_language()`` on ``app`` (the register learns it from the API)."""
    flask_babel.Babel(app, locale_selector=store_language, default_locale=ENGLISH,
                      default_translation_directories=str(TRANSLATIONS))


def language() -> str:
    """The language of the panel's current request (English outside one)."""
    locale = flask_babel.get_locale()
    return str(locale.language) if locale is not None else ENGLISH


def gettext(text: str) -> str:
    """``text`` in the panel's language (English when the catalog lacks it)."""
    return str(flask_babel.get_translations().gettext(text))
