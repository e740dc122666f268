"""Printable shelf tags for campaign products: A4 pages of eight tags, each with the
product's name, its points, its aisle and a QR code of its GTIN, in the language of the
request (the view speaks the store's: rewards_api.scans.views).

The QR code holds the product's code and nothing else, so scanning a tag is scanning
the product: the same visit rule applies, and a tag photographed and shared online
earns nothing from home.
"""

from __future__ import annotations

import io
import textwrap
from dataclasses import dataclass
from functools import cache

import qrcode
from flask_babel import gettext
from PIL import Image, ImageDraw, ImageFont

from rewards_api import i18n
from rewards_api.products import gtin

DPI = 150
PAGE_SIZE = (1240, 1754)  # A4 at 150 dpi
COLUMNS, ROWS = 2, 4
MARGIN = 60
TAGS_PER_PAGE = COLUMNS * ROWS
_FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
_BOLD = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"


@dataclass(frozen=True)
class Tag:
    name: str
    gtin: str  # 14 digits
    points: int
    aisle: str | None


@cache
def _font(path: str, size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    try:
        return ImageFont.truetype(path, size)
    except OSError:  # fonts-dejavu-core missing: Pillow's built-in font still prints
        return ImageFont.load_default(size)


def qr_image(code: str, size: int) -> Image.Image:
    """A QR code of ``code``, ``size`` pixels square (quiet zone included)."""
    qr = qrcode.QRCode(border=4, box_size=10, error_correction=qrcode.constants.ERROR_CORRECT_M)
    qr.add_data(code)
    image = qr.make_image().get_image().convert("L")
    return image.resize((size, size), Image.Resampling.NEAREST)


def _draw_tag(page: Image.Image, tag: Tag, box: tuple[int, int, int, int]) -> None:
    x0, y0, x1, y1 = box
    draw = ImageDraw.Draw(page)
    draw.rectangle(box, outline=0, width=2)
    code = gtin.display(tag.gtin)
    qr_size = y1 - y0 - 60
    page.paste(qr_image(code, qr_size), (x1 - qr_size - 10, y0 + 10))
    text_x, text_w = x0 + 24, (x1 - x0) - qr_size - 50
    draw.text((text_x, y0 + 24), gettext("+%(points)s points", points=i18n.number(tag.points)),
              font=_font(_BOLD, 44), fill=0)
    y = y0 + 96
    for line in textwrap.wrap(tag.name, width=max(8, text_w // 17))[:4]:
        draw.text((text_x, y), line, font=_font(_BOLD, 28), fill=0)
        y += 36
    draw.text((text_x, y1 - 84), tag.aisle or "", font=_font(_FONT, 24), fill=0)
    draw.text((text_x, y1 - 46), gettext("Scan in the store app"), font=_font(_FONT, 20), fill=0)
    draw.text((x1 - qr_size - 10 + 20, y1 - 44), code, font=_font(_FONT, 22), fill=0)


def pages(tags: list[Tag]) -> list[Image.Image]:
    """The tags laid out on A4 pages (at least one page, blank if there are no tags)."""
    cell_w = (PAGE_SIZE[0] - 2 * MARGIN) // COLUMNS
    cell_h = (PAGE_SIZE[1] - 2 * MARGIN) // ROWS
    result = []
    for start in range(0, max(1, len(tags)), TAGS_PER_PAGE):
        page = Image.new("L", PAGE_SIZE, 255)
        for i, tag in enumerate(tags[start:start + TAGS_PER_PAGE]):
            col, row = i % COLUMNS, i // COLUMNS
            x0, y0 = MARGIN + col * cell_w, MARGIN + row * cell_h
            _draw_tag(page, tag, (x0 + 8, y0 + 8, x0 + cell_w - 8, y0 + cell_h - 8))
        result.append(page)
    return result


def pdf(tags: list[Tag]) -> bytes:
    """All pages as one PDF at print resolution."""
    out = io.BytesIO()
    first, *rest = pages(tags)
    first.save(out, "PDF", save_all=True, append_images=rest, resolution=DPI)
    return out.getvalue()


def png(tags: list[Tag], page: int) -> tuple[bytes, int]:
    """Page ``page`` (1-based) as PNG, and how many pages there are. IndexError past the end."""
    all_pages = pages(tags)
    if not 1 <= page <= len(all_pages):
        raise IndexError(page)
    out = io.BytesIO()
    all_pages[page - 1].save(out, "PNG", dpi=(DPI, DPI))
    return out.getvalue(), len(all_pages)
