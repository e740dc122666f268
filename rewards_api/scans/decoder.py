"""Reading product codes from phone photos: the one decoder behind ``POST /v1/me/scans``
and ``rewards-api codes decode``.

Two independent readers look at the photo: zxing-cpp and zbar (through pyzbar), both
restricted to EAN-13, UPC-A, EAN-8 and QR. They fail on different photos (zxing-cpp on
faint, low-resolution bars, zbar on small QR codes), so together they read more than
either alone.

A wrong product is worse than none (it awards points for another product), so a
barcode is believed only on independent evidence:

- its check digit fits (a misread digit breaks it nine times in ten);
- and two readers read the same value, or one reader read it in two genuinely
  different pictures of the photo (``LOOKS``: the photo itself, a copy reduced by half
  when the photo is large, a sharpened copy, a plainly enlarged copy, a copy turned by
  45 degrees; a crop of a picture is the same picture, and so are a sharpened, a
  reduced or an enlarged copy for one reader, and for zbar a turned one:
  ``SAME_EVIDENCE``). A barcode seen once gets closer
  looks at just that spot, by the other reader and in the other pictures, cheapest
  first, until it is proven. zbar's outline of a barcode can cover one end of its
  bars only; a closer look then takes the whole band of the lines that read it.

Evidence has a budget per candidate, not a timer (the result never depends on the
machine's speed): once a barcode is seen and not proven, a look at the whole photo is
made only if it could still add evidence about it (not the same reader in the same
evidence again, not zbar in a picture whose crop it already read); a photo with
nothing seen gets every look.

When readers see *different* values at the same spot of the photo (on one code's bars,
if at different heights of them: ``Sighting.one_code``), the decoder does not guess: it
raises ``UnclearBarcode`` (the shopper is asked to hold the phone steady and fill the
frame). A QR code stands on one read: its Reed-Solomon error correction
makes a wrong read practically impossible. Its text is UTF-8 (zxing-cpp's reading of
the code's own character set is preferred to zbar's guess).

A photo of any size is decoded once, to grey (a JPEG straight to grey, and reduced
while decoding when large), turned upright by its EXIF orientation and downscaled to
at most ``WORK_SIDE`` pixels; reading stops at the first step that gives a believed
value, so a clear photo costs one zxing-cpp call and one zbar call on a small crop.
zbar reads every second line of the photo (``SEARCH_STEP``; of an enlarged crop, every
fourth: two lines of it blend the same photo lines), of a whole picture along its rows
and its columns, where a barcode was seen along the rows or the columns that cross its
bars only. The costly pictures (sharpened, turned) are made only when the cheap looks
left a photo unproven (the sharpened copy of a small photo is enlarged by half, not
twice), each once per photo (``Pictures``: both readers read a spot's turned crop),
the whole turned one only when the photo holds slanted bars (``slanted_bars``, a 1-3 ms
look at squares of the photo: on the shared real photos the whole turned picture never
gained a read, and 12 of 251 hold slanted bars; a seen code's turned crop is still read,
a second picture that proves straight codes too: skipping it lost 5 reads of the phone
troubles' tuning half). A photo with nothing seen costs 10-15 ms less for it (upca-1/1:
48 to 37 ms as PNG), all shared photos 0.93x the CPU time, the phone troubles' p95
0.88x; the shared photos' p95 is set by other looks and PNG decoding.
zxing-cpp reads along the rows only where every barcode it looks for was crossed along
them (half its work), and a closer look in the turned picture takes a square that
holds the whole slanted code, so the whole turned picture is not read after it. On
the shared photos re-encoded as JPEG this cut the p95 CPU time to 0.81x (tuning half)
and 0.72x (held-out half) of the decoder before, about bare zbar's p95 (0.95x, 1.07x;
as stored, PNG, 1.0x: their tail is PNG decoding); the generated photos read 238 of
240 (235 before), their p95 0.68x. ``make bench BENCH=scans`` measures all of this on the shared real photos (as
stored and re-encoded as JPEG) and on generated ones.
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace

import zxingcpp
from PIL import Image, ImageChops, ImageFilter, ImageOps, UnidentifiedImageError
from pyzbar import pyzbar
from pyzbar.pyzbar import ZBarSymbol
from pyzbar.wrapper import ZBarConfig, zbar_image_scanner_set_config

from rewards_api.products.gtin import EAN8, EAN13, QR, UPCA, BadCheckDigit, NotAGtin, normalize

ACCEPTED_FORMATS = {"JPEG", "PNG"}
# Photos larger than this are refused before decoding (a decompression bomb in a
# small file would otherwise eat the worker's memory); a 48 MP phone photo fits.
MAX_PIXELS = 50_000_000
# The photo is read at most this large: a product code that fills a fifth of a phone
# photo still has 2-3 pixels per bar here, and zbar's time grows with the pixels.
WORK_SIDE = 1280
# Photos smaller than this are also read enlarged twice (bars of one pixel become two,
# which both readers need to tell a thin bar from a wide one); larger ones are also
# read reduced by half (averaging 2x2 pixels halves sensor noise and JPEG blocks, which
# break zbar's reading of a large code's edges, and leaves such a code wide bars).
SMALL_SIDE = 800

ZXING = "zxing-cpp"
ZBAR = "zbar"
_ZXING_FORMATS = zxingcpp.barcode_formats_from_str("EAN13,UPCA,EAN8,QRCode")
_ZBAR_SYMBOLS = [ZBarSymbol.EAN13, ZBarSymbol.UPCA, ZBarSymbol.EAN8, ZBarSymbol.QRCODE]
# Both readers find a QR code at any angle: the turned picture looks for barcodes only.
_ZXING_BARCODES = zxingcpp.barcode_formats_from_str("EAN13,UPCA,EAN8")
_ZBAR_BARCODES = _ZBAR_SYMBOLS[:3]
# Order of results at equal distance from the photo's centre.
_SYMBOLOGY_ORDER = {EAN13: 0, UPCA: 1, EAN8: 2, QR: 3}


class UnreadableImage(ValueError):
    """The upload is not a JPEG or PNG picture we can open."""


class UnclearBarcode(ValueError):
    """Readers saw different values at the same spot: the photo is too blurred, tilted
    or small to tell which is right, so nothing is read rather than a guess."""


@dataclass(frozen=True)
class Read:
    """One code found in a picture: its symbology (ean13, upca, ean8, qr) and text.

    A UPC-A code (12 digits) and an EAN-13 code starting with 0 are the same bars:
    they are always reported as ``upca`` with 12 digits.
    """

    symbology: str
    value: str


@dataclass(frozen=True)
class Sighting:
    """One reader's read of one code in one picture, with the code's outline (left, top,
    right, bottom) in the coordinates of the working photo and, for a barcode, the
    direction the reader crossed its bars (degrees from the photo's x axis, 0 to 180;
    ``None``: not known)."""

    read: Read
    reader: str
    picture: str
    box: tuple[float, float, float, float]
    across: float | None = None

    def overlaps(self, other: Sighting) -> bool:
        """The same spot: two reads of one code lie on one outline (two codes printed
        side by side, like a book's ISBN and price code, do not overlap)."""
        a, b = self.box, other.box
        return a[0] <= b[2] and b[0] <= a[2] and a[1] <= b[3] and b[1] <= a[3]

    def one_code(self, other: Sighting) -> bool:
        """Reads of one barcode, perhaps at different heights of its bars: the outlines
        overlap once each is stretched along the bars by ``BAR_REACH`` of its length
        either way. A reader's outline is the lines it read along, and a tilted, blurred
        or glared code can read as another value near the top of its bars than near
        the bottom (codes printed side by side stay apart)."""
        return _along_bars(self).overlaps(_along_bars(other))

    @property
    def centre(self) -> tuple[float, float]:
        return (self.box[0] + self.box[2]) / 2, (self.box[1] + self.box[3]) / 2


@dataclass(frozen=True)
class Placing:
    """Where a picture lies in the working photo: enlarged ``scale`` times, cut at
    ``offset``, or turned by ``degrees`` (counter-clockwise) about ``centres`` (the
    centre before and after turning)."""

    scale: float = 1.0
    offset: tuple[int, int] = (0, 0)
    degrees: float = 0.0
    centres: tuple[tuple[float, float], tuple[float, float]] = ((0, 0), (0, 0))

    def in_photo(self, x: float, y: float) -> tuple[float, float]:
        if self.degrees:
            (cx, cy), (tx, ty) = self.centres
            a = math.radians(self.degrees)
            dx, dy = x - tx, y - ty
            x, y = cx + math.cos(a) * dx - math.sin(a) * dy, cy + math.sin(a) * dx + math.cos(a) * dy
        return x / self.scale + self.offset[0], y / self.scale + self.offset[1]

    def direction(self, start: tuple[float, float], end: tuple[float, float]) -> float:
        """The direction (degrees from the photo's x axis, 0 to 180) of a line drawn in
        the picture from ``start`` to ``end``."""
        (x0, y0), (x1, y1) = self.in_photo(*start), self.in_photo(*end)
        return math.degrees(math.atan2(y1 - y0, x1 - x0)) % 180


def decode(data: bytes) -> list[Read]:
    """Every code read with confidence from a JPEG or PNG, nearest the photo's centre
    first (the shopper aims at the product they mean), then EAN-13, UPC-A, EAN-8, QR,
    then by value.

    An empty list means nothing could be read; ``UnreadableImage`` means the bytes are
    not a picture we accept; ``UnclearBarcode`` means readers disagreed about a code.
    """
    return decode_image(open_image(data))


def open_image(data: bytes) -> Image.Image:
    """The upload upright (phones store rotation in EXIF), grey, at most ``WORK_SIDE``."""
    try:
        image = Image.open(io.BytesIO(data))
        if image.format not in ACCEPTED_FORMATS:
            raise UnreadableImage(f"send a JPEG or PNG photo, not {image.format}")
        if image.width * image.height > MAX_PIXELS:
            raise UnreadableImage("the photo has too many pixels; send a smaller one")
        image.draft("L", (WORK_SIDE, WORK_SIDE))  # JPEG: decode straight to a smaller grey
        ImageOps.exif_transpose(image, in_place=True)  # in place: no copy of a colour photo
        # A PNG palette may carry transparency: resolve it first.
        coloured = image.convert("RGBA") if image.mode == "P" else image
        return _fit(coloured.convert("L"), WORK_SIDE)
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError, SyntaxError) as exc:
        raise UnreadableImage("the upload is not a picture we can open") from exc


