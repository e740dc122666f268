"""The shared real photos (tests/support/real_barcodes.py) as a phone would take them
on a bad day: seeded, realistic troubles, one at a time or two together, for the
decoder's tests and ``make bench BENCH=scans``.

Each trouble is a kind, not a picture: its strength is drawn from a range with a seed
made of the photo's name and the troubles' names, so every run makes the same
uploads. Troubles that aim at the code (glare, a finger, a crop through one end) find
it with zxing-cpp and zbar in the untroubled photo (the middle half when neither reads
it). Uploads are PNG, except after ``jpeg`` (phones' low-quality JPEG) and
``exif-turned`` (pixels stored turned, with the EXIF orientation tag that turns them
upright, as phones store them).
"""

from __future__ import annotations

import io
import itertools
import math
import random
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

import zxingcpp
from PIL import Image, ImageChops, ImageDraw, ImageFilter
from pyzbar import pyzbar

from tests.support.barcodes import grain, perspective_coeffs
from tests.support.real_barcodes import RealPhoto

Box = tuple[float, float, float, float]  # left, top, right, bottom


@dataclass(frozen=True)
class Code:
    """Where the code is in the untroubled photo, and whether its bars run across the
    photo's rows (read left to right, ``along_rows``) or down its columns."""

    box: Box
    along_rows: bool = True


@dataclass
class Shot:
    """A photo on its way to an upload: the picture, where its code is, and how it is
    stored (``jpeg_quality``: JPEG instead of PNG; ``orientation``: an EXIF tag)."""

    image: Image.Image
    code: Code
    rng: random.Random
    jpeg_quality: int | None = None
    orientation: int | None = None


def crop_end(shot: Shot) -> None:
    """A crop that cuts 5-40 % of the code's length off one end (a truncated EAN-13 can
    still hold a run of digits whose check digit fits)."""
    left, top, right, bottom = shot.code.box
    w, h = shot.image.size
    cut = shot.rng.uniform(0.05, 0.4)
    if shot.code.along_rows:
        span = (right - left) * cut
        box = (int(left + span), 0, w, h) if shot.rng.random() < 0.5 else (0, 0, int(right - span), h)
    else:
        span = (bottom - top) * cut
        box = (0, int(top + span), w, h) if shot.rng.random() < 0.5 else (0, 0, w, int(bottom - span))
    shot.image = shot.image.crop(box)


def finger(shot: Shot) -> None:
    """A fingertip from above or below the code, over 40-100 % of the bars' height and
    25-50 % of the code's length (a finger is 15-20 mm wide, an EAN-13 code 37 mm),
    somewhere along it, soft-edged and skin-coloured."""
    rng = shot.rng
    left, top, right, bottom = shot.code.box
    if not shot.code.along_rows:  # work in the code's own frame: length along x
        left, top, right, bottom = top, left, bottom, right
    length, height = right - left, bottom - top
    width = length * rng.uniform(0.25, 0.5)
    centre = left + length * rng.uniform(0.1, 0.9)
    reach = height * rng.uniform(0.4, 1.0)
    if rng.random() < 0.5:  # from above: the tip reaches down into the code
        ellipse = (centre - width / 2, top - 3 * height, centre + width / 2, top + reach)
    else:
        ellipse = (centre - width / 2, bottom - reach, centre + width / 2, bottom + 3 * height)
    if not shot.code.along_rows:
        ellipse = (ellipse[1], ellipse[0], ellipse[3], ellipse[2])
    mask = Image.new("L", shot.image.size, 0)
    ImageDraw.Draw(mask).ellipse(ellipse, fill=255)
    mask = mask.filter(ImageFilter.GaussianBlur(max(1.0, width / 12)))
    shade = rng.uniform(0.6, 1.0)
    skin = tuple(round(c * shade) for c in (224, 172, 140))
    shot.image = Image.composite(Image.new("RGB", shot.image.size, skin), shot.image, mask)


