"""The pages: plain HTML, CSS and a little JavaScript, all served from here (no CDN, no
build step: a store's network may be offline from the internet). The pages hold no
data themselves; their scripts call the JSON API with the visitor's own token or key.

Every text is in the page's language (``?lang=de`` chooses it, else the browser's;
rewards_api.i18n): the templates through gettext, the scripts through ``t("English")``,
whose translations the page carries as JSON (``TEXTS``), found by Babel's JavaScript
extractor in the very files the page loads.
"""

from __future__ import annotations

import functools
from pathlib import Path

import flask_babel
from babel.messages.extract import extract
from flask import Blueprint, Response, render_template, request

from rewards_api import i18n

bp = Blueprint("pages", __name__, template_folder="templates", static_folder="static",
               static_url_path="/assets")

# Scripts and styles only from this server; the API is the only thing they talk to.
# Inline styles are allowed because the server-rendered SVG charts carry their own.
CONTENT_SECURITY_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
                           "img-src 'self' data: blob:; connect-src 'self'; object-src 'none'; "
                           "base-uri 'none'; frame-ancestors 'none'; form-action 'self'")


STATIC = Path(__file__).resolve().parent / "static"
# The scripts of each page (in the order its template loads them).
SCRIPTS = {
    "app.html": ("api.js", "totp.js", "passkeys.js", "app.js", "consent.js"),
    "dashboard.html": ("api.js", "dashboard.js"),
    "assist.html": ("api.js", "assist.js"),
}


@functools.cache
def script_texts(script: str) -> tuple[str, ...]:
    """The English texts a script shows: the first argument of each ``t("...")``."""
    with open(STATIC / script, "rb") as source:
        return tuple(str(message) for _line, message, _comments, _context
                     in extract("javascript", source, keywords={"t": None}))


def _page(template: str) -> Response:
    i18n.use(request.args.get("lang"))
    texts = {text: flask_babel.gettext(text) for script in SCRIPTS[template]
             for text in script_texts(script)}
    response = Response(render_template(template, texts=texts, language=i18n.current(),
                                        languages=i18n.NATIVE_NAMES))
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.get("/app")
def shopper_app() -> Response:
    """The shopper web app (mobile first)."""
    return _page("app.html")


@bp.get("/dashboard")
def dashboard() -> Response:
    """The store dashboard (managers; the page asks for the manager key)."""
    return _page("dashboard.html")


@bp.get("/assist")
def assist() -> Response:
    """The staff assist view for the shop floor (cashier or manager key)."""
    return _page("assist.html")
