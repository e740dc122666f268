"""The photo decoder on generated phone photos: a table of conditions and what must be
read (None: nothing, never a wrong code)."""

from __future__ import annotations

import io
import os
import subprocess
import sys

import pytest
from PIL import Image, ImageDraw

from rewards_api.scans import decoder
from tests.support.barcodes import Conditions, blank_photo, photo, render, unclear_photo
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


def test_readers_disagreeing_about_a_barcode_is_unclear_not_a_guess():
    with pytest.raises(decoder.UnclearBarcode, match="2315718146321"):
        decoder.decode(unclear_photo())


def test_a_photo_without_a_code_reads_nothing():
    assert decoder.decode(blank_photo()) == []


@pytest.mark.parametrize("data", [b"", b"hello", b"GIF89a\x01\x00\x01\x00\x00\x00\x00;"])
def test_not_a_jpeg_or_png_is_refused(data):
    with pytest.raises(decoder.UnreadableImage):
        decoder.decode(data)


# --- the evidence rules, on sightings made by hand --------------------------------------

S = decoder.Sighting
R = decoder.Read
EAN = R("ean13", COFFEE)
OTHER = R("ean13", "4006381333948")


def test_a_barcode_with_a_wrong_check_digit_is_no_read():
    assert decoder.as_read("EAN-13", COFFEE) == EAN
    assert decoder.as_read("EAN-13", COFFEE[:-1] + "2") is None
    assert decoder.as_read("UPCA", "0" + SODA_UPCA) == R("upca", SODA_UPCA)
    assert decoder.as_read("QR Code", "Grüße") == R("qr", "Grüße")


def test_a_barcode_needs_two_readers_or_two_pictures():
    box = (10, 10, 110, 60)
    one = S(EAN, decoder.ZXING, decoder.PHOTO, box)
    assert decoder.believed([one], (200, 100)) == []
    assert decoder.believed([one, S(EAN, decoder.ZBAR, decoder.PHOTO, box)], (200, 100)) == [EAN]
    assert decoder.believed([one, S(EAN, decoder.ZXING, decoder.TURNED, box)], (200, 100)) == [EAN]
    # A sharpened copy filters the photo's own pixels: for one reader it is no second picture.
    assert decoder.believed([one, S(EAN, decoder.ZXING, decoder.SHARPENED, box)], (200, 100)) == []
    # So is an enlarged copy: zbar misreads a small, blurred code in both alike.
    zbar = S(EAN, decoder.ZBAR, decoder.PHOTO, box)
    assert decoder.believed([zbar, S(EAN, decoder.ZBAR, decoder.ENLARGED, box)], (200, 100)) == []
    # And for zbar a turned copy: it misread a bright ISBN alike in both (test_troubled_photos).
    assert decoder.believed([zbar, S(EAN, decoder.ZBAR, decoder.TURNED, box)], (200, 100)) == []
    # A QR code stands on one read (Reed-Solomon error correction).
    qr = R("qr", COFFEE)
    assert decoder.believed([S(qr, decoder.ZBAR, decoder.PHOTO, box)], (200, 100)) == [qr]


def test_different_values_at_one_spot_are_unclear_and_apart_are_two_codes():
    a = [S(EAN, decoder.ZXING, decoder.PHOTO, (10, 10, 110, 40)),
         S(EAN, decoder.ZBAR, decoder.PHOTO, (12, 10, 108, 40))]
    with pytest.raises(decoder.UnclearBarcode):
        decoder.believed([*a, S(OTHER, decoder.ZBAR, decoder.PHOTO, (15, 30, 105, 50))], (200, 200))
    # A second code printed below the first (a book's price code): both, nearest the
    # photo's centre first.
    b = [S(OTHER, decoder.ZXING, decoder.PHOTO, (50, 90, 150, 120)),
         S(OTHER, decoder.ZBAR, decoder.PHOTO, (50, 92, 150, 118))]
    assert decoder.believed(a + b, (200, 200)) == [OTHER, EAN]


