"""The local HTTP server of the register (127.0.0.1 only): the JSON bridge for any POS
(``pos-plugin bridge``) and, with the panel on, the cashier panel page at ``/``
(``pos-plugin panel``), which drives the sale through the same JSON routes.

Every answer is the register's whole state; an error answers ``{"error": {"code",
"message"}, "state": ...}`` with a 4xx/5xx status.
"""

from __future__ import annotations

from typing import Any, cast

from flask import (
    Blueprint,
    Flask,
    Response,
    current_app,
    jsonify,
    render_template,
    request,
)

from pos_plugin import i18n, labels
from pos_plugin.errors import RewardsError
from pos_plugin.i18n import N_
from pos_plugin.register import Register

_LOCAL_STATUS = {"api_unreachable": 503, "offline_redeem_refused": 409, "no_basket": 409,
                 "no_code_in_image": 422, "wrong_step": 409}


def _reward_refs(data: dict[str, Any], field: str) -> list[str] | None:
    """The optional list of reward refs in ``field``."""
    refs = data.get(field)
    if refs is not None and not (isinstance(refs, list) and all(isinstance(r, str) for r in refs)):
        raise RewardsError("invalid_request", "%(field)s is a list of reward refs.", 400,
                           params={"field": field})
    return refs


def _sale_number(value: Any) -> int:
    """The sale number printed on the receipt (a number, or its digits as text)."""
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if type(value) is not int or not 0 < value < 2**53:
        raise RewardsError("invalid_request", "Type the sale number printed on the receipt.", 400)
    return value


# The JSON routes; ``create_app`` mounts them on the app that knows the register.
api = Blueprint("api", __name__, url_prefix="/api")


def _register() -> Register:
    return cast(Register, current_app.extensions["pos_register"])


def _body() -> dict[str, Any]:
    data = request.get_json(silent=True) if request.is_json else None
    if not isinstance(data, dict):
        raise RewardsError("invalid_request", "Send a JSON object with Content-Type "
                           "application/json.", 400)
    return data


def _same_origin_only() -> tuple[Response, int] | None:
    # A web page from elsewhere must not drive the register through the browser.
    origin = request.headers.get("Origin")
    if origin is not None and origin.rstrip("/") != request.host_url.rstrip("/"):
        message = i18n.gettext(N_("Only the register's own panel may call this."))
        return jsonify({"error": {"code": "forbidden", "message": message}}), 403
    return None


def _error(error: RewardsError) -> tuple[Response, int]:
    status = error.status or _LOCAL_STATUS.get(error.code, 400)
    return jsonify({"error": error.as_dict(), "state": _register().state()}), status


def _panel_page() -> str:
    return render_template("panel.html", labels=labels.translated(), language=i18n.language())


@api.get("/state")
def state() -> Any:
    register = _register()
    register.refresh()  # the shopper may have agreed on their phone meanwhile
    return register.state()


@api.post("/basket")
def basket() -> Any:
    data = _body()
    if not isinstance(data.get("lines"), list) or not isinstance(data.get("currency"), str):
        raise RewardsError("invalid_request", "A basket is {\"currency\": \"EUR\", \"lines\": "
                           "[{\"gtin\", \"quantity\", \"unit_price_minor\"}]}.", 400)
    return _register().set_basket({"currency": data["currency"], "lines": data["lines"]})


@api.post("/scan")
def scan() -> Any:
    text = _body().get("text")
    if not isinstance(text, str) or not text.strip():
        raise RewardsError("invalid_request", "Send {\"text\": \"<what was scanned>\"}.", 400)
    return _register().scan(text)


@api.post("/scan-image")
def scan_image() -> Any:
    upload = request.files.get("image")
    if upload is None:
        raise RewardsError("invalid_request", "Send the photo as the form field 'image'.", 400)
    return _register().scan_image(upload.read())


@api.post("/apply")
def apply() -> Any:
    return _register().apply(_reward_refs(_body(), "rewards"))


@api.post("/commit")
def commit() -> Any:
    return _register().commit(_reward_refs(_body(), "shopper_agreed"))


@api.post("/return/find")
def find_sale() -> Any:
    return _register().find_sale(_sale_number(_body().get("sale")))


@api.post("/return")
def return_items() -> Any:
    data = _body()
    lines = data.get("lines")
    if not (isinstance(lines, list) and lines and all(
            isinstance(x, dict) and isinstance(x.get("gtin"), str)
            and type(x.get("quantity")) is int and x["quantity"] > 0 for x in lines)):
        raise RewardsError("invalid_request", "lines is a list of {\"gtin\", \"quantity\"} "
                           "with a quantity of 1 or more.", 400)
    sale = data.get("sale")
    return _register().return_items(
        [{"gtin": x["gtin"], "quantity": x["quantity"]} for x in lines],
        None if sale is None else _sale_number(sale))


@api.post("/void")
def void() -> Any:
    _body()
    return _register().void()


@api.post("/training")
def training() -> Any:
    on = _body().get("on")
    if not isinstance(on, bool):
        raise RewardsError("invalid_request", "Send {\"on\": true} or {\"on\": false}.", 400)
    return _register().set_training(on)


def create_app(register: Register, *, panel: bool) -> Flask:
    """The register's local server: the JSON routes under ``/api`` and, with ``panel``,
    the cashier panel page at ``/``."""
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = 8 * 1024 * 1024  # a phone photo
    app.extensions["pos_register"] = register
    i18n.init_app(app, register.language)
    app.before_request(_same_origin_only)
    app.register_error_handler(RewardsError, _error)
    if panel:
        app.add_url_rule("/", "page", _panel_page)
    app.register_blueprint(api)
    return app