def decode_image(image: Image.Image) -> list[Read]:
    """Read a grey picture step by step until a value is believed (module docstring)."""
    sightings: list[Sighting] = []
    looked: set[tuple[str, str, Sighting | None]] = set()
    pictures = Pictures(image)
    for reader, name in LOOKS:
        if (reader, name) in SPOT_ONLY or not fits(name, image.size):
            continue
        # Every code seen is an unproven barcode here (others were returned): a look
        # that cannot add evidence about any of them is not made (an evidence budget
        # per candidate).
        spots = [s for s in sightings if _new_evidence(reader, name, s, sightings, looked)]
        if (sightings and not spots) or not pictures.worth_reading(name):
            continue
        # zxing-cpp looks again only for the barcodes seen: along the rows alone when
        # all of them were crossed along the rows (``read_zxing``).
        rows_only = reader == ZXING and bool(spots) and all(
            scan_lines(s.across, Placing()) == (True, False) for s in spots)
        sightings += READERS[reader](*pictures.of(name), across=0.0 if rows_only else None)
        looked.add((reader, name, None))
        sightings += _second_looks(pictures, sightings, looked)
        reads = believed(sightings, image.size)
        if reads:
            return reads
    return []


def believed(sightings: list[Sighting], size: tuple[int, int]) -> list[Read]:
    """The reads the sightings prove (module docstring), in the documented order.
    Raises ``UnclearBarcode`` when two barcode values were seen at one spot."""
    barcodes = [s for s in sightings if s.read.symbology != QR]
    for a in barcodes:
        for b in barcodes:
            if a.read.value != b.read.value and a.one_code(b):
                raise UnclearBarcode(f"{a.read.value} and {b.read.value} at one spot")
    proven: dict[Read, Sighting] = {}
    for s in barcodes:
        if _proven(s, barcodes):
            proven.setdefault(s.read, s)
    qr = [s for s in sightings if s.read.symbology == QR]
    for s in sorted(qr, key=lambda s: s.reader != ZXING):  # zxing-cpp's text first
        if not any(s.overlaps(o) for o in proven.values()):
            proven[s.read] = s
    centre = (size[0] / 2, size[1] / 2)
    return sorted(proven, key=lambda r: (round(math.dist(centre, proven[r].centre)),
                                         _SYMBOLOGY_ORDER[r.symbology], r.value))


