"""Signed requests to the rewards API (PROTOCOLS.md section 3) and the uploader that
empties the outbox through them.

Errors come in two types, as httpx tells a transport error from a status:

- ``ApiUnavailable``: no useful answer yet (no network, a timeout, a 5xx, 429) or an
  answer about the agent rather than the request (401/403 while its clock or secret is
  wrong, 404 while its URL is wrong). The same request may succeed later: the uploader
  keeps the batch and retries it with exponential backoff and full jitter, so a fleet
  of agents coming back after an outage does not hit the API in step.
- ``ApiRefused``: the API read the request and refused it with a code (400, 413, 422).
  Sending the same bytes again gets the same answer, so the uploader splits the batch
  in halves until it finds the events that are refused on their own, sets those aside
  in the outbox with the code (counted, reported in the heartbeat and shown on the
  dashboard) and goes on with the rest: one bad event never blocks a store's walk-ins.

An event leaves the outbox only when the API answered for it (``accepted``,
``duplicate`` or ``rejected``; a rejection is final, counted and logged) or refused it.
``event_id`` makes a re-sent event harmless.

A Raspberry Pi has no real-time clock: until NTP sets it, it may sign with a time far
from the API's. The API's ``timestamp_out_of_window`` answer carries its
``server_time``; the agent then signs with its clock plus that offset, at once, and
again whenever the API says so (after NTP moved the clock the offset goes back to ~0).
The events it recorded meanwhile are sent on the API's clock too
(``Outbox.corrected``): a walk-in seen before the clock was right still earns, also
after a reboot when that boot once learned the API's time; events of a boot that never
did go as recorded, and those the API rejects for their time are set aside with its
code (counted in the heartbeat), never dropped.
"""

from __future__ import annotations

import email.utils
import json
import logging
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

import httpx
from tenacity import Retrying, retry_if_exception_type, stop_never, wait_random_exponential
from tenacity.stop import StopBaseT

from beacon_agent import constants
from beacon_agent.outbox import TIME_REJECTIONS, Outbox, Pending
from rewards_protocol.events import (
    ACCEPTED,
    CONFIG_PATH,
    DUPLICATE,
    ENROL_PATH,
    HEARTBEAT_PATH,
    MAX_BATCH_EVENTS,
    REJECTED,
    SIGHTINGS_PATH,
)
from rewards_protocol.signing import sign_headers

log = logging.getLogger(__name__)


# Statuses that say the request itself will never be accepted: the same body gets the
# same answer. Every other 4xx is about the agent (clock, secret, URL) and may pass later.
_REFUSED_STATUSES = frozenset({400, 413, 422})


class AgentApiError(Exception):
    """A request did not get the answer it wanted: ApiUnavailable or ApiRefused."""


class ApiUnavailable(AgentApiError):
    """No useful answer yet; the request may be retried as it is. ``status`` and ``code``
    are None when nothing answered at all."""

    def __init__(self, message: str, status: int | None = None, code: str | None = None):
        super().__init__(message)
        self.status = status
        self.code = code


class ApiRefused(AgentApiError):
    """The API refused the request with an error code; the same request never passes."""

    def __init__(self, message: str, status: int, code: str):
        super().__init__(message)
        self.status = status
        self.code = code


def _error_code(response: httpx.Response) -> str:
    """The API's error code (``{"error": {"code": ...}}``), or ``http_<status>`` when the
    answer is not in that shape (a proxy's page, say)."""
    try:
        code = response.json()["error"]["code"]
    except (ValueError, KeyError, TypeError):
        return f"http_{response.status_code}"
    return code if isinstance(code, str) and code else f"http_{response.status_code}"


def enrol(base_url: str, code: str, *, timeout: float = constants.HTTP_TIMEOUT_S,
          transport: httpx.BaseTransport | None = None) -> dict[str, str]:
    """``POST /v1/agents/enrol``: the agent's id, secret (hex) and store for a one-time
    enrolment code, once. Unsigned: the agent has no secret yet. Any 4xx but 429 is
    ``ApiRefused`` (the code is wrong, used or expired: ask for a new one); no answer,
    429 or 5xx is ``ApiUnavailable``."""
    try:
        with httpx.Client(base_url=base_url.rstrip("/"), timeout=timeout, transport=transport,
                          headers={"User-Agent": "beacon-agent"}) as http:
            response = http.post(ENROL_PATH, json={"code": code},
                                 headers={"Idempotency-Key": str(uuid.uuid4())})
    except httpx.HTTPError as exc:
        raise ApiUnavailable(f"POST {ENROL_PATH}: {exc!r}") from exc
    if response.status_code >= 300:
        error = _error_code(response)
        message = f"POST {ENROL_PATH}: HTTP {response.status_code} {error}"
        if response.status_code < 500 and response.status_code != 429:
            raise ApiRefused(message, response.status_code, error)
        raise ApiUnavailable(message, response.status_code, error)
    try:
        answer = response.json()
        return {name: str(answer[name]) for name in ("agent_id", "secret", "store")}
    except (ValueError, KeyError, TypeError) as exc:
        raise ApiUnavailable(f"POST {ENROL_PATH}: the answer is not the agent's credentials") from exc


