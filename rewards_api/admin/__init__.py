"""The back office over HTTP: ``/v1/admin/...`` for managers, chain admins, head office
and the partner operator (each within ``rewards_api.staff.scope``).

One module per resource, each with its blueprint; the views validate, call the domain's
service (the same the ``rewards-api`` commands call) and shape the answer. Every change
takes an ``Idempotency-Key`` and is audited (``GET /v1/admin/audit``).
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from rewards_api.admin import agents, audit, campaigns, catalog, chains, staff, stores, views

    for module in (views, chains, catalog, campaigns, stores, staff, agents, audit):
        app.register_blueprint(module.bp)