# How far along its bars a barcode's outline is stretched to tell reads of one code
# (this share of its length either way): reads a quarter of a length apart are one code
# (EAN and UPC bars are about half as tall as the code is long), while two codes printed
# one above the other (a book's ISBN over its price code, in the shared photos) are
# 0.3 of a length apart or more: their digits and a gap lie between them.
BAR_REACH = 0.12


def _along_bars(s: Sighting) -> Sighting:
    """``s`` with its outline stretched along the bars (``Sighting.one_code``)."""
    if s.across is None:
        return s
    left, top, right, bottom = s.box
    reach = BAR_REACH * max(right - left, bottom - top)
    a = math.radians(s.across)
    dx, dy = reach * abs(math.sin(a)), reach * abs(math.cos(a))
    return replace(s, box=(left - dx, top - dy, right + dx, bottom + dy))


def _proven(s: Sighting, sightings: list[Sighting]) -> bool:
    evidence = {(o.reader, evidence_of(o.reader, o.picture)) for o in sightings if o.read == s.read}
    return len({reader for reader, _ in evidence}) > 1 or len({p for _, p in evidence}) > 1


def read_zxing(picture: Image.Image, name: str, placing: Placing = Placing(),
               across: float | None = None) -> list[Sighting]:
    """zxing-cpp's reads of a grey picture of the working photo (``placing``: where it
    lies in the photo; ``across``: see ``read_zbar``; zxing-cpp reports the direction
    of what it reads itself)."""
    found = []
    formats = _ZXING_BARCODES if name == TURNED else _ZXING_FORMATS
    # Light bars on a dark ground are looked for in the photo only (the copies are for
    # faint, small or slanted codes, not for inverted ones).
    # zxing-cpp reads along the picture's rows, then turned along its columns (half the
    # time): a barcode crossed along the rows is read along the rows only.
    _, columns = scan_lines(across, placing)
    for code in zxingcpp.read_barcodes(picture, formats=formats, try_invert=name == PHOTO,
                                       try_rotate=columns):
        read = as_read(str(code.format), code.text)
        if read is not None:
            p = code.position
            corners = [(c.x, c.y) for c in (p.top_left, p.top_right, p.bottom_right, p.bottom_left)]
            across = placing.direction(corners[0], corners[1])
            found.append(_sighting(read, ZXING, name, corners, placing, across))
    return found


