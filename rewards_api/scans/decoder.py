"""Reading product codes from phone photos: the one decoder behind ``POST /v1/me/scans``
and ``rewards-api codes decode``.

zbar (through pyzbar) reads EAN-13, UPC-A, EAN-8 and QR codes. A phone photo is
rotated, blurred, noisy or washed out, so one zbar call is not enough: the photo is
read in several *passes*, each a differently prepared picture (downscaled, sharpened,
thresholded against the local brightness, turned by 45 degrees, full size). A single zbar read of a damaged 1D barcode is
sometimes wrong even though its check digit fits, and a wrong read would award
points for another product, so a 1D value counts only once two different passes
have read it. A QR read stands alone: its Reed-Solomon error correction makes a wrong
read practically impossible.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from PIL import Image, ImageChops, ImageFilter, ImageOps, UnidentifiedImageError
from pyzbar.pyzbar import ZBarSymbol
from pyzbar.pyzbar import decode as zbar_decode

from rewards_api.products.gtin import EAN8, EAN13, QR, UPCA

ACCEPTED_FORMATS = {"JPEG", "PNG"}
# Photos larger than this are refused before decoding (a decompression bomb in a
# small file would otherwise eat the worker's memory); a 48 MP phone photo fits.
MAX_PIXELS = 50_000_000
# Passes work on pictures at most this wide: phone photos are 1280 px or more, and a
# product code in them is large enough at half that size, where zbar is 4x faster and
# the averaging of 2x2 pixels halves sensor noise.
SMALL_SIDE = 640
FULL_SIDE = 1600

_SYMBOLS = [ZBarSymbol.EAN13, ZBarSymbol.UPCA, ZBarSymbol.EAN8, ZBarSymbol.QRCODE]
_NAMES = {"EAN13": EAN13, "UPCA": UPCA, "EAN8": EAN8, "QRCODE": QR}


class UnreadableImage(ValueError):
    """The upload is not a JPEG or PNG picture we can open."""


@dataclass(frozen=True)
class Read:
    """One code found in a picture: its symbology (ean13, upca, ean8, qr) and text."""

    symbology: str
    value: str


def decode(data: bytes) -> list[Read]:
    """Every code read with confidence from a JPEG or PNG, in the order found.

    An empty list means nothing could be read; ``UnreadableImage`` means the bytes are
    not a picture we accept.
    """
    return decode_image(open_image(data))


def open_image(data: bytes) -> Image.Image:
    """The upload as an upright greyscale picture (phones store rotation in EXIF)."""
    try:
        image = Image.open(io.BytesIO(data))
        if image.format not in ACCEPTED_FORMATS:
            raise UnreadableImage(f"send a JPEG or PNG photo, not {image.format}")
        if image.width * image.height > MAX_PIXELS:
            raise UnreadableImage("the photo has too many pixels; send a smaller one")
        image.draft("L", (FULL_SIDE, FULL_SIDE))  # JPEG: decode straight to a smaller grey
        return ImageOps.exif_transpose(image).convert("L")
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError, SyntaxError) as exc:
        raise UnreadableImage("the upload is not a picture we can open") from exc


def decode_image(image: Image.Image) -> list[Read]:
    """Run the passes until a read is confirmed (see the module docstring)."""
    votes: dict[Read, int] = {}
    confirmed: list[Read] = []
    for prepared in _passes(image):
        seen = {Read(_NAMES[r.type], r.data.decode("ascii", "replace"))
                for r in zbar_decode(prepared, symbols=_SYMBOLS)}
        for read in seen:
            votes[read] = votes.get(read, 0) + 1
            needed = 1 if read.symbology == QR else 2
            if votes[read] >= needed and read not in confirmed:
                confirmed.append(read)
        if confirmed:
            return confirmed
    return []


def _fit(image: Image.Image, side: int) -> Image.Image:
    factor = max(image.width, image.height) / side
    if factor <= 1:
        return image
    if factor >= 2:  # reduce() is a fast box filter: it averages noise away
        image = image.reduce(int(factor))
        factor = max(image.width, image.height) / side
    if factor > 1:
        image = image.resize((round(image.width / factor), round(image.height / factor)),
                             Image.Resampling.BILINEAR)
    return image


def _threshold(image: Image.Image, radius: int) -> Image.Image:
    """Black and white against the local mean brightness: rescues washed-out and
    unevenly lit codes where one global cut-off would lose half the code."""
    local_mean = image.filter(ImageFilter.BoxBlur(radius))
    return ImageChops.subtract(image, local_mean, 1.0, 128).point(lambda v: 255 if v >= 124 else 0)


def _turned(image: Image.Image, angle: float) -> Image.Image:
    # zbar scans rows and columns, so a 1D code at about 45 degrees has no scan line
    # across all its bars; turning the picture by 45 degrees brings it near upright.
    return image.rotate(angle, resample=Image.Resampling.BILINEAR, expand=True, fillcolor=255)


def _passes(image: Image.Image) -> Iterator[Image.Image]:
    """Differently prepared pictures, cheapest and most likely first."""
    small = _fit(image, SMALL_SIDE)
    full = _fit(image, FULL_SIDE)
    steps: list[Callable[[], Image.Image]] = [
        lambda: small,
        lambda: _fit(image, SMALL_SIDE * 2 // 3),
        lambda: _threshold(small, 10),
        lambda: small.filter(ImageFilter.UnsharpMask(radius=2, percent=200, threshold=0)),
        lambda: _turned(small, 45),
        lambda: _turned(small, -45),
        lambda: _turned(_threshold(small, 10), 45),
        lambda: _turned(_threshold(small, 10), -45),
        lambda: full.filter(ImageFilter.GaussianBlur(1)),
        lambda: _threshold(full.filter(ImageFilter.BoxBlur(1)), 20),
        lambda: full,
    ]
    for step in steps:
        yield step()
