"""One Server-Sent Events stream: its slot among the worker's few, its heartbeats and
its end.

Each open stream holds one of the worker's threads (gunicorn's ``gthread`` workers,
``rewards_api/gunicorn_conf.py``), so a worker keeps at most ``LIVE_STREAMS_PER_WORKER``
of them and refuses the next with ``503 live_updates_full`` (the pages then ask every
few seconds instead). A stream asks the database what is new every
``LIVE_POLL_MILLISECONDS``, writes a comment line when it has said nothing for
``LIVE_HEARTBEAT_SECONDS`` (so proxies keep it open and a gone client is noticed and
its slot freed), and ends after ``LIVE_STREAM_SECONDS``: the browser reconnects with
``Last-Event-ID`` and misses nothing. Nothing is kept in the process but the count of
open streams: what is new is always read from the database.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from flask import Flask, Response, current_app
from sqlalchemy.exc import SQLAlchemyError

from rewards_api.errors import ApiError

# How long a browser waits before reconnecting after a stream ended (EventSource's
# "retry"): long enough not to hammer a busy server, short enough to feel live.
RECONNECT_MILLISECONDS = 3000

# Set when the process stops gracefully (gunicorn_conf.py): open streams end at once.
SHUTTING_DOWN = threading.Event()


@dataclass(frozen=True)
class Event:
    """One message of a stream: ``name`` (the EventSource event type), ``data`` (JSON)
    and ``cursor``, sent as its id: where a reconnecting client resumes."""

    name: str
    data: Any
    cursor: int

    def encode(self) -> str:
        return f"id: {self.cursor}\nevent: {self.name}\ndata: {json.dumps(self.data)}\n\n"


# What a stream asks each time: given the cursor so far, the new events and the new cursor.
Poll = Callable[[int], tuple[list[Event], int]]


class Slots:
    """The streams one worker process may hold open at once."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._open = 0
        self._lock = threading.Lock()

    @property
    def open(self) -> int:
        return self._open

    def take(self) -> Callable[[], None]:
        """Take a slot (``503 live_updates_full`` when none is free); returns the function
        that gives it back, safe to call more than once."""
        with self._lock:
            if self._open >= self.limit:
                raise ApiError("live_updates_full", headers={"Retry-After": "30"})
            self._open += 1
        given_back = threading.Event()

        def give_back() -> None:
            with self._lock:
                if not given_back.is_set():
                    given_back.set()
                    self._open -= 1

        return give_back


def init_app(app: Flask) -> None:
    app.extensions["live_slots"] = Slots(app.config["LIVE_STREAMS_PER_WORKER"])


def respond(poll: Poll, cursor: int) -> Response:
    """The streaming answer: a slot is taken now (or the request refused) and given
    back when the stream ends, however it ends."""
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    give_back = app.extensions["live_slots"].take()
    response = Response(_events(app, poll, cursor, give_back), mimetype="text/event-stream", headers={
        "Cache-Control": "no-store",
        # nginx would otherwise hold the events back in its buffer.
        "X-Accel-Buffering": "no",
    })
    response.call_on_close(give_back)  # also when the stream never started
    return response


def _events(app: Flask, poll: Poll, cursor: int, give_back: Callable[[], None]
            ) -> Iterator[str]:
    try:
        yield from _polls(app, poll, cursor)
    finally:
        give_back()


def _polls(app: Flask, poll: Poll, cursor: int) -> Iterator[str]:
    config = app.config
    started = last_said = time.monotonic()
    yield f"retry: {RECONNECT_MILLISECONDS}\n\n"
    while True:
        try:
            with app.app_context():
                events, cursor = poll(cursor)
        except SQLAlchemyError:
            app.logger.warning("live stream ended: the database did not answer")
            return  # the browser reconnects; the events wait in the database
        for event in events:
            yield event.encode()
        now = time.monotonic()
        if events:
            last_said = now
        elif now - last_said >= config["LIVE_HEARTBEAT_SECONDS"]:
            yield ": still here\n\n"
            last_said = now
        if now - started >= config["LIVE_STREAM_SECONDS"]:
            return
        if SHUTTING_DOWN.wait(config["LIVE_POLL_MILLISECONDS"] / 1000):
            return
