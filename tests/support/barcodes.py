"""Barcodes and phone-like photos of them, made with real libraries, for decoder tests
and the decode benchmark.

``render`` draws a clean code with python-barcode (EAN-13, UPC-A, EAN-8) or qrcode
(QR); ``photo`` puts it on a 1280x960 scene the way a phone would see it: rotated,
tilted in perspective, blurred, noisy, with low contrast and JPEG artefacts.
"""

from __future__ import annotations

import io
import random
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import barcode
import qrcode
from barcode.writer import ImageWriter
from PIL import Image, ImageChops, ImageDraw, ImageEnhance, ImageFilter, ImageOps

from rewards_api.products.gtin import check_digit, normalize
from tests.support.real_barcodes import MISSED, RIGHT, UNCLEAR, WRONG

PHONE_SIZE = (1280, 960)


def render(symbology: str, value: str) -> Image.Image:
    """A clean, upright code carrying ``value`` (digits without the check digit are
    completed by python-barcode; pass full codes to be sure what is drawn)."""
    if symbology == "qr":
        qr = qrcode.QRCode(border=4, box_size=10, error_correction=qrcode.constants.ERROR_CORRECT_M)
        qr.add_data(value)
        return qr.make_image().get_image().convert("L")
    name = {"ean13": "ean13", "upca": "upca", "ean8": "ean8"}[symbology]
    code = barcode.get(name, value[:-1], writer=ImageWriter())
    if code.get_fullcode() != value:
        raise ValueError(f"{value} has a wrong check digit")
    # 0.254 mm modules at 300 dpi are exactly 3 pixels: every bar keeps its true width.
    return code.render({"module_width": 0.254, "module_height": 15, "quiet_zone": 3,
                        "font_size": 8, "text_distance": 3, "dpi": 300}).convert("L")


@dataclass(frozen=True)
class Conditions:
    """How the photo is degraded. ``width`` is the code's width as a share of the photo."""

    width: float = 0.45
    angle: float = 0.0
    tilt: float = 0.0  # perspective: how much the far edge shrinks (0 = flat)
    blur: float = 0.0
    noise: float = 0.0  # standard deviation of added grey noise
    contrast: float = 1.0  # below 1 washes the code out
    jpeg_quality: int = 90
    seed: int = 0


