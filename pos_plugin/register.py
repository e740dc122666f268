"""The register's current sale, shared by the cashier panel and the local bridge.

One register serves one sale at a time: the POS (or the panel) sets the basket, the
shopper is identified, rewards applied, the shopper agrees (on their phone or to the
cashier), the sale completed or cancelled. Goods come back by the sale number on the
receipt (``find_sale``, ``return_items``). All methods are thread-safe and answer the
whole state as JSON-ready data.
"""

from __future__ import annotations

import io
import threading
from typing import Any

from PIL import Image, UnidentifiedImageError
from pyzbar import pyzbar

from pos_plugin.checkout import COMMITTED, OPEN, REWARDS_APPLIED, VOIDED, CheckoutSession
from pos_plugin.client import RewardsClient
from pos_plugin.errors import RewardsError
from pos_plugin.i18n import ENGLISH, LANGUAGES, N_
from pos_plugin.offline import EarnQueue, SyncResult
from rewards_protocol import checkout_code

# The basket of a practice sale when the till sends none (training works stand-alone).
PRACTICE_BASKET: dict[str, Any] = {"currency": "EUR", "lines": [
    {"gtin": checkout_code.PRACTICE_PRODUCT_GTIN, "quantity": 1, "unit_price_minor": 350,
     "description": "Practice coffee"},
    {"gtin": "4000000000013", "quantity": 2, "unit_price_minor": 280,
     "description": "Practice bread"},
]}


def decode_code(image: bytes) -> str:
    """The checkout code in a photo of the shopper's screen (pyzbar).

    Not the rewards service's scan decoder (rewards_api/scans/decoder.py), on purpose:
    the register installs the ``pos`` extra only (no rewards_api, no zxing-cpp), and its
    input is a QR code on a lit phone screen, not a product barcode on a package. The
    rule is the decoder's rule for QR codes all the same: one read is enough (Reed-Solomon
    error correction), and what is read must still parse as a checkout code here and pass
    the service's TOTP check, so a misread cannot identify another shopper."""
    try:
        picture = Image.open(io.BytesIO(image))
        picture.load()
    except (UnidentifiedImageError, OSError) as exc:
        raise RewardsError("no_code_in_image", status=422) from exc
    for symbol in pyzbar.decode(picture):
        text = symbol.data.decode("utf-8", "replace")
        if checkout_code.parse(text) is not None:
            return text
    raise RewardsError("no_code_in_image", status=422)


