"""The interactive API docs (/docs) from files shipped in a Python package, so they
work on a machine without internet (APIFlask's default loads Swagger UI from a CDN).

The document is OpenAPI 3.0: the packaged Swagger UI (4.x) shows a blank page for a
3.1 document, and nothing in the API needs 3.1."""

from __future__ import annotations

from apiflask import APIBlueprint, APIFlask
from flask import Response, send_from_directory
from swagger_ui_bundle import swagger_ui_path

bp = APIBlueprint("api_docs", __name__, enable_openapi=False)


@bp.get("/docs/assets/<path:filename>")
def asset(filename: str) -> Response:
    return send_from_directory(swagger_ui_path, filename, max_age=3600)


def init_app(app: APIFlask) -> None:
    app.config.update(
        OPENAPI_VERSION="3.0.3",
        SWAGGER_UI_CSS="/docs/assets/swagger-ui.css",
        SWAGGER_UI_BUNDLE_JS="/docs/assets/swagger-ui-bundle.js",
        SWAGGER_UI_STANDALONE_PRESET_JS="/docs/assets/swagger-ui-standalone-preset.js",
    )
    app.register_blueprint(bp)