def read_zbar(picture: Image.Image, name: str, placing: Placing = Placing(),
              across: float | None = None) -> list[Sighting]:
    """zbar's reads of a grey picture (as ``read_zxing``). zbar reads along the
    picture's rows and along its columns, each as costly: where a barcode was seen
    crossed ``across`` (degrees in the photo) within ``STRAIGHT_DEGREES`` of one of
    them, it reads along that one only, for barcodes only."""
    found = []
    rows, columns = scan_lines(across, placing)
    symbols = _ZBAR_BARCODES if name == TURNED or not (rows and columns) else _ZBAR_SYMBOLS
    # An enlarged picture has two lines for each line of the photo, each a blend of its
    # neighbours: reading one of the two sees the same bars at half the cost.
    every = SEARCH_STEP * max(1, round(placing.scale))
    for code in _zbar_decode(picture, symbols, rows, columns, every):
        read = as_read(code.type, code.data.decode("utf-8", "replace"))
        if read is not None:
            step = _ZBAR_STEPS.get(code.orientation)
            crossed = placing.direction((0, 0), step) if step else None
            found.append(_sighting(read, ZBAR, name, [(c.x, c.y) for c in code.polygon],
                                   placing, crossed))
    return found


# A barcode crossed within this many degrees of the rows (or the columns) is read
# along them only: zbar's scan lines cross all its bars from end to end.
STRAIGHT_DEGREES = 20


def scan_lines(across: float | None, placing: Placing) -> tuple[bool, bool]:
    """Along which lines of a picture (rows, columns) to read a barcode ``across``."""
    if across is None:
        return True, True
    angle = (across - placing.degrees) % 180
    rows, columns = min(angle, 180 - angle) <= STRAIGHT_DEGREES, abs(angle - 90) <= STRAIGHT_DEGREES
    return (rows, columns) if rows or columns else (True, True)


# zbar's orientation of a barcode: the direction it read the bars in, in the picture.
_ZBAR_STEPS = {"UP": (1, 0), "DOWN": (-1, 0), "RIGHT": (0, 1), "LEFT": (0, -1)}


# zbar reads a picture along every SEARCH_STEP-th line only, half the work of every
# line: a code's bars cross dozens of lines. A code seen once is read again in a closer
# look along the direction that crosses its bars only (each direction costs as much).
SEARCH_STEP = 2