class Register:
    def __init__(self, client: RewardsClient, queue: EarnQueue, cashier: str, *,
                 training: bool = False) -> None:
        self.client = client
        self.queue = queue
        self.cashier = cashier
        self.training = training
        self.basket: dict[str, Any] | None = None
        self.sale: CheckoutSession | None = None
        self.error: RewardsError | None = None
        # A return in progress: the sale found by its number, and what the return did.
        self.returning: dict[str, Any] | None = None
        # The store's language, once the API told it (the panel speaks English until then).
        self.store_language: str | None = None
        self._lock = threading.RLock()

    def language(self) -> str:
        """What the panel speaks: its store's language (``learn_language``), else English."""
        return self.store_language or ENGLISH

    def learn_language(self, *, again: bool = False) -> None:
        """Ask the API which language the register's store speaks; an API out of reach
        leaves English until the next try (at start and with every offline sync).
        ``again``: ask even when known, at each new checkout (a manager may have changed
        it; the panel reloads its page when ``state()["language"]`` differs)."""
        if self.store_language is not None and not again:
            return
        try:
            language = self.client.own_store().get("language")
        except RewardsError:
            return
        self.store_language = language if language in LANGUAGES else ENGLISH

    def state(self) -> dict[str, Any]:
        with self._lock:
            sale = self.sale
            view = sale.view if sale else None
            return {
                "state": sale.state if sale else "ready",
                "training": self.training,
                "practice_code": checkout_code.PRACTICE_CODE if self.training else None,
                "offline": bool(sale and sale.offline),
                "queued": self.queue.pending(),
                "basket": sale.basket if sale else self.basket,
                "checkout": view.raw if view else None,
                "return": self.returning,
                "error": self.error.as_dict() if self.error else None,
                "language": self.language(),
            }

    def _do(self, action: Any) -> dict[str, Any]:
        with self._lock:
            try:
                action()
            except RewardsError as exc:
                self.error = exc
                raise
            self.error = None
            return self.state()

    def _sale_open(self) -> bool:
        return self.sale is not None and self.sale.state not in (COMMITTED, VOIDED)

    def set_basket(self, basket: dict[str, Any]) -> dict[str, Any]:
        """A new sale for ``basket``; a sale still open is cancelled first."""
        def action() -> None:
            if self._sale_open():
                assert self.sale is not None
                self.sale.void()
            self.basket = basket
            self.sale = None
            self.returning = None
        return self._do(action)

    def set_training(self, on: bool) -> dict[str, Any]:
        def action() -> None:
            if self._sale_open():
                raise RewardsError("wrong_step", "Finish or cancel this checkout before "
                                   "switching training mode.", 409)
            self.training = on
            self.sale = None
            self.basket = None
        return self._do(action)

    def scan(self, text: str) -> dict[str, Any]:
        def action() -> None:
            if self._sale_open():
                raise RewardsError("wrong_step", "A shopper is already identified; complete "
                                   "or cancel this checkout first.", 409)
            basket = self.basket or (PRACTICE_BASKET if self.training else None)
            if basket is None:
                raise RewardsError("no_basket", status=409)
            sale = CheckoutSession(self.client, basket, self.cashier, training=self.training,
                                   queue=self.queue)
            sale.identify(text)  # on an error the basket stays for the next scan
            if not sale.offline:
                self.learn_language(again=True)
            self.sale = sale
            self.returning = None
            self.basket = None  # this basket now belongs to the sale
        return self._do(action)

    def scan_image(self, image: bytes) -> dict[str, Any]:
        with self._lock:
            try:
                text = decode_code(image)
            except RewardsError as exc:
                self.error = exc
                raise
            return self.scan(text)

    def _in_sale(self, refusal: str) -> CheckoutSession:
        """The sale in progress; without one, ``refusal`` (the sentence for this step)."""
        if self.sale is None:
            raise RewardsError("wrong_step", refusal, 409)
        return self.sale

    def apply(self, rewards: list[str] | None = None) -> dict[str, Any]:
        return self._do(lambda: self._in_sale(N_("Scan the shopper's code before you apply rewards.")).apply(rewards))

    def commit(self, shopper_agreed: list[str] | None = None) -> dict[str, Any]:
        """Complete the sale; ``shopper_agreed``: the rewards the shopper agreed to when
        the cashier asked (None when they agreed on their phone)."""
        def action() -> None:
            self._in_sale(N_("Scan the shopper's code before you complete the sale.")).commit(shopper_agreed)
            self.sync()
        return self._do(action)

    def refresh(self) -> None:
        """Fetch the checkout again while the shopper's answer is awaited on their phone;
        an unreachable API leaves what was shown (the next refresh tries again)."""
        with self._lock:
            sale = self.sale
            if sale is None or sale.state != REWARDS_APPLIED:
                return
            try:
                sale.refresh()
            except RewardsError:
                pass

    def find_sale(self, sale_number: int) -> dict[str, Any]:
        """Start a return: the completed sale with this number (printed on the receipt)."""
        def action() -> None:
            sale = self.client.checkout(sale_number)
            if sale.status != COMMITTED:
                raise RewardsError("checkout_closed", "Only a completed sale can take "
                                   "returns; check the sale number on the receipt.", 409)
            self.returning = {"sale": sale.raw, "result": None}
        return self._do(action)

    def return_items(self, lines: list[dict[str, Any]], sale_number: int | None = None
                     ) -> dict[str, Any]:
        """Goods come back against the sale found (or ``sale_number``): the refund and the
        points taken back, as the API decides them."""
        def action() -> None:
            if sale_number is not None:
                self.find_sale(sale_number)
            if self.returning is None:
                raise RewardsError("wrong_step", "Enter the sale number from the receipt "
                                   "first.", 409)
            sale_id = self.returning["sale"]["id"]
            done = self.client.return_items(sale_id, lines)
            self.returning = {"sale": self.client.checkout(sale_id).raw,
                              "result": {"id": done.id, "refund_minor": done.refund_minor,
                                         "points": done.points}}
        return self._do(action)

    def void(self) -> dict[str, Any]:
        return self._do(lambda: self._in_sale(N_("Scan the shopper's code before you cancel.")).void())

    def sync(self) -> SyncResult:
        """Send purchases queued while offline (called after each sale and periodically)."""
        self.learn_language()
        return self.queue.sync(self.client)


__all__ = ["OPEN", "PRACTICE_BASKET", "Register", "decode_code"]