def test_two_values_at_different_heights_of_one_code_are_unclear():
    # Both readers read a wrong value near the top of the bars (a tilted, glared code),
    # the right one lower down: the outlines of the lines they read do not overlap.
    top = [S(OTHER, decoder.ZXING, decoder.PHOTO, (30, 55, 160, 57), across=0.0),
           S(OTHER, decoder.ZBAR, decoder.PHOTO, (30, 56, 100, 76), across=0.0)]
    lower = [S(EAN, decoder.ZXING, decoder.PHOTO, (27, 98, 161, 137), across=0.0),
             S(EAN, decoder.ZBAR, decoder.PHOTO, (40, 100, 150, 130), across=0.0)]
    with pytest.raises(decoder.UnclearBarcode):
        decoder.believed(top + lower, (184, 184))
    # A book's ISBN over its price code: 0.3 of a code's length apart, two codes.
    below = [S(OTHER, decoder.ZXING, decoder.PHOTO, (30, 137 + 40, 160, 200), across=0.0),
             S(OTHER, decoder.ZBAR, decoder.PHOTO, (30, 137 + 40, 160, 200), across=0.0)]
    assert set(decoder.believed(lower + below, (184, 400))) == {EAN, OTHER}
    # Side by side (stretched along the bars only): two codes.
    beside = [S(OTHER, decoder.ZXING, decoder.PHOTO, (170, 98, 300, 137), across=0.0),
              S(OTHER, decoder.ZBAR, decoder.PHOTO, (170, 98, 300, 137), across=0.0)]
    assert set(decoder.believed(lower + beside, (400, 184))) == {EAN, OTHER}


def test_a_look_that_cannot_add_evidence_about_a_seen_barcode_is_not_made():
    box = (10, 10, 110, 60)
    seen = S(EAN, decoder.ZXING, decoder.PHOTO, box, across=0.0)
    looked: set = set()
    # zxing-cpp saw it in the photo: its sharpened copy is the same evidence, zbar is new.
    assert not decoder._new_evidence(decoder.ZXING, decoder.SHARPENED, seen, [seen], looked)
    assert decoder._new_evidence(decoder.ZXING, decoder.TURNED, seen, [seen], looked)
    assert decoder._new_evidence(decoder.ZBAR, decoder.PHOTO, seen, [seen], looked)
    # zbar read the spot in the photo already: the whole photo is the same scan lines.
    looked.add((decoder.ZBAR, decoder.PHOTO, seen))
    assert not decoder._new_evidence(decoder.ZBAR, decoder.PHOTO, seen, [seen], looked)
    assert decoder._new_evidence(decoder.ZBAR, decoder.ENLARGED, seen, [seen], looked)
    # zxing-cpp read the turned crop around it (the whole code): the whole turned picture
    # shows it nothing new there. A crop of the sharpened picture may miss rows: not so.
    looked |= {(decoder.ZXING, decoder.TURNED, seen), (decoder.ZXING, decoder.SHARPENED, seen)}
    assert not decoder._new_evidence(decoder.ZXING, decoder.TURNED, seen, [seen], looked)
    by_zbar = S(EAN, decoder.ZBAR, decoder.PHOTO, box, across=0.0)
    looked.add((decoder.ZXING, decoder.SHARPENED, by_zbar))
    assert decoder._new_evidence(decoder.ZXING, decoder.SHARPENED, by_zbar, [by_zbar], looked)
    # zbar saw it in the photo: its turned copy is the same evidence (SAME_EVIDENCE).
    zbar = S(EAN, decoder.ZBAR, decoder.PHOTO, box, across=0.0)
    assert not decoder._new_evidence(decoder.ZBAR, decoder.TURNED, zbar, [zbar], set())