class AgentApi:
    """The three agent endpoints, every request signed with the agent's secret and
    stamped with ``clock`` (the clock the agent decides on, so that a simulated store
    played faster talks to an API running on the same simulated clock)."""

    def __init__(self, base_url: str, agent_id: str, secret: bytes, *,
                 timeout: float = constants.HTTP_TIMEOUT_S,
                 transport: httpx.BaseTransport | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        self._agent_id = agent_id
        self._secret = secret
        self._clock = clock
        self.clock_offset_s = 0.0
        self._http = httpx.Client(base_url=base_url.rstrip("/"), timeout=timeout,
                                  transport=transport,
                                  headers={"User-Agent": "beacon-agent"})

    def close(self) -> None:
        self._http.close()

    def api_clock_ahead_s(self, timeout: float = constants.HTTP_TIMEOUT_S) -> float:
        """How far the API's clock is ahead of ours (behind: below 0), by the ``Date`` its
        answer to ``GET /healthz`` carries (whole seconds: good to a second or two, with
        the time the request took). Raises ``ApiUnavailable`` where the API cannot be
        reached or does not answer within ``timeout`` (each step of the request: httpx's),
        or its answer says no time."""
        before = self._clock()
        try:
            response = self._http.get("/healthz", timeout=timeout)
        except httpx.HTTPError as exc:
            raise ApiUnavailable(f"GET /healthz: {exc!r}") from exc
        after = self._clock()
        try:
            said = email.utils.parsedate_to_datetime(response.headers["Date"]).timestamp()
        except (KeyError, TypeError, ValueError) as exc:
            raise ApiUnavailable("GET /healthz: the answer says no time (Date)") from exc
        return said + 0.5 - (before + after) / 2

    def server_time(self) -> float:
        """The API's time now, as far as the agent knows (its clock plus the offset)."""
        return self._clock() + self.clock_offset_s

    def _request(self, method: str, path: str, payload: Callable[[], Any] | None = None) -> Any:
        """Send a signed request; ``payload`` makes the JSON body, again after the API
        corrected our clock (event times depend on it)."""

        def body() -> bytes:
            return b"" if payload is None else json.dumps(payload(), separators=(",", ":")).encode()

        response = self._send(method, path, body())
        if self._corrected_clock(response):
            response = self._send(method, path, body())
        if response.status_code >= 300:
            code = _error_code(response)
            message = f"{method} {path}: HTTP {response.status_code} {code}"
            if response.status_code in _REFUSED_STATUSES:
                raise ApiRefused(message, response.status_code, code)
            raise ApiUnavailable(message, response.status_code, code)
        try:
            return response.json()
        except ValueError as exc:
            raise ApiUnavailable(f"{method} {path}: the answer is not JSON") from exc

    def _send(self, method: str, path: str, body: bytes) -> httpx.Response:
        url = self._http.base_url.join(path)  # the signature covers the full path
        headers = sign_headers(self._agent_id, self._secret, method, url.path, body,
                               now=self._clock() + self.clock_offset_s)
        if body:
            headers["Content-Type"] = "application/json"
        try:
            return self._http.request(method, url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            raise ApiUnavailable(f"{method} {path}: {exc!r}") from exc

    def _corrected_clock(self, response: httpx.Response) -> bool:
        """Whether the API refused our time and told us its own (the offset is set)."""
        if response.status_code != 401:
            return False
        try:
            error = response.json()["error"]
            server_time = float(error["details"]["server_time"])
        except (ValueError, KeyError, TypeError):
            return False
        if error.get("code") != "timestamp_out_of_window":
            return False
        self.clock_offset_s = server_time - self._clock()
        log.warning("the API's clock is %.0f s from ours; signing with its time", self.clock_offset_s)
        return True

    def send_sightings(self, events: Callable[[], list[dict[str, Any]]]
                       ) -> dict[str, dict[str, Any]]:
        """``POST /v1/agents/sightings`` with the events ``events()`` makes (on the API's
        clock as known when sending); the per-event results by event_id."""
        answer = self._request("POST", SIGHTINGS_PATH, lambda: {"events": events()})
        results = answer.get("results") if isinstance(answer, dict) else None
        if not isinstance(results, list):
            raise ApiUnavailable("the sightings answer has no results list")
        return {r["event_id"]: r for r in results
                if isinstance(r, dict) and r.get("status") in (ACCEPTED, DUPLICATE, REJECTED)}

    def fetch_config(self) -> dict[str, Any]:
        """``GET /v1/agents/config``: the settings tuned centrally for this agent."""
        answer = self._request("GET", CONFIG_PATH)
        if not isinstance(answer, dict):
            raise ApiUnavailable("the config answer is not an object")
        return answer

    def heartbeat(self, queue_depth: int, adverts_per_second: float, scanner_state: str,
                  software_version: str, refused: int = 0,
                  last_refusal_code: str | None = None, *,
                  calibration: dict[str, Any] | None = None, nearby: int | None = None) -> None:
        """``calibration`` (``calibration.report``) and ``nearby`` (phones first heard
        since the previous heartbeat) are sent when given."""
        extra = {name: value for name, value in (("calibration", calibration), ("nearby", nearby))
                 if value is not None}
        self._request("POST", HEARTBEAT_PATH, lambda: {
            "queue_depth": queue_depth, "software_version": software_version,
            "adverts_per_second": round(adverts_per_second, 2), "scanner_state": scanner_state,
            "refused_events": refused, "last_refusal_code": last_refusal_code, **extra})


class Uploader:
    """Moves events from the outbox to the API in batches of at most ``batch_size``.

    ``sleep`` waits between retries (the service passes its stop event's ``wait`` so a
    shutdown interrupts a backoff; tests pass a recorder); ``now`` stamps the status;
    ``interval_s`` is the real time ``run`` lets events gather between batches."""

    def __init__(self, outbox: Outbox, api: AgentApi, *, batch_size: int = MAX_BATCH_EVENTS,
                 sleep: Callable[[float], Any] | None = None,
                 now: Callable[[], float] | None = None,
                 backoff_max_s: float = constants.UPLOAD_BACKOFF_MAX_S,
                 interval_s: float = constants.UPLOAD_INTERVAL_S) -> None:
        self.outbox = outbox
        self.api = api
        self.batch_size = batch_size
        self._sleep = sleep or time.sleep
        self._now = now or time.time
        self._backoff_max_s = backoff_max_s
        self._interval_s = interval_s

    def upload_batch(self) -> int:
        """Send the oldest pending batch once; returns how many events were answered for
        or set aside. Raises ApiUnavailable (nothing is deleted then)."""
        pending = self.outbox.pending(self.batch_size)
        if not pending:
            return 0
        return self._send(pending)

    def _send(self, pending: list[Pending]) -> int:
        """Send ``pending``; a refused batch is halved until the refused events stand
        alone, and those are set aside with the API's code."""
        try:
            results = self.api.send_sightings(
                lambda: self.outbox.corrected(pending, self.api.server_time()))
        except ApiRefused as refusal:
            if len(pending) > 1:
                half = len(pending) // 2
                return self._send(pending[:half]) + self._send(pending[half:])
            log.error("the API refused event %s for good (%s); set aside",
                      pending[0].event["event_id"], refusal.code)
            self.outbox.set_aside([pending[0].seq], refusal.code, self._now())
            return 1
        answered = [p for p in pending if p.event["event_id"] in results]
        unproven = self.outbox.unproven(pending)
        counts = {ACCEPTED: 0, DUPLICATE: 0, REJECTED: 0}
        aside: dict[str, list[int]] = {}
        for p in answered:
            result = results[p.event["event_id"]]
            if (result["status"] == REJECTED and p.seq in unproven
                    and result.get("reason") in TIME_REJECTIONS):
                # Sent on a clock nobody could vouch for: kept with the code, not dropped.
                aside.setdefault(result["reason"], []).append(p.seq)
                continue
            counts[result["status"]] += 1
            if result["status"] == REJECTED:
                log.warning("the API rejected event %s (%s): %s", p.event["event_id"],
                            p.event["kind"], result.get("reason"))
        for code, seqs in aside.items():
            log.error("%d events of an earlier boot on an unknown clock were refused (%s); "
                      "set aside", len(seqs), code)
            self.outbox.set_aside(seqs, code, self._now())
        # The API accepted our signature: its time as we know it holds for this boot.
        set_aside = {seq for seqs in aside.values() for seq in seqs}
        self.outbox.acknowledge([p.seq for p in answered if p.seq not in set_aside], counts,
                                api_time=self.api.server_time())
        self.outbox.set_status({"last_upload_at": self._now()})
        if len(answered) < len(pending):
            raise ApiUnavailable(f"the API answered for {len(answered)} of {len(pending)} events")
        return len(answered)

    def drain(self, stop: StopBaseT = stop_never) -> int:
        """Upload until the outbox is empty, retrying each batch with backoff and jitter
        until ``stop`` says to give up (then the last ApiUnavailable is raised). Returns
        how many events were answered for."""
        total = 0
        while self.outbox.depth():
            retrying = Retrying(
                retry=retry_if_exception_type(ApiUnavailable), stop=stop, reraise=True,
                wait=wait_random_exponential(multiplier=constants.UPLOAD_BACKOFF_BASE_S,
                                             max=self._backoff_max_s),
                sleep=self._sleep, before_sleep=self._log_retry)
            total += retrying(self.upload_batch)
        return total

    def run(self, stop: threading.Event) -> None:
        """The service's upload loop: drain, then let events gather for the batching
        interval, until ``stop`` is set."""
        while not stop.is_set():
            try:
                self.drain(stop=lambda _state: stop.is_set())
            except ApiUnavailable:
                pass  # stopping in the middle of a backoff; the events stay queued
            stop.wait(self._interval_s)

    @staticmethod
    def _log_retry(state: Any) -> None:
        log.warning("upload failed (attempt %d), retrying in %.1f s: %s",
                    state.attempt_number, state.next_action.sleep if state.next_action else 0,
                    state.outcome.exception() if state.outcome else None)