def _zbar_decode(picture: Image.Image, symbols: list[ZBarSymbol], rows: bool,
                 columns: bool, every: int) -> list[pyzbar.Decoded]:
    """pyzbar's ``decode`` with zbar's scan lines chosen: along the picture's ``rows``,
    its ``columns`` or both (each direction costs as much; pyzbar always scans both, every
    line), along every ``every``-th line.
    It is pyzbar 0.1.9's own ``decode`` (pinned in constraints.txt) with two settings
    more, through the same helpers."""
    pixels = picture.tobytes()
    with pyzbar._image_scanner() as scanner:
        zbar_image_scanner_set_config(scanner, ZBarSymbol.NONE, ZBarConfig.CFG_ENABLE, 0)
        for symbol in symbols:
            zbar_image_scanner_set_config(scanner, symbol, ZBarConfig.CFG_ENABLE, 1)
        zbar_image_scanner_set_config(scanner, ZBarSymbol.NONE, ZBarConfig.CFG_Y_DENSITY, int(rows) * every)
        zbar_image_scanner_set_config(scanner, ZBarSymbol.NONE, ZBarConfig.CFG_X_DENSITY, int(columns) * every)
        with pyzbar._image() as image:
            pyzbar.zbar_image_set_format(image, pyzbar._FOURCC["L800"])
            pyzbar.zbar_image_set_size(image, picture.width, picture.height)
            pyzbar.zbar_image_set_data(image, pyzbar.cast(pixels, pyzbar.c_void_p), len(pixels), None)
            pyzbar.zbar_scan_image(scanner, image)
            return list(pyzbar._decode_symbols(pyzbar._symbols_for_image(image)))


Reader = Callable[..., list[Sighting]]
READERS: dict[str, Reader] = {ZXING: read_zxing, ZBAR: read_zbar}


def as_read(kind: str, text: str) -> Read | None:
    """A reader's answer as a Read; ``None`` for a barcode whose check digit is wrong."""
    if kind in ("QR Code", "QRCODE"):
        return Read(QR, text)
    try:
        normalize(text)
    except (NotAGtin, BadCheckDigit):
        return None
    if len(text) == 8:
        return Read(EAN8, text)
    if len(text) == 13 and not text.startswith("0"):
        return Read(EAN13, text)
    return Read(UPCA, text[-12:])


def _sighting(read: Read, reader: str, picture: str, corners: list[tuple[int, int]],
              placing: Placing, across: float | None) -> Sighting:
    points = [placing.in_photo(x, y) for x, y in corners]
    xs, ys = [x for x, _ in points], [y for _, y in points]
    return Sighting(read, reader, picture, (min(xs), min(ys), max(xs), max(ys)),
                    None if read.symbology == QR else across)


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


PHOTO = "photo"
REDUCED = "reduced"
SHARPENED = "sharpened"
ENLARGED = "enlarged"
TURNED = "turned"
# zxing-cpp reads bars upright or at 90 degrees only: a code held at 45 degrees is
# brought near one of them by turning the photo.
TURN_DEGREES = 45
# Which reader reads which picture, in this order (cheapest first, but zbar reads a
# large photo reduced before it reads it whole: a quarter of the pixels, and noise
# averaged away). zbar does not read the sharpened picture: sharpening turns blur into
# false edges, and zbar then reads wrong digits whose check digit still fits (see the
# benchmark's table of single reads); it reads a plainly enlarged one instead.
# zxing-cpp reads with its own local threshold only: with a fixed threshold it reads
# faint bars that zbar alone reads, but it is no second reader of them (a phone
# trouble of the tuning half, ean13-3/11 brought down to 171 pixels: it read
# 6780186008574 for 9780596008574 as zbar did). The
# looks of SPOT_ONLY are only second looks at a spot another look found, never of the
# whole picture (too slow for what they add).
LOOKS = [(ZXING, PHOTO), (ZBAR, REDUCED), (ZBAR, PHOTO), (ZBAR, ENLARGED), (ZXING, SHARPENED),
         (ZXING, TURNED), (ZBAR, TURNED)]
