#!/usr/bin/env bash
# A POS written in anything but Python: one whole checkout through the local bridge,
# then a return by the sale number on the receipt.
#   usage: bridge_checkout.sh BRIDGE_URL CHECKOUT_CODE
set -euo pipefail
bridge="$1"
code="$2"

call() {  # call ROUTE JSON -> the register's state (fails on any error answer)
  curl -sS --fail-with-body -X POST -H 'Content-Type: application/json' -d "$2" "$bridge/api/$1"
}
expect_state() {
  local got
  got="$(jq -r .state <<<"$1")"
  [ "$got" = "$2" ] || { echo "expected state $2, got $got: $1" >&2; exit 1; }
}

call basket '{"currency": "EUR", "lines": [
  {"gtin": "4006381333931", "quantity": 2, "unit_price_minor": 350},
  {"gtin": "4000000000013", "quantity": 1, "unit_price_minor": 280},
  {"gtin": "4000000000020", "quantity": 3, "unit_price_minor": 199}]}' >/dev/null

state="$(call scan "{\"text\": \"$code\"}")"
expect_state "$state" identified
jq -r '.checkout.programs[] | "\(.name): balance \(.balance)"' <<<"$state"

state="$(call apply '{}')"
expect_state "$state" rewards_applied
jq -e '[.checkout.applied[].program] | unique | length == 2' <<<"$state" >/dev/null

# Points are spent only with the shopper's consent: the cashier asked, the shopper
# said yes to exactly these rewards (on their phone, commit would send '{}').
agreed="$(jq -c '{shopper_agreed: [.checkout.applied[].reward]}' <<<"$state")"
state="$(call commit "$agreed")"
expect_state "$state" committed
jq -r '.checkout.receipt.lines[] | "\(.text): \(.points)"' <<<"$state"
echo "to pay: $(jq -r .checkout.receipt.to_pay_minor <<<"$state")"
sale="$(jq -r .checkout.receipt.checkout_id <<<"$state")"
echo "sale number: $sale"

# The shopper brings one coffee back: by the sale number on the receipt.
state="$(call return "{\"sale\": $sale, \"lines\": [{\"gtin\": \"4006381333931\", \"quantity\": 1}]}")"
echo "refund: $(jq -r .return.result.refund_minor <<<"$state")"
jq -r '.return.result.points | to_entries[] | "\(.key): \(.value.clawed_back) points taken back"' <<<"$state"
