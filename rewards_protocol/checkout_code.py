"""The checkout QR (PROTOCOLS.md section 4): ``RWD1:<public_id>:<code>``.

The 8-digit code is RFC 6238 TOTP (30 s steps, HMAC-SHA1) over the shopper's
20-byte secret, computed on the phone; the API verifies it (pyotp).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

PREFIX = "RWD1"
STEP_SECONDS = 30
DIGITS = 8
_PATTERN = re.compile(rf"^{PREFIX}:([A-Z2-7]{{10}}):(\d{{{DIGITS}}})$")


@dataclass(frozen=True, slots=True)
class CheckoutCode:
    public_id: str
    code: str

    def __str__(self) -> str:
        return f"{PREFIX}:{self.public_id}:{self.code}"


def parse(text: str) -> CheckoutCode | None:
    """The code a scanner typed (surrounding whitespace allowed), or None if it is not
    a checkout code at all."""
    match = _PATTERN.match(text.strip())
    return CheckoutCode(match.group(1), match.group(2)) if match else None


# Training mode: the practice shopper's code (printed in the staff guide) and the product
# the practice rewards give away. The API answers this code only in training checkouts,
# with practice balances that never touch a ledger.
PRACTICE_PUBLIC_ID = "TRAINING22"
PRACTICE_CODE = f"{PREFIX}:{PRACTICE_PUBLIC_ID}:00000000"
PRACTICE_PRODUCT_GTIN = "4006381333931"