def glare(shot: Shot) -> None:
    """A bright elliptical highlight on the code (a glossy pack under a shop light),
    20-60 % of its length wide, brightening by 120-255 and clipped at white."""
    rng = shot.rng
    left, top, right, bottom = shot.code.box
    size = max(right - left, bottom - top) * rng.uniform(0.2, 0.6)
    cx, cy = rng.uniform(left, right), rng.uniform(top, bottom)
    rx, ry = size / 2, size / 2 * rng.uniform(0.3, 0.8)
    if rng.random() < 0.5:
        rx, ry = ry, rx
    light = Image.new("L", shot.image.size, 0)
    ImageDraw.Draw(light).ellipse((cx - rx, cy - ry, cx + rx, cy + ry), fill=rng.randint(120, 255))
    light = light.filter(ImageFilter.GaussianBlur(max(1.0, size / 8)))
    shot.image = ImageChops.add(shot.image, Image.merge("RGB", [light] * 3))


def tilt(shot: Shot) -> None:
    """Perspective: the pack held at a slant, one edge of the photo 10-30 % shorter
    than the opposite one (which edge at random)."""
    w, h = shot.image.size
    shrink = shot.rng.uniform(0.05, 0.15)
    quad = [(0, 0), (w, 0), (w, h), (0, h)]
    side = shot.rng.randrange(4)
    # The far edge's two corners move towards each other.
    a, b = quad[side], quad[(side + 1) % 4]
    quad[side] = (a[0] + (b[0] - a[0]) * shrink, a[1] + (b[1] - a[1]) * shrink)
    quad[(side + 1) % 4] = (b[0] + (a[0] - b[0]) * shrink, b[1] + (a[1] - b[1]) * shrink)
    coeffs = perspective_coeffs(quad, [(0, 0), (w, 0), (w, h), (0, h)])
    shot.image = shot.image.transform((w, h), Image.Transform.PERSPECTIVE, coeffs,
                                      Image.Resampling.BICUBIC, fillcolor=_ground(shot.image))


def rotate(shot: Shot) -> None:
    """The phone held askew: turned 8-35 degrees either way."""
    angle = shot.rng.uniform(8, 35) * shot.rng.choice([-1, 1])
    shot.image = shot.image.rotate(angle, resample=Image.Resampling.BICUBIC, expand=True,
                                   fillcolor=_ground(shot.image))


def focus_blur(shot: Shot) -> None:
    """Out of focus: a Gaussian blur of 0.2-0.6 % of the photo's long side."""
    radius = max(shot.image.size) * shot.rng.uniform(0.002, 0.006)
    shot.image = shot.image.filter(ImageFilter.GaussianBlur(radius))


def motion_blur(shot: Shot) -> None:
    """A shaking hand: the picture smeared along a line of 0.6-1.6 % of the photo's long
    side, in any direction (the mean of copies shifted along it)."""
    length = max(shot.image.size) * shot.rng.uniform(0.006, 0.016)
    angle = math.radians(shot.rng.uniform(0, 180))
    steps = max(2, math.ceil(length) + 1)
    smeared = shot.image
    for i in range(1, steps):
        t = (i / (steps - 1) - 0.5) * length
        dx, dy = t * math.cos(angle), t * math.sin(angle)
        shifted = shot.image.transform(shot.image.size, Image.Transform.AFFINE, (1, 0, dx, 0, 1, dy),
                                       Image.Resampling.BILINEAR)
        smeared = Image.blend(smeared, shifted, 1 / (i + 1))
    shot.image = smeared


def dark(shot: Shot) -> None:
    """Under-exposed: every pixel 30-55 % as bright."""
    gain = shot.rng.uniform(0.3, 0.55)
    shot.image = shot.image.point(lambda v: round(v * gain))


def bright(shot: Shot) -> None:
    """Over-exposed: every pixel 1.5-2.2 times as bright, clipped at white."""
    gain = shot.rng.uniform(1.5, 2.2)
    shot.image = shot.image.point(lambda v: min(255, round(v * gain)))


