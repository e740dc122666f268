"""HTTP client for the rewards API's POS endpoints.

Every call has a timeout; transient failures (connection errors, timeouts, 5xx) are
retried with backoff (tenacity), and a mutating call sends the SAME Idempotency-Key on
every retry, so a commit whose answer was lost is answered from the API's stored
response instead of running twice. Errors are raised as ``RewardsError`` with the
API's code and sentence, or ``Unreachable`` when no answer came at all.
"""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_exponential

from pos_plugin.errors import RewardsError, Unreachable
from pos_plugin.results import CheckoutView, ReturnResult


class _Transient(Exception):
    def __init__(self, error: RewardsError) -> None:
        self.error = error


class RewardsClient:
    """One register's connection to the API (``key``: the register's cashier key)."""

    def __init__(self, base_url: str, key: str, *, timeout: float = 5.0, attempts: int = 3,
                 backoff: float = 0.2, transport: httpx.BaseTransport | None = None) -> None:
        self._http = httpx.Client(base_url=base_url.rstrip("/"), transport=transport,
                                  timeout=httpx.Timeout(timeout, connect=min(timeout, 2.0)),
                                  headers={"Authorization": f"Bearer {key}"})
        self._attempts = attempts
        self._backoff = backoff

    def close(self) -> None:
        self._http.close()

    def call(self, method: str, path: str, body: Any = None, *,
             idempotency_key: str | None = None) -> dict[str, Any]:
        """One API call with retries; returns the JSON answer or raises RewardsError."""
        headers = {}
        if method != "GET":
            headers["Idempotency-Key"] = idempotency_key or str(uuid.uuid4())
        retrying = Retrying(stop=stop_after_attempt(self._attempts), reraise=True,
                            wait=wait_exponential(multiplier=self._backoff, max=2.0),
                            retry=retry_if_exception_type(_Transient))
        try:
            for attempt in retrying:
                with attempt:
                    return self._once(method, path, body, headers)
        except _Transient as exc:
            raise exc.error from None
        raise AssertionError("unreachable: tenacity re-raises the last error")

    def _once(self, method: str, path: str, body: Any, headers: dict[str, str]) -> dict[str, Any]:
        try:
            response = self._http.request(method, path, json=body, headers=headers)
        except httpx.TransportError as exc:
            raise _Transient(Unreachable(repr(exc))) from exc
        try:
            data: dict[str, Any] = response.json()
        except ValueError:
            data = {}
        if response.is_success:
            return data
        error = data.get("error") or {}
        code, status = error.get("code", "internal_error"), response.status_code
        failure = (RewardsError(code, error["message"], status) if error.get("message")
                   else RewardsError(code, "The rewards service answered HTTP %(status)s.",
                                     status, params={"status": status}))
        if response.status_code >= 500:
            raise _Transient(failure)
        raise failure

    # --- the POS endpoints -------------------------------------------------------------

    def open_checkout(self, ident: dict[str, str], basket: dict[str, Any], cashier: str, *,
                      training: bool = False, idempotency_key: str | None = None) -> CheckoutView:
        body = dict(ident, basket=basket, cashier=cashier, training=training)
        return CheckoutView.from_json(self.call("POST", "/v1/pos/checkouts", body,
                                                idempotency_key=idempotency_key))

    def own_store(self) -> dict[str, Any]:
        """The register's store: ``{"id", "code", "name", "timezone", "language"}``."""
        return self.call("GET", "/v1/stores/mine")

    def checkout(self, checkout_id: int) -> CheckoutView:
        return CheckoutView.from_json(self.call("GET", f"/v1/pos/checkouts/{checkout_id}"))

    def apply_rewards(self, checkout_id: int, rewards: list[str] | None = None, *,
                      idempotency_key: str | None = None) -> CheckoutView:
        """``rewards`` None applies the suggested combination of both programs."""
        body = {} if rewards is None else {"rewards": rewards}
        return CheckoutView.from_json(self.call("POST", f"/v1/pos/checkouts/{checkout_id}/rewards",
                                                body, idempotency_key=idempotency_key))

    def commit(self, checkout_id: int, *, shopper_agreed: list[str] | None = None,
               idempotency_key: str | None = None) -> CheckoutView:
        """Tender. ``shopper_agreed``: the rewards the shopper agreed to when the cashier
        asked (omit when they agreed on their phone)."""
        body = {} if shopper_agreed is None else {"shopper_agreed": shopper_agreed}
        return CheckoutView.from_json(self.call("POST", f"/v1/pos/checkouts/{checkout_id}/commit",
                                                body, idempotency_key=idempotency_key))

    def void(self, checkout_id: int, *, idempotency_key: str | None = None) -> CheckoutView:
        return CheckoutView.from_json(self.call("POST", f"/v1/pos/checkouts/{checkout_id}/void",
                                                {}, idempotency_key=idempotency_key))

    def return_items(self, checkout_id: int, lines: list[dict[str, Any]], *,
                     idempotency_key: str | None = None) -> ReturnResult:
        data = self.call("POST", f"/v1/pos/checkouts/{checkout_id}/returns", {"lines": lines},
                         idempotency_key=idempotency_key)
        return ReturnResult(data["id"], data["checkout_id"], data["points"], data["refund_minor"])

    def send_offline_earning(self, earning: dict[str, Any], offline_id: str) -> CheckoutView:
        """A purchase queued while offline; ``offline_id`` makes every resend harmless."""
        body = dict(earning, offline_id=offline_id)
        return CheckoutView.from_json(self.call("POST", "/v1/pos/offline-earnings", body,
                                                idempotency_key=offline_id))
