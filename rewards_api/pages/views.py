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
from collections.abc import Callable
from pathlib import Path
from typing import Any

import flask_babel
from babel.messages.extract import extract
from flask import Blueprint, Response, render_template, request

from rewards_api import i18n
from rewards_api.audit import labels as audit_labels
from rewards_api.errors import ApiError
from rewards_api.manage.sections import SECTIONS, SLUGS, by_slug

bp = Blueprint("pages", __name__, template_folder="templates", static_folder="static",
               static_url_path="/assets")

# Scripts and styles only from this server; the API is the only thing they talk to.
# Inline styles are allowed because the server-rendered SVG charts carry their own.
CONTENT_SECURITY_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
                           "img-src 'self' data: blob:; connect-src 'self'; object-src 'none'; "
                           "base-uri 'none'; frame-ancestors 'none'; form-action 'self'")
# The shopper app may also compile WebAssembly (the camera's barcode reader, vendored):
# 'wasm-unsafe-eval' allows that and nothing else, no eval() of script text.
APP_CONTENT_SECURITY_POLICY = CONTENT_SECURITY_POLICY.replace(
    "script-src 'self'", "script-src 'self' 'wasm-unsafe-eval'")


STATIC = Path(__file__).resolve().parent / "static"
# The scripts each page loads after api.js (every page's), in order: the one list that
# base.html loads and that the page's texts (``t("...")`` in each script) come from.
SCRIPTS: dict[str, tuple[str, ...]] = {
    "app.html": ("vendor/qrcode-generator-2.0.4.js", "totp.js", "passkeys.js", "camera.js",
                 "live.js", "consent.js", "app.js"),
    "dashboard.html": ("live.js", "dashboard.js"),
    "assist.html": ("live.js", "assist.js"),
    "manage/home.html": ("manage.js",),
    "manage/campaigns.html": ("back_office.js", "campaigns.js"),
    "manage/shelf_tags.html": ("manage.js",),
    "manage/rewards.html": ("back_office.js", "rewards.js"),
    "manage/rules.html": ("back_office.js", "rules.js"),
    "manage/products.html": ("back_office.js", "products.js"),
    "manage/people.html": ("people.js",),
    "manage/agents.html": ("agents.js",),
    "manage/audit.html": ("audit.js",),
    "manage/chain.html": ("manage.js",),
    "manage/results.html": ("manage.js",),
}
# What a section's page carries besides its scripts' texts, in the page's language (as
# JSON in #page-data): the audit log's labels of actions, resources and fields.
PAGE_DATA: dict[str, Callable[[], Any]] = {"audit": audit_labels.translated}


@functools.cache
def script_texts(script: str) -> tuple[str, ...]:
    """The English texts a script shows: the first argument of each ``t("...")``."""
    with open(STATIC / script, "rb") as source:
        return tuple(str(message) for _line, message, _comments, _context
                     in extract("javascript", source, keywords={"t": None}))


def _page(template: str, policy: str = CONTENT_SECURITY_POLICY,
          page_data: Callable[[], Any] = dict, **context: Any) -> Response:
    i18n.use(request.args.get("lang"))
    scripts = ("api.js", *SCRIPTS[template])
    texts = {text: flask_babel.gettext(text) for script in scripts
             if not script.startswith("vendor/") for text in script_texts(script)}
    response = Response(render_template(template, texts=texts, scripts=scripts,
                                        page_data=page_data(),
                                        language=i18n.current(),
                                        languages=i18n.NATIVE_NAMES, **context))
    response.headers["Content-Security-Policy"] = policy
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.get("/app")
def shopper_app() -> Response:
    """The shopper web app (mobile first)."""
    return _page("app.html", APP_CONTENT_SECURITY_POLICY)


@bp.get("/dashboard")
def dashboard() -> Response:
    """The store dashboard (managers; the page asks for the manager key)."""
    return _page("dashboard.html")


@bp.get("/assist")
def assist() -> Response:
    """The staff assist view for the shop floor (cashier or manager key)."""
    return _page("assist.html")


def _manage(template: str, active: str, **context: Any) -> Response:
    return _page(template, sections=SECTIONS, active=active, **context)


@bp.get("/manage")
def manage() -> Response:
    """The back office's overview: its sections (a staff key signs in on each page)."""
    return _manage("manage/home.html", "home", signs_in=False)


@bp.get("/manage/<section>")
def manage_section(section: str) -> Response:
    """A back-office page."""
    if section not in SLUGS:
        raise ApiError("not_found")
    return _manage(by_slug(section).template, section, signs_in=True,
                   page_data=PAGE_DATA.get(section, dict))