def noise(shot: Shot) -> None:
    """Sensor noise in every colour, a standard deviation of 6-16 grey levels (uniform
    noise, seeded)."""
    deviation = shot.rng.uniform(6, 16)
    grains = [grain(shot.rng, deviation, shot.image.size) for _ in range(3)]
    shot.image = ImageChops.add(shot.image, Image.merge("RGB", grains), 1.0, -128)


def low_resolution(shot: Shot) -> None:
    """A small picture: the long side brought down to 240-480 pixels, and always to at
    most 60-85 % of what it was (most shared photos are smaller than 480 already)."""
    side = max(shot.image.size)
    factor = min(shot.rng.uniform(240, 480) / side, shot.rng.uniform(0.6, 0.85))
    shot.image = shot.image.resize((max(1, round(shot.image.width * factor)),
                                    max(1, round(shot.image.height * factor))),
                                   Image.Resampling.BILINEAR)


# Pillow's transposition that stores an upright picture so that an EXIF orientation
# tag turns it back: 3 is "turn 180 degrees", 6 "turn 90 clockwise", 8 "90 anticlockwise".
_STORED_FOR = {3: Image.Transpose.ROTATE_180, 6: Image.Transpose.ROTATE_90,
               8: Image.Transpose.ROTATE_270}


def turned(shot: Shot) -> None:
    """The phone held sideways or upside down, with no EXIF tag: the picture itself is
    turned 90, 180 or 270 degrees."""
    shot.image = shot.image.transpose(_STORED_FOR[shot.rng.choice(sorted(_STORED_FOR))])


def exif_turned(shot: Shot) -> None:
    """The phone held sideways or upside down, as phones store it: the pixels turned,
    with the EXIF orientation tag (3, 6 or 8) that turns them upright."""
    shot.orientation = shot.rng.choice(sorted(_STORED_FOR))
    shot.image = shot.image.transpose(_STORED_FOR[shot.orientation])


def jpeg(shot: Shot) -> None:
    """Stored as JPEG at quality 40-70."""
    shot.jpeg_quality = shot.rng.randint(40, 70)


Trouble = Callable[[Shot], None]
# Every trouble, in the order they happen when two meet: those aimed at the code
# first (its place is known in the untroubled photo), then the geometry, the lens, the
# light, the sensor, the storage. Troubles in one group are never paired (a photo is
# not both dark and bright).
GROUPS: list[dict[str, Trouble]] = [
    {"crop-end": crop_end}, {"finger": finger}, {"glare": glare},
    {"tilt": tilt}, {"rotate": rotate}, {"focus-blur": focus_blur}, {"motion-blur": motion_blur},
    {"dark": dark, "bright": bright}, {"noise": noise}, {"low-resolution": low_resolution},
    {"turned": turned, "exif-turned": exif_turned}, {"jpeg": jpeg},
]
TROUBLES: dict[str, Trouble] = {name: t for group in GROUPS for name, t in group.items()}
_GROUP_OF = {name: i for i, group in enumerate(GROUPS) for name in group}
PAIRS: list[tuple[str, str]] = [(a, b) for a, b in itertools.combinations(TROUBLES, 2)
                                if _GROUP_OF[a] != _GROUP_OF[b]]


@dataclass(frozen=True)
class TroubledPhoto:
    """A shared real photo under ``troubles`` (in ``TROUBLES`` order), as uploaded."""

    photo: RealPhoto
    troubles: tuple[str, ...]
    data: bytes

    @property
    def name(self) -> str:
        return f"{self.photo.name} {'+'.join(self.troubles)}"

    def score(self, values: list[str] | None) -> str:
        """As the photo scores it (tests/support/real_barcodes.py)."""
        return self.photo.score(values)