def test_a_closer_look_at_a_zbar_outline_shorter_across_the_bars_takes_their_band():
    # Read along the rows, but marked at one end only: 10 pixels across, 60 along the bars.
    one_end = S(EAN, decoder.ZBAR, decoder.PHOTO, (200, 100, 210, 160), across=0.0)
    assert decoder._around(one_end, (480, 360)) == (0, 85, 480, 176)
    # Along the columns: the band of columns.
    assert decoder._around(S(EAN, decoder.ZBAR, decoder.PHOTO, (100, 200, 160, 210), across=90.0),
                           (480, 360)) == (85, 0, 176, 360)
    # A whole outline (wider across the bars than along them), or zxing-cpp's: just a margin.
    whole = (100, 100, 300, 160)
    assert decoder._around(S(EAN, decoder.ZBAR, decoder.PHOTO, whole, across=0.0), (480, 360)) \
        == (50, 50, 351, 211)
    assert decoder._around(S(EAN, decoder.ZXING, decoder.PHOTO, (200, 100, 210, 160), across=0.0),
                           (480, 360)) == (185, 85, 226, 176)


def test_a_closer_look_in_the_turned_picture_takes_a_square_around_the_strip_read():
    # zbar read a code near 45 degrees along the rows: a strip 292 pixels long through it.
    strip = S(EAN, decoder.ZBAR, decoder.PHOTO, (700, 482, 992, 538), across=0.0)
    assert decoder._around(strip, (1280, 960), decoder.TURNED) == (554, 218, 1139, 803)
    # Clipped at the photo's edges.
    assert decoder._around(strip, (900, 600), decoder.TURNED) == (554, 218, 900, 600)


def _two_codes_photo() -> bytes:
    scene = Image.new("L", (1280, 960), 255)
    scene.paste(render("ean13", COFFEE).resize((560, 300)), (40, 300))
    scene.paste(render("qr", "Grüße aus 東京").resize((400, 400)), (700, 280))
    out = io.BytesIO()
    scene.save(out, "PNG")
    return out.getvalue()


def test_two_codes_in_a_stable_order_whatever_the_hash_seed(tmp_path):
    path = tmp_path / "two.png"
    path.write_bytes(_two_codes_photo())
    script = ("import sys; from rewards_api.scans import decoder; "
              "print([(r.symbology, r.value) for r in decoder.decode(open(sys.argv[1], 'rb').read())])")
    outputs = {subprocess.run([sys.executable, "-c", script, str(path)], check=True, text=True,
                              capture_output=True, env={**os.environ, "PYTHONHASHSEED": seed},
                              encoding="utf-8").stdout for seed in ("1", "2")}
    assert outputs == {str([("qr", "Grüße aus 東京"), ("ean13", COFFEE)]) + "\n"}


def test_qr_text_is_utf8():
    reads = decoder.decode(photo(render("qr", "Crème brûlée, 東京 ✓"), C(width=0.3)))
    assert reads == [R("qr", "Crème brûlée, 東京 ✓")]


def test_a_12_megapixel_photo_is_read():
    scene = Image.new("RGB", (4032, 3024), (200, 190, 180))
    scene.paste(render("ean13", COFFEE).resize((1400, 760)), (1300, 1100))
    out = io.BytesIO()
    scene.save(out, "JPEG", quality=85)
    assert decoder.decode(out.getvalue()) == [EAN]


# --- the pictures and the readers' work -------------------------------------------------


@pytest.mark.parametrize("seed", [20, 21])
def test_a_large_noisy_photo_is_read_by_zbar_reduced_by_half(seed):
    """Sensor noise on a large code: zbar reads nothing in the photo itself but reads
    the copy reduced by half (2x2 pixels averaged), which with zxing-cpp's read proves
    the code."""
    noisy = C(width=0.55, angle=-5, blur=1.5, noise=12, contrast=0.6, seed=seed)
    image = decoder.open_image(photo(render("upca", SODA_UPCA), noisy))
    assert decoder.read_zbar(*decoder.picture(image, decoder.PHOTO)) == []
    reduced = decoder.read_zbar(*decoder.picture(image, decoder.REDUCED))
    assert [s.read for s in reduced] == [R("upca", SODA_UPCA)]
    assert decoder.decode_image(image) == [R("upca", SODA_UPCA)]
    # A small photo is not reduced (its bars would merge): it is enlarged instead.
    assert not decoder.fits(decoder.REDUCED, (640, 480))
    assert decoder.fits(decoder.ENLARGED, (640, 480))


