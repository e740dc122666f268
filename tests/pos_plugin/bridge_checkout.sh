#!/usr/bin/env bash
# A POS written in anything but Python: one whole checkout through the local bridge.
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

state="$(call commit '{}')"
expect_state "$state" committed
jq -r '.checkout.receipt.lines[] | "\(.text): \(.points)"' <<<"$state"
echo "to pay: $(jq -r .checkout.receipt.to_pay_minor <<<"$state")"
