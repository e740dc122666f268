"""JSON logs and Prometheus metrics.

Metrics live in prometheus_client's registry; under gunicorn, set
``PROMETHEUS_MULTIPROC_DIR`` (the gunicorn config does) so ``/metrics`` adds up all
workers.
"""

from __future__ import annotations

import logging
import os
import sys
import time

from apiflask import APIFlask
from flask import Response, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from pythonjsonlogger.json import JsonFormatter

REQUESTS = Counter("rewards_http_requests_total", "HTTP requests answered",
                   ["method", "endpoint", "status"])
LATENCY = Histogram("rewards_http_request_seconds", "Time to answer a request",
                    ["endpoint"])
REJECTIONS = Counter("rewards_rejections_total",
                     "Things the API refused, by area and reason code", ["area", "reason"])


def configure_logging(json_logs: bool) -> None:
    handler = logging.StreamHandler(sys.stderr)
    if json_logs:
        handler.setFormatter(JsonFormatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)
    # Libraries' per-call chatter (every HTTP request, every migration plugin) is noise.
    for name in ("httpx", "httpcore", "alembic.runtime.plugins"):
        logging.getLogger(name).setLevel(logging.WARNING)


def init_app(app: APIFlask) -> None:
    configure_logging(app.config["LOG_JSON"])

    @app.before_request
    def _start_timer() -> None:
        g.request_started = time.perf_counter()

    @app.after_request
    def _count(response: Response) -> Response:
        endpoint = request.endpoint or "unknown"
        REQUESTS.labels(request.method, endpoint, str(response.status_code)).inc()
        started = g.get("request_started")
        if started is not None:
            LATENCY.labels(endpoint).observe(time.perf_counter() - started)
        return response

    @app.get("/metrics")
    @app.doc(hide=True)
    def metrics() -> Response:
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry)
            data = generate_latest(registry)
        else:
            data = generate_latest()
        return Response(data, content_type=CONTENT_TYPE_LATEST)
