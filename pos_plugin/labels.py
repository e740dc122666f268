"""Every text the cashier panel shows, in one place (the staff guide quotes them and a
test compares the guide's quotes with the page). English here; the panel shows them in
its store's language (``translated()``, catalogs in ``pos_plugin/translations``)."""

from pos_plugin.i18n import N_, gettext

LABELS: dict[str, str] = {
    "title": N_("Rewards at the register"),
    "ready": N_("Ready: scan the shopper's code"),
    "scan_label": N_("Shopper code, phone or card number"),
    "scan_placeholder": N_("Scan the code (or type and press Enter)"),
    "scan_photo": N_("Read code from photo"),
    "training_switch": N_("Training mode"),
    "training_banner": N_("TRAINING: practice shopper and practice rewards, no real points"),
    "practice_code": N_("Practice code"),
    "offline_banner": N_("OFFLINE: points are saved and sent later; rewards cannot be redeemed"),
    "waiting_to_send": N_("Purchases waiting to be sent"),
    "basket": N_("Basket"),
    "items": N_("items"),
    "shopper": N_("Shopper"),
    "store_column": N_("Store rewards"),
    "partner_column": N_("Partner rewards"),
    "balance": N_("Balance"),
    "available": N_("Available"),
    "will_earn": N_("Will earn"),
    "suggested": N_("Suggested"),
    "applied": N_("Applied"),
    "not_now": N_("Not now"),
    "points": N_("points"),
    "apply_all": N_("Apply suggested rewards"),
    "add": N_("Add"),
    "remove": N_("Remove"),
    "ask_shopper": N_("Ask the shopper"),
    "ask_hint": N_("They can also agree on their phone."),
    "consent_phone": N_("The shopper agreed on their phone"),
    "consent_declined": N_("The shopper declined on their phone: remove the rewards, or ask again"),
    "commit": N_("Complete sale"),
    "agreed_commit": N_("Shopper agreed: complete sale"),
    "void": N_("Cancel checkout"),
    "discount": N_("Rewards discount"),
    "to_pay": N_("To pay"),
    "receipt": N_("Receipt"),
    "sale_number": N_("Sale number"),
    "returns": N_("Returns"),
    "return_sale": N_("Sale number from the receipt"),
    "find_sale": N_("Find sale"),
    "returned": N_("Returned"),
    "return_items": N_("Return these items"),
    "refund": N_("Refund"),
    "taken_back": N_("points taken back"),
    "shortfall": N_("not covered by the balance"),
    "sale_done": N_("Sale complete: hand the receipt over and scan the next shopper"),
    "sale_cancelled": N_("Checkout cancelled: held points went back to the shopper"),
    "queued_done": N_("Sale complete offline: points saved, they will be sent automatically"),
    "problem": N_("Problem"),
    "plugin_not_running": N_("The register's rewards plugin does not answer; restart it or call a manager."),
}


def translated() -> dict[str, str]:
    """``LABELS`` in the language of the panel's current request."""
    return {key: gettext(text) for key, text in LABELS.items()}