SPOT_ONLY = {(ZBAR, ENLARGED), (ZBAR, TURNED)}
# For one reader, a sharpened copy is no evidence beside the photo: it filters the same
# pixels, and on a blurred code the reader misreads both alike (a generated photo of a
# blurred, washed-out UPC-A upside down: zxing-cpp read 471115529616, its check digit
# fitting, in both, for 471175529656). It still finds spots for the others to confirm.
# A reduced copy averages the same pixels: no second picture either. Nor is an enlarged
# copy, which interpolates them: on a small, blurred or washed-out code zbar misreads it
# as it misreads the photo (the benchmark's phone troubles: a real ISBN photo brought
# down to 173 pixels and stored as JPEG, read 6780186008574 for 9780596008574 in both).
# For zbar, nor is a turned copy, a bilinear resampling of them: under the phone
# troubles' "bright" an ISBN (ean13-3/03) read 9780164544800 for 9780764544200 in both.
# Counted per reader over every reader's read of every whole picture: zbar's photo and
# turned copy agreeing believed that 1 wrong value of the 2,064 troubled uploads of the
# tuning half (none of the 1,952 held out, none of the 251 real photos as PNG or JPEG)
# and proved a right read zxing-cpp did not confirm in 1 of them (3 of the 1,952 held
# out, none of the real or generated photos). zxing-cpp's photo
# and turned copy agreeing believed no wrong value on any of these and proved 2 of
# the 240 generated photos: for zxing-cpp the turned copy stays a second picture.
_COPIES_OF_THE_PHOTO = {SHARPENED: PHOTO, REDUCED: PHOTO, ENLARGED: PHOTO}
SAME_EVIDENCE = {ZXING: _COPIES_OF_THE_PHOTO, ZBAR: {**_COPIES_OF_THE_PHOTO, TURNED: PHOTO}}


def evidence_of(reader: str, name: str) -> str:
    """Which picture a read by ``reader`` of picture ``name`` is evidence of
    (``SAME_EVIDENCE``): one reader's reads of one evidence are one piece of it."""
    return SAME_EVIDENCE[reader].get(name, name)


# Each pixel plus four times its difference to its four neighbours.
SHARPEN = ImageFilter.Kernel((3, 3), [0, -1, 0, -1, 5, -1, 0, -1, 0], 1)
# A small photo's sharpened copy is enlarged this much: a bar of one pixel becomes one
# and a half. zxing-cpp (which also reads its own reduced copy of a picture) read every
# faint code of the shared photos' tuning half that it read enlarged twice, and one
# more, in about half the pixels and half the time; of its reads of all 251 shared
# photos one more is wrong (1 of 197; no evidence rule believes it).
SHARPEN_SCALE = 1.5


def picture(photo: Image.Image, name: str,
            box: tuple[int, int, int, int] | None = None) -> tuple[Image.Image, str, Placing]:
    """One of the genuinely different pictures of the photo (or of the part of it in
    ``box``), with the reader's arguments: the photo itself; a sharpened copy, enlarged
    ``SHARPEN_SCALE`` times when the photo is small (blur and low resolution smear the
    edges between bars); a copy reduced by half; a copy enlarged twice; a copy turned by
    ``TURN_DEGREES``."""
    box = box or (0, 0, photo.width, photo.height)
    part = photo.crop(box) if box != (0, 0, photo.width, photo.height) else photo
    placing = Placing(offset=(box[0], box[1]))
    if name == SHARPENED:
        # Sharpened before enlarging: fewer pixels to filter, and as many reads;
        # enlarged bilinear, a third cheaper than bicubic here with the same reads (the
        # sharpening already steepened the edges). A 3x3 kernel: the same reads on the
        # shared and generated photos as an unsharp mask, at less than half its cost.
        part = part.filter(SHARPEN)
        if max(photo.size) < SMALL_SIDE:
            part = part.resize((round(part.width * SHARPEN_SCALE), round(part.height * SHARPEN_SCALE)),
                               Image.Resampling.BILINEAR)
            placing = Placing(scale=SHARPEN_SCALE, offset=placing.offset)
    elif name == REDUCED:  # a box filter: each pixel the mean of four
        part = part.reduce(2)
        placing = Placing(scale=0.5, offset=placing.offset)
    elif name == ENLARGED:  # bicubic: zbar tells thin from wide bars better than bilinear
        part = part.resize((part.width * 2, part.height * 2), Image.Resampling.BICUBIC)
        placing = Placing(scale=2.0, offset=placing.offset)
    elif name == TURNED:
        # Bilinear: turned without interpolation (a fifth of the cost), the bars' edges
        # become steps, and both readers read wrong digits whose check digit fits (2 of
        # 31 zbar reads of the shared photos, 2 of the generated photos' turned reads).
        turned = part.rotate(TURN_DEGREES, resample=Image.Resampling.BILINEAR, expand=True,
                             fillcolor=255)
        placing = Placing(offset=placing.offset, degrees=TURN_DEGREES,
                          centres=((part.width / 2, part.height / 2),
                                   (turned.width / 2, turned.height / 2)))
        part = turned
    return part, name, placing


