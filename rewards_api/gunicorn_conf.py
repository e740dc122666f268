"""gunicorn settings for the rewards API: ``gunicorn -c rewards_api/gunicorn_conf.py
'rewards_api:create_app()'``. Everything can be overridden with REWARDS_* variables."""

import multiprocessing
import os
import shutil
import signal
import tempfile

from gunicorn import util

from rewards_api.http_errors import server_error_response

bind = os.environ.get("REWARDS_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("REWARDS_WORKERS", multiprocessing.cpu_count() * 2))
# Threads, not one request per process: a live-update stream (Server-Sent Events,
# rewards_api/live/) holds its thread for minutes. A worker keeps at most
# REWARDS_LIVE_STREAMS_PER_WORKER streams (default 8), so the other threads stay free
# for ordinary requests; the worker's heartbeat does not wait for a request to end.
worker_class = "gthread"
threads = int(os.environ.get("REWARDS_THREADS", 16))
timeout = 30
graceful_timeout = 10
# gunicorn refuses longer request lines and headers itself (414, 431); every worker
# inherits this replacement of its HTML error page by the API's error shape.
limit_request_line = 4094
limit_request_fields = 100
limit_request_field_size = 8190


def _write_error(sock, status_int, reason, mesg):  # noqa: ARG001 (mesg: gunicorn's HTML text)
    util.write_nonblock(sock, server_error_response(status_int, reason))


util.write_error = _write_error
accesslog = os.environ.get("REWARDS_ACCESS_LOG")  # off unless asked: the app logs JSON
# /metrics adds up every worker through prometheus_client's multiprocess mode.
_metrics_dir = os.environ.setdefault(
    "PROMETHEUS_MULTIPROC_DIR", os.path.join(tempfile.gettempdir(), f"rewards-metrics-{os.getpid()}"))


def on_starting(server):  # noqa: ARG001
    shutil.rmtree(_metrics_dir, ignore_errors=True)
    os.makedirs(_metrics_dir, exist_ok=True)


def child_exit(server, worker):  # noqa: ARG001
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def post_worker_init(worker):  # noqa: ARG001
    """On a graceful stop (SIGTERM), live streams end at once instead of holding the
    worker for graceful_timeout: browsers reconnect to the next worker."""
    from rewards_api.live import stream

    previous = signal.getsignal(signal.SIGTERM)

    def stop(signum, frame):
        stream.SHUTTING_DOWN.set()
        if callable(previous):
            previous(signum, frame)

    signal.signal(signal.SIGTERM, stop)