def _scene(rng: random.Random) -> Image.Image:
    """A plain shelf-like background with a soft brightness gradient."""
    w, h = PHONE_SIZE
    base = rng.randint(150, 210)
    gradient = Image.linear_gradient("L").rotate(rng.choice([0, 90, 180, 270]))
    return gradient.resize((w, h)).point(lambda v: base + (v - 128) // 6)


def _tilt(image: Image.Image, tilt: float) -> Image.Image:
    if not tilt:
        return image
    w, h = image.size
    shrink = tilt * h / 2
    # Map the output quad back onto the input: the right edge is farther away.
    coeffs = perspective_coeffs([(0, 0), (w, shrink), (w, h - shrink), (0, h)],
                                 [(0, 0), (w, 0), (w, h), (0, h)])
    return image.transform((w, h), Image.Transform.PERSPECTIVE, coeffs,
                           Image.Resampling.BICUBIC, fillcolor=255)


def perspective_coeffs(dst: list[tuple[float, float]], src: list[tuple[float, float]]
                        ) -> list[float]:
    # Solve the 8 unknowns of the projective map dst -> src (Pillow's convention).
    rows, rhs = [], []
    for (x, y), (u, v) in zip(dst, src, strict=True):
        rows.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        rows.append([0, 0, 0, x, y, 1, -v * x, -v * y])
        rhs.extend([u, v])
    return _solve(rows, rhs)


def _solve(a: list[list[float]], b: list[float]) -> list[float]:
    n = len(b)
    m = [row[:] + [b[i]] for i, row in enumerate(a)]
    for col in range(n):
        pivot = max(range(col, n), key=lambda r: abs(m[r][col]))
        m[col], m[pivot] = m[pivot], m[col]
        for r in range(n):
            if r != col:
                factor = m[r][col] / m[col][col]
                m[r] = [x - factor * y for x, y in zip(m[r], m[col], strict=True)]
    return [m[i][n] / m[i][i] for i in range(n)]


def photo(code: Image.Image, conditions: Conditions = Conditions(), fmt: str = "JPEG") -> bytes:
    """A phone-sized photo of ``code`` under ``conditions``, encoded as JPEG or PNG."""
    c = conditions
    rng = random.Random(c.seed)
    scene = _scene(rng)
    w, h = PHONE_SIZE
    target_w = int(w * c.width)
    scaled = code.resize((target_w, max(1, round(code.height * target_w / code.width))),
                         Image.Resampling.BICUBIC)
    scaled = _tilt(ImageOps.expand(scaled, border=8, fill=255), c.tilt)
    # A white label with the code on it, rotated as held in the hand.
    label = scaled.rotate(c.angle, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=255)
    mask = Image.new("L", scaled.size, 255).rotate(c.angle, expand=True)
    x = rng.randint(0, max(0, w - label.width))
    y = rng.randint(0, max(0, h - label.height))
    scene.paste(label, (x, y), mask)
    if c.contrast != 1.0:
        scene = ImageEnhance.Contrast(scene).enhance(c.contrast)
    if c.blur:
        scene = scene.filter(ImageFilter.GaussianBlur(c.blur))
    if c.noise:
        scene = ImageChops.add(scene, grain(rng, c.noise), 1.0, -128)
    out = io.BytesIO()
    rgb = scene.convert("RGB")
    if fmt == "JPEG":
        rgb.save(out, "JPEG", quality=c.jpeg_quality)
    else:
        rgb.save(out, fmt)
    return out.getvalue()


def grain(rng: random.Random, deviation: float, size: tuple[int, int] = PHONE_SIZE) -> Image.Image:
    """Sensor grain centred on 128, from the photo's own seed (Pillow's effect_noise is
    not seeded): uniform noise with the given standard deviation."""
    spread = deviation * 3 ** 0.5 / 127.5
    noise = Image.frombytes("L", size, rng.randbytes(size[0] * size[1]))
    return noise.point(lambda v: 128 + round((v - 127.5) * spread))


def camera_video(code: Image.Image, path: Path, size: tuple[int, int] = (640, 480),
                 frames: int = 3) -> Path:
    """A fake camera's video (YUV4MPEG2, 4:2:0, for Chromium's
    ``--use-file-for-fake-video-capture``): ``code`` held up in front of a white wall,
    a little smaller than the picture; Chromium plays it in a loop."""
    frame = Image.new("L", size, 255)
    code = ImageOps.contain(code, (size[0] * 4 // 5, size[1] * 4 // 5))
    frame.paste(code, ((size[0] - code.width) // 2, (size[1] - code.height) // 2))
    luma, blue, red = frame.convert("RGB").convert("YCbCr").split()
    half = (size[0] // 2, size[1] // 2)
    with path.open("wb") as out:
        out.write(f"YUV4MPEG2 W{size[0]} H{size[1]} F10:1 Ip A1:1 C420jpeg\n".encode())
        for _ in range(frames):
            out.write(b"FRAME\n" + luma.tobytes() + blue.resize(half).tobytes()
                      + red.resize(half).tobytes())
    return path


# The generated set's seed: ``make bench BENCH=scans`` and the regression test read the
# same photos.
GENERATED_SEED = 20261123
SYMBOLOGIES = ("ean13", "upca", "ean8", "qr")


@dataclass(frozen=True)
class GeneratedPhoto:
    """A photo of a code made by ``photo``, and how a decoder's answer to it is scored
    (as the real photos are: tests/support/real_barcodes.py)."""

    symbology: str
    code: str
    conditions: Conditions
    data: bytes

    def score(self, values: list[str] | None) -> str:
        """right (the code read, nothing else), wrong (any other value), unclear
        (``None``: the decoder refused to guess) or missed."""
        if values is None:
            return UNCLEAR
        gtins = {_gtin(v) for v in values}
        if gtins - {_gtin(self.code)}:
            return WRONG
        return RIGHT if gtins else MISSED


def _gtin(value: str) -> str:
    try:
        return normalize(value)
    except ValueError:
        return value


def generated_photos(count: int, seed: int = GENERATED_SEED) -> Iterator[GeneratedPhoto]:
    """``count`` phone photos of random EAN-13, UPC-A, EAN-8 and QR codes (the QR codes
    carry GTINs like shelf tags), each rotated, tilted, blurred, noisy, washed out and
    JPEG-compressed at random; the same photos for the same seed."""
    rng = random.Random(seed)
    for n in range(count):
        symbology = rng.choice(SYMBOLOGIES)
        code = _random_code(rng, symbology)
        conditions = _random_conditions(rng, symbology, n)
        yield GeneratedPhoto(symbology, code, conditions, photo(render(symbology, code), conditions))


def _random_code(rng: random.Random, symbology: str) -> str:
    digits = {"ean13": 12, "upca": 11, "ean8": 7, "qr": 12}[symbology]
    body = "".join(rng.choice("0123456789") for _ in range(digits))
    if symbology == "ean13" and body[0] == "0":
        body = "4" + body[1:]  # with a leading 0 it is a UPC-A code
    return body + str(check_digit(body))


def _random_conditions(rng: random.Random, symbology: str, seed: int) -> Conditions:
    upright = rng.random() < 0.5
    return Conditions(
        width=rng.uniform(0.18, 0.35) if symbology == "qr" else rng.uniform(0.3, 0.6),
        angle=rng.uniform(-20, 20) if upright else rng.uniform(-180, 180),
        tilt=rng.choice([0, 0, 0.06, 0.12]), blur=rng.choice([0, 0, 0.8, 1.5]),
        noise=rng.choice([0, 0, 6, 12]), contrast=rng.choice([1, 1, 0.6, 0.4]),
        jpeg_quality=rng.choice([90, 70, 40, 25]), seed=seed)


# A blurred, washed-out EAN-13 (no noise): one reader
# reads 2315718146321 (its check digit fits), the other the printed 7381718146321, at
# the same spot.
UNCLEAR_EAN13 = "7381718146321"
UNCLEAR_CONDITIONS = Conditions(width=0.4671609231646086, angle=-0.6251748004275086, blur=1.5,
                                contrast=0.4, jpeg_quality=70, seed=87)


def unclear_photo() -> bytes:
    """A photo on which the decoder's readers disagree (``barcode_unclear``)."""
    return photo(render("ean13", UNCLEAR_EAN13), UNCLEAR_CONDITIONS)


def blank_photo() -> bytes:
    """A photo with no code in it (a shelf edge)."""
    image = Image.new("RGB", PHONE_SIZE, (180, 170, 160))
    ImageDraw.Draw(image).rectangle((100, 400, 1180, 460), fill=(90, 80, 70))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue()