class Pictures:
    """The pictures of one photo made while reading it, each made once: both readers
    look at a spot's turned crop, and a turned picture costs more than reading it."""

    def __init__(self, photo: Image.Image) -> None:
        self.photo = photo
        self._made: dict[tuple[str, tuple[int, int, int, int] | None], tuple[Image.Image, str, Placing]] = {}
        self._slanted: bool | None = None

    def of(self, name: str, box: tuple[int, int, int, int] | None = None) -> tuple[Image.Image, str, Placing]:
        """``picture(photo, name, box)``, made the first time only."""
        key = (name, None if box == (0, 0, *self.photo.size) else box)
        if key not in self._made:
            self._made[key] = picture(self.photo, name, box)
        return self._made[key]

    def worth_reading(self, name: str) -> bool:
        """Whether the whole picture ``name`` could show a barcode the others cannot:
        the turned one only when the photo holds slanted bars (``slanted_bars``; looked
        for once, in the reduced copy of a large photo)."""
        if name != TURNED:
            return True
        if self._slanted is None:
            small = max(self.photo.size) < SMALL_SIDE
            self._slanted = slanted_bars(self.photo if small else self.of(REDUCED)[0])
        return self._slanted


# Where the whole turned picture is worth reading (``slanted_bars``): the photo is cut into
# squares of BAR_BLOCK pixels, and a square holds bars when its pixels differ from their
# neighbours by BAR_CONTRAST grey levels on average, BAR_COHERENCE of that difference
# in one direction (the edges of bars run one way; text, noise and texture run every
# way). A barcode's bars cover BAR_SQUARES such squares or more facing one way (within
# BAR_SPREAD degrees); they are slanted when that way lies more than SLANT_DEGREES from
# the rows and the columns. Tuned on the generated photos (codes turned at random: 15
# to 140 such squares each when turned 11-80 degrees; with 20 degrees here one code read
# before is lost, with 15 none), the shared real photos' tuning half (half of them show
# a slanted square or two: text, a box's edge; 5 of 129 show slanted bars) and the
# phone troubles' tuning half: no read lost.
BAR_BLOCK = 16
BAR_CONTRAST = 12
BAR_COHERENCE = 0.4
BAR_SQUARES = 8
BAR_SPREAD = 10
SLANT_DEGREES = 15


def slanted_bars(photo: Image.Image) -> bool:
    """Whether the photo holds bars slanted away from its rows and columns. A square's
    differences between neighbours along the rows, the columns and the two diagonals
    give the way its edges face (as a structure tensor would, from absolute differences:
    a few C passes over the photo, 2 ms for 480x360)."""
    facings = []
    for rows, columns, falling, rising in _contrasts(photo):
        # Edges facing the rows differ along the rows and both diagonals alike; edges
        # facing a diagonal differ along it by sqrt 2 times their contrast.
        straight, diagonal = rows - columns, (falling - rising) / math.sqrt(2)
        strength = (rows + columns + (falling + rising) / math.sqrt(2)) / 2
        if strength >= BAR_CONTRAST and math.hypot(straight, diagonal) >= BAR_COHERENCE * strength:
            # -45 to 45 degrees from the rows or the columns, whichever is nearer
            facings.append((math.degrees(0.5 * math.atan2(diagonal, straight)) + 45) % 90 - 45)
    facings.sort()
    return any(last - first <= BAR_SPREAD and abs(first + last) / 2 > SLANT_DEGREES
               for first, last in zip(facings, facings[BAR_SQUARES - 1:], strict=False))


def _contrasts(photo: Image.Image) -> Iterator[tuple[int, int, int, int]]:
    """Each square's mean difference between neighbours along the rows, the columns,
    the falling and the rising diagonal."""
    w, h = photo.size
    base = photo.crop((0, 0, w - 1, h - 1))

    def contrast(moved: Image.Image, still: Image.Image = base) -> bytes:  # grey levels
        return ImageChops.difference(moved, still).reduce(BAR_BLOCK).tobytes()

    return zip(contrast(photo.crop((1, 0, w, h - 1))), contrast(photo.crop((0, 1, w - 1, h))),
               contrast(photo.crop((1, 1, w, h))),
               contrast(photo.crop((1, 0, w, h - 1)), photo.crop((0, 1, w - 1, h))), strict=True)


def fits(name: str, size: tuple[int, int]) -> bool:
    """Whether a picture is worth making of a photo (or crop) this large: enlarged when
    small, reduced when large (``SMALL_SIDE``)."""
    small = max(size) < SMALL_SIDE
    return not ((small and name == REDUCED) or (not small and name == ENLARGED))


