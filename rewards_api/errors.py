"""The one error type of the API, and the registry of every error code it can answer.

Every error response is ``{"error": {"code": "...", "message": "..."}}`` (plus optional
``details``). The code is stable (clients and the staff guide key on it); the message
is a sentence a person can act on, written here in English and answered in the
caller's language (rewards_api.i18n picks it; rewards_api.http_errors translates the
message through the gettext catalogs where every error is rendered, so raise sites
never translate). ``AUDIENCE`` says who can meet a code: the staff
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
    # Seconds a client should wait before sending again, sent as Retry-After (unless the
    # raiser knows better): for answers that say "not now" rather than "not this".
    retry_after_s: int | None = None


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
        ErrorCode("url_too_long", 414, "The address is too long; send the data in the request body instead.", (ENGINEER,)),
        ErrorCode("headers_too_large", 431, "The request headers are too many or too long; send fewer or shorter headers.", (ENGINEER,)),
        ErrorCode("malformed_http", 400, "The request is not valid HTTP; check its request line and headers.", (ENGINEER,)),
        ErrorCode("internal_error", 500, "Something went wrong on our side; nothing was changed. Try again in a moment.", _ALL),
        ErrorCode("service_unavailable", 503, "The rewards service is busy or its database is unreachable; try again in a moment.", _ALL, retry_after_s=5),
        ErrorCode("idempotency_key_missing", 400, "Send an Idempotency-Key header with every request that changes something.", (ENGINEER,)),
        ErrorCode("idempotency_key_reused", 422, "This Idempotency-Key was already used for a different request; use a new key.", (ENGINEER,)),
        ErrorCode("idempotency_answer_not_kept", 409, "This request was already done, and its answer is not kept (it carried a credential, or the caller was not signed in); send it again with a new Idempotency-Key.", (ENGINEER,)),
        # --- who is calling ------------------------------------------------------------
        ErrorCode("unauthenticated", 401, "Sign in first: this needs a valid token or key.", _ALL),
        ErrorCode("token_expired", 401, "Your session has expired; sign in again.", (SHOPPER,)),
        ErrorCode("sign_in_code_wrong", 401, "That code is wrong or has expired; ask for a new code and type it as soon as it arrives.", (SHOPPER,)),
        ErrorCode("passkey_not_recognized", 401, "This passkey does not belong to an account here; sign in with a code sent by e-mail instead.", (SHOPPER,)),
        ErrorCode("too_many_attempts", 429, "Too many sign-in attempts; wait a few minutes (Retry-After says how long), then try again.", (SHOPPER, CASHIER)),
        ErrorCode("forbidden", 403, "Your role is not allowed to do this; ask a manager.", (CASHIER, SHOPPER, MANAGER)),
        ErrorCode("reason_required", 422, "Point adjustments need a reason; write why you are adjusting.", (MANAGER,)),
        # --- shoppers, programs, points ------------------------------------------------
        ErrorCode("shopper_not_found", 404, "No shopper matches; check the number or ask the shopper to show the app.", (CASHIER, MANAGER)),
        ErrorCode("program_not_found", 404, "There is no such rewards program.", (MANAGER, ENGINEER)),
        ErrorCode("store_not_found", 404, "There is no such store.", (MANAGER, ENGINEER, SHOPPER)),
        ErrorCode("store_closed", 409, "This store is closed: it takes no walk-ins, scans or checkouts any more. Its history stays.", (SHOPPER, CASHIER, MANAGER, AGENT)),
        ErrorCode("chain_not_found", 404, "There is no such chain.", (ENGINEER,)),
        ErrorCode("account_not_found", 404, "The shopper is not a member of that program.", (CASHIER, MANAGER)),
        ErrorCode("insufficient_points", 409, "Not enough points for this; the shopper's balance is too low.", (CASHIER, SHOPPER, MANAGER)),
        ErrorCode("membership_number_taken", 409, "That membership number is already linked to another shopper.", (SHOPPER, CASHIER)),
        ErrorCode("phone_taken", 409, "That phone number already belongs to an account; sign in instead.", (SHOPPER,)),
        ErrorCode("email_taken", 409, "That e-mail address already belongs to another account; sign in there, or use another address.", (SHOPPER,)),
        ErrorCode("hold_not_active", 409, "These points are no longer reserved (the hold expired or was voided); apply the rewards again.", (CASHIER,)),
        ErrorCode("shopper_erased", 410, "This shopper deleted their account.", (CASHIER,)),
        # --- checkout at the register (pos) ------------------------------------------
        ErrorCode("checkout_code_invalid", 422, "That is not a rewards checkout code; ask the shopper to open the rewards app and show the checkout code.", (CASHIER,)),
        ErrorCode("checkout_code_wrong", 422, "The checkout code does not match; ask the shopper to reopen the code in the app and scan it again.", (CASHIER,)),
        ErrorCode("checkout_code_expired", 422, "The checkout code has expired; ask the shopper to show the new code in the app (it changes every 30 seconds) and scan again.", (CASHIER,)),
        ErrorCode("checkout_code_used", 409, "This checkout code was already used for a completed purchase; ask the shopper to show the new code and scan again.", (CASHIER,)),
        ErrorCode("checkout_not_found", 404, "There is no such checkout at this store; scan the shopper's code to start a new one.", (CASHIER,)),
        ErrorCode("checkout_closed", 409, "This checkout is already completed or voided; start a new one for the next sale.", (CASHIER,)),
        ErrorCode("reward_not_found", 404, "That reward is no longer in the catalog; apply the suggested rewards again.", (CASHIER,)),
        ErrorCode("reward_not_eligible", 409, "That reward does not fit this basket (minimum amount or products); choose another reward.", (CASHIER,)),
        ErrorCode("reward_code_taken", 409, "The program already has a reward with this code; pick another code.", (MANAGER,)),
        ErrorCode("training_mismatch", 409, "Training mode and the code do not match: the practice code works only in training mode, real shoppers only with training off.", (CASHIER,)),
        ErrorCode("consent_required", 409, "The shopper has not agreed to spend these points: ask them, then press «Shopper agreed: complete sale» (or wait until they agree on their phone), or remove the rewards.", (CASHIER,)),
        ErrorCode("consent_out_of_date", 409, "The rewards changed since the shopper was asked; look at the rewards shown now and agree to those.", (CASHIER, SHOPPER)),
        ErrorCode("return_quantity_too_large", 422, "More items are being returned than were bought on this receipt (or were already returned); check the receipt.", (CASHIER,)),
        ErrorCode("offline_earning_too_old", 422, "This offline purchase is more than 7 days old; a manager must add its points by hand.", (CASHIER, MANAGER)),
        # --- beacon agents (walk-ins) --------------------------------------------------
        ErrorCode("unknown_agent", 401, "No agent has this X-Agent-Id; provision the agent with rewards-api agents provision and put its id in its config.", (AGENT, ENGINEER)),
        ErrorCode("bad_signature", 401, "The request signature does not match; check the agent's secret and that it signs METHOD, PATH, TIMESTAMP, NONCE and the SHA-256 of the exact body.", (AGENT, ENGINEER)),
        ErrorCode("timestamp_out_of_window", 401, "X-Timestamp is more than 300 seconds from the server's clock; fix the agent's clock (NTP) and send again.", (AGENT, ENGINEER)),
        ErrorCode("nonce_reused", 401, "This X-Nonce was already used; sign every request with a fresh random nonce.", (AGENT, ENGINEER)),
        ErrorCode("agent_disabled", 401, "This agent was disabled; ask head office to provision a new one.", (AGENT, MANAGER, ENGINEER)),
        ErrorCode("batch_too_large", 413, "Too many events in one batch; send at most 500 per request.", (AGENT, ENGINEER)),
        # --- scans (products, scan campaigns, photos) -----------------------------------
        ErrorCode("not_in_store", 409, "Scans count only while you are in the store: open the app inside the store, wait until it shows your visit, then scan again.", (SHOPPER, CASHIER)),
        ErrorCode("not_a_campaign_product", 422, "This product earns no scan points here today; the app lists the products that do.", (SHOPPER, CASHIER)),
        ErrorCode("already_scanned", 409, "You already earned the points for this offer (once per store and day); try another product on the list.", (SHOPPER, CASHIER)),
        ErrorCode("campaign_budget_exhausted", 409, "This offer has given out all its points and has ended early.", (SHOPPER, CASHIER)),
        ErrorCode("unreadable_image", 422, "No barcode could be read in the photo: hold the phone steady, fill the frame with the code and try again, or scan the shelf tag's QR code.", (SHOPPER, CASHIER)),
        ErrorCode("barcode_unclear", 422, "The barcode in the photo could not be read for sure: hold the phone steady, fill the frame with the code and try again, or scan the shelf tag's QR code.", (SHOPPER, CASHIER)),
        ErrorCode("invalid_check_digit", 422, "That code's last digit does not match the others, so it was misread or mistyped; scan it again.", (SHOPPER, CASHIER)),
        ErrorCode("rate_limited", 429, "Too many scans in a short time; wait a minute, then scan again.", (SHOPPER, CASHIER)),
        # --- back office (/v1/admin): campaigns, rules, keys, agents, audit ----------------
        ErrorCode("code_taken", 409, "Something of this kind already has this code; pick another code.", (MANAGER, ENGINEER)),
        ErrorCode("campaign_not_found", 404, "There is no such scan campaign in your stores.", (MANAGER, ENGINEER)),
        ErrorCode("campaign_not_started", 409, "This campaign has not started yet, so it cannot be ended; change its end date instead.", (MANAGER,)),
        ErrorCode("campaign_already_ended", 409, "This campaign has already ended; start a new campaign instead of changing this one.", (MANAGER,)),
        ErrorCode("product_not_found", 404, "There is no product with this code; import it with the store's assortment first.", (MANAGER, ENGINEER)),
        ErrorCode("assortment_invalid", 422, "Some lines of the assortment file are wrong (the details list each one); nothing was imported. Fix the file and import it again.", (MANAGER,)),
        ErrorCode("walk_in_rule_not_found", 404, "There is no such walk-in rule in your stores.", (MANAGER, ENGINEER)),
        ErrorCode("staff_key_not_found", 404, "There is no such staff or register key in your stores.", (MANAGER, ENGINEER)),
        ErrorCode("agent_not_found", 404, "There is no such beacon agent in your stores.", (MANAGER, ENGINEER)),
        ErrorCode("enrolment_code_invalid", 401, "This enrolment code is wrong, was used already or has expired; ask for a new one (provision the agent again).", (AGENT, MANAGER, ENGINEER)),
        # --- shopper app, staff assist, store dashboard ----------------------------------
        ErrorCode("assist_not_opted_in", 409, "Turn on \"Staff may help me\" in the app first; then ask for help again.", (SHOPPER,)),
        ErrorCode("live_updates_full", 503, "This server holds as many live-update streams as it can; ask again in a moment (the pages fall back to asking every few seconds).", (ENGINEER,)),
        ErrorCode("help_request_not_found", 404, "That help request is not in this store's list any more; reload the list.", (CASHIER, MANAGER)),
    ]
}


class ApiError(Exception):
    """An error the API answers with a registered code.

    ``message`` overrides the registry's sentence when a more specific one helps (an
    English literal, so that ``make i18n`` extracts it; ``%(name)s`` placeholders are
    filled from ``params`` after translation); ``details`` carries machine-readable
    context (e.g. field errors); ``headers`` go on the answer (``Retry-After`` defaults to the code's ``retry_after_s``).
    """

    def __init__(self, code: str, message: str | None = None, *, details: Any = None,
                 status: int | None = None, headers: dict[str, str] | None = None,
                 params: dict[str, Any] | None = None) -> None:
        if code not in REGISTRY:
            raise KeyError(f"unregistered error code {code!r}")
        entry = REGISTRY[code]
        self.code = code
        self.status = status or entry.status
        self.message = message or entry.message
        self.params = params
        self.details = details
        self.headers = dict(headers or {})
        if entry.retry_after_s is not None:
            self.headers.setdefault("Retry-After", str(entry.retry_after_s))
        super().__init__(f"{code}: {self.english}")

    @property
    def english(self) -> str:
        """The message in the source language, placeholders filled."""
        return self.message % self.params if self.params else self.message

    def body(self, message: str | None = None) -> dict[str, Any]:
        """The error answer; ``message`` is the sentence in the caller's language."""
        error: dict[str, Any] = {"code": self.code, "message": message or self.english}
        if self.details is not None:
            error["details"] = self.details
        return {"error": error}