def test_zbar_reads_a_seen_barcode_along_the_lines_that_cross_its_bars_only():
    image = decoder.open_image(photo(render("ean13", COFFEE)))
    upright = decoder.read_zxing(*decoder.picture(image, decoder.PHOTO))
    assert [s.read for s in upright] == [EAN]
    assert upright[0].across is not None and min(upright[0].across, 180 - upright[0].across) < 5
    enlarged = decoder.picture(image, decoder.ENLARGED)
    assert [s.read for s in decoder.read_zbar(*enlarged, across=upright[0].across)] == [EAN]
    # Read along the columns only (as for a code turned a quarter), zbar misses it:
    # the rows were all it read.
    assert decoder.read_zbar(*enlarged, across=90.0) == []
    # A slanted code, or one whose direction is not known, is read along both.
    placing = decoder.Placing()
    assert decoder.scan_lines(None, placing) == (True, True)
    assert decoder.scan_lines(45.0, placing) == (True, True)
    assert decoder.scan_lines(178.0, placing) == (True, False)
    # In a copy turned by 45 degrees, a code crossed at 45 degrees in the photo lies along the rows.
    assert decoder.scan_lines(45.0, decoder.Placing(degrees=45)) == (True, False)


def test_zxing_reads_a_barcode_crossed_along_the_rows_along_the_rows_only():
    image = decoder.open_image(photo(render("ean13", COFFEE), C(angle=90)))
    whole = decoder.picture(image, decoder.PHOTO)
    assert [s.read for s in decoder.read_zxing(*whole)] == [EAN]
    assert [s.read for s in decoder.read_zxing(*whole, across=90.0)] == [EAN]
    # Told it was crossed along the rows, it does not turn the picture to read the columns.
    assert decoder.read_zxing(*whole, across=0.0) == []


def test_each_picture_of_a_photo_is_made_once():
    pictures = decoder.Pictures(decoder.open_image(photo(render("ean13", COFFEE))))
    box = (100, 100, 400, 300)
    turned = pictures.of(decoder.TURNED, box)
    assert pictures.of(decoder.TURNED, box) is turned
    assert turned[0].size == decoder.picture(pictures.photo, decoder.TURNED, box)[0].size
    assert pictures.of(decoder.TURNED) is not turned


def _pictures_made(monkeypatch: pytest.MonkeyPatch, data: bytes) -> tuple[list[decoder.Read], set[str]]:
    """What the decoder reads in ``data`` and which pictures of it it made."""
    made: set[str] = set()
    real_picture = decoder.picture

    def recording(photo_: Image.Image, name: str, box: tuple[int, int, int, int] | None = None):  # type: ignore[no-untyped-def]
        made.add(name)
        return real_picture(photo_, name, box)

    monkeypatch.setattr(decoder, "picture", recording)
    return decoder.decode(data), made


def _slanted_shelf_edge() -> bytes:
    """A photo without bars but with a long edge at 30 degrees (a box on a shelf)."""
    image = Image.new("L", (1280, 960), 170)
    ImageDraw.Draw(image).polygon([(0, 900), (1280, 160), (1280, 960), (0, 960)], fill=60)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue()


@pytest.mark.parametrize("data", [blank_photo(), _slanted_shelf_edge()], ids=["shelf", "slanted-edge"])
def test_a_photo_without_slanted_bars_is_not_turned(monkeypatch, data):
    """The turned picture costs more than the others; a photo whose squares show no
    slanted bars (an edge is not bars) is not turned, while the other looks are made."""
    assert not decoder.slanted_bars(decoder.open_image(data).reduce(2))
    reads, made = _pictures_made(monkeypatch, data)
    assert reads == []
    assert decoder.SHARPENED in made and decoder.TURNED not in made


def test_a_slanted_code_is_turned_and_read(monkeypatch):
    data = photo(render("ean13", COFFEE), C(angle=35, blur=1.0, seed=2))
    assert decoder.slanted_bars(decoder.open_image(data).reduce(2))
    assert not decoder.slanted_bars(decoder.open_image(photo(render("ean13", COFFEE))).reduce(2))
    reads, made = _pictures_made(monkeypatch, data)
    assert reads == [R("ean13", COFFEE)]
    assert decoder.TURNED in made
