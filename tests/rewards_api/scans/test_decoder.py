"""The photo decoder on generated phone photos: a table of conditions and what must be
read (None: nothing, never a wrong code)."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from rewards_api.scans import decoder
from tests.support.barcodes import Conditions, blank_photo, photo, render
from tests.support.scan_shop import COFFEE, GUM, SODA_UPCA

C = Conditions
TABLE = [
    # symbology, value, conditions, expected read (symbology, value) or None
    ("ean13", COFFEE, C(), ("ean13", COFFEE)),
    ("upca", SODA_UPCA, C(), ("upca", SODA_UPCA)),
    ("ean8", GUM, C(), ("ean8", GUM)),
    ("qr", COFFEE, C(width=0.25), ("qr", COFFEE)),
    ("ean13", COFFEE, C(angle=90), ("ean13", COFFEE)),
    ("ean13", COFFEE, C(angle=180, seed=1), ("ean13", COFFEE)),
    ("ean13", COFFEE, C(angle=25, seed=2), ("ean13", COFFEE)),
    ("ean13", COFFEE, C(angle=45, seed=3), ("ean13", COFFEE)),
    ("upca", SODA_UPCA, C(angle=-135, seed=4), ("upca", SODA_UPCA)),
    ("ean8", GUM, C(angle=-60, seed=5), ("ean8", GUM)),
    ("qr", GUM, C(width=0.25, angle=37, seed=6), ("qr", GUM)),
    ("ean13", COFFEE, C(blur=1.5, seed=7), ("ean13", COFFEE)),
    ("upca", SODA_UPCA, C(noise=12, seed=8), ("upca", SODA_UPCA)),
    ("ean8", GUM, C(contrast=0.4, seed=9), ("ean8", GUM)),
    ("ean13", COFFEE, C(jpeg_quality=20, seed=10), ("ean13", COFFEE)),
    ("ean13", COFFEE, C(tilt=0.12, seed=11), ("ean13", COFFEE)),
    ("upca", SODA_UPCA, C(width=0.3, angle=20, blur=0.8, noise=6, contrast=0.6,
                          jpeg_quality=40, tilt=0.06, seed=12), ("upca", SODA_UPCA)),
    ("qr", SODA_UPCA, C(width=0.2, angle=-50, blur=0.8, noise=6, contrast=0.5,
                        jpeg_quality=30, tilt=0.1, seed=13), ("qr", SODA_UPCA)),
    # Too blurred to read: nothing, rather than a guess.
    ("ean13", COFFEE, C(blur=9, seed=14), None),
    ("ean8", GUM, C(width=0.08, seed=15), None),
]


@pytest.mark.parametrize(("symbology", "value", "conditions", "expected"), TABLE,
                         ids=[f"{row[0]}-{row[2]}" for row in TABLE])
def test_decode_phone_photos(symbology, value, conditions, expected):
    reads = decoder.decode(photo(render(symbology, value), conditions))
    assert [(r.symbology, r.value) for r in reads] == ([expected] if expected else [])


def test_png_upload_and_exif_rotation():
    image = Image.open(io.BytesIO(photo(render("ean13", COFFEE), C(angle=90), fmt="PNG")))
    assert [(r.symbology, r.value) for r in decoder.decode(photo(render("ean13", COFFEE), fmt="PNG"))] \
        == [("ean13", COFFEE)]
    # Phones store a portrait shot sideways, with EXIF orientation 6 saying "turn it".
    exif = Image.Exif()
    exif[0x0112] = 6
    out = io.BytesIO()
    image.convert("RGB").save(out, "JPEG", exif=exif)
    assert [r.value for r in decoder.decode(out.getvalue())] == [COFFEE]


def test_a_photo_without_a_code_reads_nothing():
    assert decoder.decode(blank_photo()) == []


@pytest.mark.parametrize("data", [b"", b"hello", b"GIF89a\x01\x00\x01\x00\x00\x00\x00;"])
def test_not_a_jpeg_or_png_is_refused(data):
    with pytest.raises(decoder.UnreadableImage):
        decoder.decode(data)