def troubled(photo: RealPhoto, troubles: Iterable[str], seed: int = 0,
             code: Code | None = None) -> TroubledPhoto:
    """``photo`` under ``troubles``; the same upload for the same photo, troubles and
    seed (``code``: where the code is, when already found by ``find_code``)."""
    names = tuple(sorted(troubles, key=list(TROUBLES).index))
    original = photo.path.read_bytes()
    image = _rgb(Image.open(io.BytesIO(original)))
    shot = Shot(image, code or find_code(image, photo.value),
                random.Random(f"{seed}:{photo.name}:{'+'.join(names)}"))
    for name in names:
        TROUBLES[name](shot)
    return TroubledPhoto(photo, names, _upload(shot))


def troubled_photos(photos: Iterable[RealPhoto], pairs_per_photo: int, seed: int = 0,
                    singles: Iterable[str] = TROUBLES) -> Iterator[TroubledPhoto]:
    """Every photo under each of ``singles`` alone, then under ``pairs_per_photo``
    pairs of troubles drawn (seeded) from ``PAIRS``."""
    chosen = list(singles)
    for photo in photos:
        code = find_code(_rgb(Image.open(photo.path)), photo.value)
        pairs = random.Random(f"{seed}:{photo.name}:pairs").sample(PAIRS, pairs_per_photo)
        for troubles in [(name,) for name in chosen] + pairs:
            yield troubled(photo, troubles, seed, code)


def find_code(image: Image.Image, value: str) -> Code:
    """Where the code carrying ``value`` is: zxing-cpp's or zbar's outline of it in the
    photo; the middle half of the photo when neither reads it."""
    grey = image.convert("L")
    for found in zxingcpp.read_barcodes(grey):
        if _same(found.text, value):
            p = found.position
            points = [(c.x, c.y) for c in (p.top_left, p.top_right, p.bottom_right, p.bottom_left)]
            dx, dy = p.top_right.x - p.top_left.x, p.top_right.y - p.top_left.y
            return _whole(_bounds(points), abs(dx) >= abs(dy))
    for symbol in pyzbar.decode(grey):
        if _same(symbol.data.decode("utf-8", "replace"), value):
            return _whole(_bounds([(c.x, c.y) for c in symbol.polygon]),
                          symbol.orientation in (None, "UP", "DOWN"))
    w, h = image.size
    return Code((w / 4, h / 4, 3 * w / 4, 3 * h / 4))


def _whole(box: Box, along_rows: bool) -> Code:
    """A reader's outline of a barcode can be the one line it read along: the code's
    bars are at least half as tall as the code is long."""
    left, top, right, bottom = box
    if not along_rows:
        left, top, right, bottom = top, left, bottom, right
    half = max(bottom - top, (right - left) / 2) / 2
    top, bottom = (top + bottom) / 2 - half, (top + bottom) / 2 + half
    return Code((left, top, right, bottom) if along_rows else (top, left, bottom, right), along_rows)


def _same(read: str, value: str) -> bool:
    # A UPC-A code is read as 12 digits or as an EAN-13 with a leading 0.
    return read.lstrip("0") == value.lstrip("0") if read.isdigit() else read == value


def _bounds(points: list[tuple[float, float]]) -> Box:
    xs, ys = [x for x, _ in points], [y for _, y in points]
    return min(xs), min(ys), max(xs), max(ys)


def _rgb(image: Image.Image) -> Image.Image:
    return (image.convert("RGBA") if image.mode == "P" else image).convert("RGB")


def _ground(image: Image.Image) -> tuple[int, ...]:
    """The photo's mean colour, for the corners a turn or a tilt uncovers."""
    return tuple(round(sum(i * n for i, n in enumerate(band.histogram())) / (image.width * image.height))
                 for band in image.split())


def _upload(shot: Shot) -> bytes:
    out = io.BytesIO()
    exif = Image.Exif()
    if shot.orientation:
        exif[0x0112] = shot.orientation  # Orientation
    if shot.jpeg_quality or shot.orientation:
        shot.image.save(out, "JPEG", quality=shot.jpeg_quality or 92, exif=exif.tobytes())
    else:
        shot.image.save(out, "PNG", compress_level=1)  # fast; the pixels are the same
    return out.getvalue()
