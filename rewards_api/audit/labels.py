"""The audit trail in the reader's words. Entries keep their actions, resources and
field names as data (``create``, ``walk_in_rule``, ``points_cost``: stable, what the API
answers and filters on); the audit page shows them through these labels, translated
when the page is drawn. A name without a label (a field added later) shows as it is."""

from __future__ import annotations

import flask_babel

from rewards_api.i18n import N_

# ``%(thing)s``: the resource's label and its id, e.g. "Campaign coffee-week".
ACTIONS = {
    "create": N_("%(thing)s created"),
    "change": N_("%(thing)s changed"),
    "end": N_("%(thing)s ended"),
    "revoke": N_("%(thing)s revoked"),
    "disable": N_("%(thing)s disabled"),
    "import": N_("%(thing)s imported"),
    "enrol": N_("%(thing)s enrolled"),
    "close": N_("%(thing)s closed"),
    "adjust": N_("%(thing)s adjusted"),
}

RESOURCES = {
    "campaign": N_("Campaign"),
    "walk_in_rule": N_("Walk-in rule"),
    "products": N_("Products of"),
    "reward": N_("Reward"),
    "earn_rule": N_("Earn rule"),
    "staff_key": N_("Staff key"),
    "agent": N_("Agent"),
    "store": N_("Store"),
    "chain": N_("Chain"),
    "program": N_("Program"),
    "points": N_("Points of"),
}

FIELDS = {
    "active": N_("in use"),
    "amount": N_("points added"),
    "amount_off_minor": N_("amount off (cents)"),
    "balance": N_("balance"),
    "budget": N_("budget"),
    "cap_minor": N_("at most off (cents)"),
    "chain_id": N_("chain"),
    "code": N_("code"),
    "currency": N_("currency"),
    "daily_budget": N_("daily budget"),
    "default_language": N_("default language"),
    "disabled_at": N_("disabled at"),
    "dwell_seconds": N_("dwell (seconds)"),
    "eligible_gtins": N_("eligible products"),
    "enrolled_at": N_("enrolled at"),
    "enrolment_code_expires_at": N_("enrolment code expires at"),
    "ends_at": N_("ends at"),
    "ends_on": N_("last day"),
    "enter_rssi": N_("entry signal (dBm)"),
    "entry_id": N_("ledger entry"),
    "exit_after_seconds": N_("exit after (seconds)"),
    "gtin": N_("product"),
    "gtins": N_("products"),
    "kind": N_("kind"),
    "label": N_("label"),
    "language": N_("language"),
    "latitude": N_("latitude"),
    "longitude": N_("longitude"),
    "min_basket_minor": N_("minimum basket (cents)"),
    "multiplier": N_("multiplier"),
    "name": N_("name"),
    "names": N_("name per language"),
    "per_shopper": N_("per shopper"),
    "percent_off": N_("percent off"),
    "point_value_minor": N_("point value (cents)"),
    "points": N_("points"),
    "points_awarded": N_("points given out"),
    "points_cost": N_("price in points"),
    "points_per_unit": N_("points per currency unit"),
    "product_gtin": N_("free product"),
    "products": N_("products"),
    "program_id": N_("program"),
    "reason": N_("reason"),
    "revoked_at": N_("revoked at"),
    "role": N_("role"),
    "rssi_offset": N_("signal offset (dB)"),
    "starts_at": N_("starts at"),
    "starts_on": N_("first day"),
    "store_id": N_("store"),
    "store_ids": N_("stores"),
    "timezone": N_("time zone"),
}


def translated() -> dict[str, dict[str, str]]:
    """Every label in the request's language, for the audit page's script."""
    return {group: {name: flask_babel.gettext(label) for name, label in labels.items()}
            for group, labels in (("actions", ACTIONS), ("resources", RESOURCES),
                                  ("fields", FIELDS))}
