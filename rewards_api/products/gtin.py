"""GTIN codes: check digits and the one canonical form products are stored under.

EAN-13, UPC-A and EAN-8 are all GTINs. Padded with leading zeros to 14 digits they
keep their check digit and never collide, so the 14-digit form is the key: a UPC-A
code and its EAN-13 form (the same digits behind a leading 0) are one product.
"""

from __future__ import annotations

EAN13 = "ean13"
UPCA = "upca"
EAN8 = "ean8"
QR = "qr"
# How many digits each barcode symbology carries; a QR code (shelf tag) may carry any GTIN.
SYMBOLOGY_LENGTHS = {EAN13: (13,), UPCA: (12,), EAN8: (8,), QR: (8, 12, 13, 14)}
GTIN_LENGTHS = (8, 12, 13, 14)


class NotAGtin(ValueError):
    """The text is not a GTIN at all (wrong length or not digits)."""


class BadCheckDigit(ValueError):
    """The text has the shape of a GTIN but its check digit is wrong (a misread or typo)."""


def check_digit(body: str) -> int:
    """The GS1 check digit for ``body`` (all digits but the last): weights 3, 1, 3, ...
    from the right."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return (10 - total % 10) % 10


def normalize(code: str, symbology: str | None = None) -> str:
    """The 14-digit GTIN of ``code``.

    ``symbology`` (ean13, upca, ean8, qr), when given, must match the code's length.
    Raises ``NotAGtin`` or ``BadCheckDigit``.
    """
    code = code.strip()
    lengths = SYMBOLOGY_LENGTHS[symbology] if symbology else GTIN_LENGTHS
    if not code.isascii() or not code.isdigit() or len(code) not in lengths:
        expected = " or ".join(str(n) for n in lengths)
        raise NotAGtin(f"a {symbology or 'GTIN'} code has {expected} digits")
    if check_digit(code[:-1]) != int(code[-1]):
        raise BadCheckDigit(f"{code} has a wrong check digit")
    return code.zfill(14)


def display(gtin14: str) -> str:
    """The code as printed on the package: EAN-8 for GTIN-8s, otherwise EAN-13
    (UPC-A codes show with their leading 0), and all 14 digits for a GTIN-14."""
    if gtin14.startswith("000000"):
        return gtin14[6:]
    return gtin14[1:] if gtin14.startswith("0") else gtin14
