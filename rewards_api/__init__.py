"""The rewards API: the system of record for points, visits, scans and checkouts."""

from __future__ import annotations

from typing import Any

from apiflask import APIFlask
from werkzeug.middleware.proxy_fix import ProxyFix

from rewards_api import api_docs, db, http_errors, i18n, observability, request_guard, settings
from rewards_api.schemas import ErrorResponse


def create_app(config: dict[str, Any] | None = None) -> APIFlask:
    """Build the app. ``config`` overrides settings read from ``REWARDS_*`` variables."""
    app = APIFlask(__name__, title="Proximity Rewards API", version="1",
                   spec_path="/openapi.json", docs_path="/docs")
    app.config.update(settings.load(overrides=config))
    app.config["SPEC_FORMAT"] = "json"
    app.config["VALIDATION_ERROR_STATUS_CODE"] = 400
    # Document the error shape http_errors really answers with, not APIFlask's own.
    app.config["HTTP_ERROR_SCHEMA"] = app.config["VALIDATION_ERROR_SCHEMA"] = ErrorResponse
    app.config["AUTO_404_RESPONSE"] = True
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.security_schemes = {
        "BearerAuth": {"type": "http", "scheme": "bearer",
                       "description": "Shopper token (st_...) or staff key (sk_...)"},
    }

    request_guard.init_app(app)
    hops = app.config["PROXY_HOPS"]
    if hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]
    db.init_app(app)
    from rewards_api.stores.services import language_query

    i18n.init_app(app, language_query)
    http_errors.init_app(app)
    observability.init_app(app)
    api_docs.init_app(app)

    from rewards_api import admin, cli, health
    from rewards_api.agents import cli as agents_cli
    from rewards_api.agents import services as agents
    from rewards_api.agents.views import bp as agents_bp
    from rewards_api.assist.views import bp as assist_bp
    from rewards_api.dashboard.views import bp as dashboard_bp
    from rewards_api.live import stream
    from rewards_api.live.views import bp as live_bp
    from rewards_api.manage.views import bp as manage_bp
    from rewards_api.pages.views import bp as pages_bp
    from rewards_api.pos import cli as pos_cli
    from rewards_api.pos.views import bp as pos_bp
    from rewards_api.products import cli as products_cli
    from rewards_api.scans import cli as scans_cli
    from rewards_api.scans.views import bp as scans_bp
    from rewards_api.shoppers.views import bp as shoppers_bp
    from rewards_api.signin.views import bp as signin_bp
    from rewards_api.staff import cli as staff_cli
    from rewards_api.stores import cli as stores_cli
    from rewards_api.stores.views import bp as stores_bp
    from rewards_api.walkins import cli as walkins_cli
    from rewards_api.walkins import presence
    from rewards_api.walkins.views import bp as walkins_bp

    presence.init_app(app)
    agents.init_app(app)
    stream.init_app(app)

    app.register_blueprint(health.bp)
    app.register_blueprint(shoppers_bp)
    app.register_blueprint(signin_bp)
    admin.init_app(app)
    app.register_blueprint(pos_bp)
    app.register_blueprint(agents_bp)
    app.register_blueprint(walkins_bp)
    app.register_blueprint(scans_bp)
    app.register_blueprint(stores_bp)
    app.register_blueprint(assist_bp)
    app.register_blueprint(dashboard_bp)
    app.register_blueprint(manage_bp)
    app.register_blueprint(live_bp)
    app.register_blueprint(pages_bp)
    # Each package registers its own ``rewards-api`` commands.
    for commands in (cli, stores_cli, staff_cli, agents_cli, walkins_cli, pos_cli,
                     products_cli, scans_cli):
        commands.init_app(app)
    return app