def _second_looks(pictures: Pictures, sightings: list[Sighting],
                  looked: set[tuple[str, str, Sighting | None]]) -> list[Sighting]:
    """A closer look at every spot where a barcode is not yet proven: each of the
    ``LOOKS`` that has not yet looked there reads a crop around it (once: ``looked``
    remembers; ``None`` there stands for the whole picture), until it is proven. Crops are small, so this is cheap, and it confirms
    (or contradicts) a first sighting."""
    found: list[Sighting] = []
    spots: list[Sighting] = []
    for s in sightings:
        if s.read.symbology != QR and not any(s.read == o.read and s.overlaps(o) for o in spots):
            spots.append(s)
    for spot in spots:
        for reader, name in LOOKS:
            box = _around(spot, pictures.photo.size, name)
            known = sightings + found
            pointless = (
                (reader, name, spot) in looked
                or not fits(name, (box[2] - box[0], box[3] - box[1]))
                # zbar reads scan line by scan line: a crop shows it nothing new
                or (reader == ZBAR and (reader, name, None) in looked)
                or not _new_evidence(reader, name, spot, known, looked))
            if pointless or _proven(spot, known):
                continue
            looked.add((reader, name, spot))
            found += READERS[reader](*pictures.of(name, box), across=spot.across)
    return found


# How far the turned picture's crop reaches either way of a spot's centre, in lengths of
# its outline: a code near 45 degrees is read in a strip through it about as long as
# the code is wide (its length times cos 45, its bars about half as tall again), and
# the strip need not cross its middle. Generated photos (rotated at random): 237 of
# 240 read with the crop and no whole turned picture after it, 235 before with a
# margin crop and the whole turned picture.
SLANT_REACH = 1.0


def _around(spot: Sighting, size: tuple[int, int], name: str = PHOTO) -> tuple[int, int, int, int]:
    """The crop a closer look at ``spot`` in picture ``name`` reads: its outline with a
    margin wider than a barcode's quiet zone. zbar marks where each of its scan lines
    finished reading, so when all of them ran the same way its outline covers one end
    of the bars only (``_one_end``), and the crop then takes the whole band of those
    lines. The turned picture is for a code held near 45 degrees, which both readers
    read in a strip through it, no longer than the code is wide: there a whole outline
    gets the square ``SLANT_REACH`` times its length either way of its centre."""
    left, top, right, bottom = spot.box
    length = max(right - left, bottom - top)
    one_end = _one_end(spot)
    if name == TURNED and not one_end:
        (x, y), reach = spot.centre, SLANT_REACH * length
        return _clipped((x - reach, y - reach, x + reach, y + reach), size)
    margin = length / 4
    box = _clipped((left - margin, top - margin, right + margin, bottom + margin), size)
    if one_end:
        rows, _ = scan_lines(spot.across, Placing())
        return (0, box[1], size[0], box[3]) if rows else (box[0], 0, box[2], size[1])
    return box


def _one_end(spot: Sighting) -> bool:
    """Whether zbar's outline of a barcode covers one end of its bars only: all its scan
    lines ran the same way, and the outline is shorter across the bars than along them,
    which a whole EAN or UPC code (wider than tall) cannot be."""
    left, top, right, bottom = spot.box
    rows, columns = scan_lines(spot.across, Placing())
    return spot.reader == ZBAR and (
        (rows and not columns and right - left < bottom - top)
        or (columns and not rows and bottom - top < right - left))


def _clipped(box: tuple[float, float, float, float], size: tuple[int, int]) -> tuple[int, int, int, int]:
    """The pixels of ``box`` that lie in a photo of ``size``."""
    return (max(0, int(box[0])), max(0, int(box[1])),
            min(size[0], int(box[2]) + 1), min(size[1], int(box[3]) + 1))


def _new_evidence(reader: str, name: str, spot: Sighting, known: list[Sighting],
                  looked: set[tuple[str, str, Sighting | None]]) -> bool:
    """Whether ``reader`` reading picture ``name`` could still add evidence about the
    barcode seen at ``spot``: not when this reader read there already in the same
    evidence, nor when zbar looked at the spot in that picture (for zbar a crop and the
    whole picture are the same scan lines), nor when either looked at its turned crop
    around a whole outline (it holds the whole code, ``_around``). zxing-cpp's other
    crops can miss rows the whole picture reads (zbar's outline is a strip of the code,
    or one end of it): for them the whole picture is still looked at."""
    evidence = evidence_of(reader, name)
    return not (
        ((reader == ZBAR or (name == TURNED and not _one_end(spot))) and (reader, name, spot) in looked)
        or any(s.reader == reader and evidence_of(s.reader, s.picture) == evidence
               and s.overlaps(spot) for s in known))
