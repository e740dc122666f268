"""The one error type of the API, and the registry of every error code it can answer.

Every error response is ``{"error": {"code": "...", "message": "..."}}`` (plus optional
``details``). The code is stable (clients and the staff guide key on it); the message
is a sentence a person can act on. ``AUDIENCE`` says who can meet a code: the staff
guide's troubleshooting page must document every code a ``cashier`` or ``shopper`` can
meet, and a test checks it both ways.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

SHOPPER = "shopper"
CASHIER = "cashier"
MANAGER = "manager"
AGENT = "agent"
ENGINEER = "engineer"


@dataclass(frozen=True)
class ErrorCode:
    code: str
    status: int
    message: str
    audience: tuple[str, ...]


_ALL = (SHOPPER, CASHIER, MANAGER, ENGINEER)

REGISTRY: dict[str, ErrorCode] = {
    e.code: e
    for e in [
        # --- requests in general -------------------------------------------------------
        ErrorCode("invalid_request", 400, "The request is not valid: fix the fields named in the details and send it again.", _ALL),
        ErrorCode("malformed_json", 400, "The request body is not valid JSON.", (ENGINEER,)),
        ErrorCode("body_too_large", 413, "The request is too large; send less data at once.", _ALL),
        ErrorCode("not_found", 404, "There is nothing at this address.", (ENGINEER,)),
        ErrorCode("method_not_allowed", 405, "This address does not accept that method.", (ENGINEER,)),
        ErrorCode("unsupported_media_type", 415, "Send the body as application/json.", (ENGINEER,)),
        ErrorCode("internal_error", 500, "Something went wrong on our side; nothing was changed. Try again in a moment.", _ALL),
        ErrorCode("service_unavailable", 503, "The rewards service is busy or its database is unreachable; try again in a moment.", _ALL),
        ErrorCode("idempotency_key_missing", 400, "Send an Idempotency-Key header with every request that changes something.", (ENGINEER,)),
        ErrorCode("idempotency_key_reused", 422, "This Idempotency-Key was already used for a different request; use a new key.", (ENGINEER,)),
        # --- who is calling ------------------------------------------------------------
        ErrorCode("unauthenticated", 401, "Sign in first: this needs a valid token or key.", _ALL),
        ErrorCode("token_expired", 401, "Your session has expired; sign in again.", (SHOPPER,)),
        ErrorCode("forbidden", 403, "Your role is not allowed to do this; ask a manager.", (CASHIER, SHOPPER, MANAGER)),
        ErrorCode("reason_required", 422, "Point adjustments need a reason; write why you are adjusting.", (MANAGER,)),
        # --- shoppers, programs, points ------------------------------------------------
        ErrorCode("shopper_not_found", 404, "No shopper matches; check the number or ask the shopper to show the app.", (CASHIER, MANAGER)),
        ErrorCode("program_not_found", 404, "There is no such rewards program.", (MANAGER, ENGINEER)),
        ErrorCode("store_not_found", 404, "There is no such store.", (MANAGER, ENGINEER, SHOPPER)),
        ErrorCode("chain_not_found", 404, "There is no such chain.", (ENGINEER,)),
        ErrorCode("account_not_found", 404, "The shopper is not a member of that program.", (CASHIER, MANAGER)),
        ErrorCode("insufficient_points", 409, "Not enough points for this; the shopper's balance is too low.", (CASHIER, SHOPPER, MANAGER)),
        ErrorCode("membership_number_taken", 409, "That membership number is already linked to another shopper.", (SHOPPER, CASHIER)),
        ErrorCode("phone_taken", 409, "That phone number already belongs to an account; sign in instead.", (SHOPPER,)),
        ErrorCode("hold_not_active", 409, "These points are no longer reserved (the hold expired or was voided); apply the rewards again.", (CASHIER,)),
        ErrorCode("shopper_erased", 410, "This shopper deleted their account.", (CASHIER,)),
        # --- shopper app, staff assist, store dashboard ----------------------------------
        ErrorCode("assist_not_opted_in", 409, "Turn on \"Staff may help me\" in the app first; then ask for help again.", (SHOPPER,)),
        ErrorCode("help_request_not_found", 404, "That help request is not in this store's list any more; reload the list.", (CASHIER, MANAGER)),
    ]
}


class ApiError(Exception):
    """An error the API answers with a registered code.

    ``message`` overrides the registry's sentence when a more specific one helps;
    ``details`` carries machine-readable context (e.g. field errors).
    """

    def __init__(self, code: str, message: str | None = None, *, details: Any = None,
                 status: int | None = None) -> None:
        if code not in REGISTRY:
            raise KeyError(f"unregistered error code {code!r}")
        entry = REGISTRY[code]
        self.code = code
        self.status = status or entry.status
        self.message = message or entry.message
        self.details = details
        super().__init__(f"{code}: {self.message}")

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.details is not None:
            error["details"] = self.details
        return {"error": error}
