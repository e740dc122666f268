"""The shared real photos of barcodes (``shared/data/real-barcodes`` beside the project's
folder, read in place) and how a decoder's answer to one of them is scored; used by
the tests and by ``make bench BENCH=scans``.

Split: photos with an odd number (``1.png``, ``03.png``...) were used to tune the
decoder, photos with an even number are held out; the benchmark reports both halves.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from rewards_api.products.gtin import normalize

# The project's folder is /x/<checkout>; the shared data sits at /x/shared (in every
# worktree and in CI's clone alike).
REAL_BARCODES = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "real-barcodes"

# The book photographed in ean13-2 (13.png to 28.png) carries two EAN-13 codes one
# above the other: its ISBN and a Japanese price code. Each photo's .txt names one;
# a read of the other is a code that is in the photo, not a wrong value.
PRINTED_TOGETHER = [frozenset({"9784872348880", "1920081045006"})]

RIGHT, WRONG, UNCLEAR, MISSED = "right", "wrong", "unclear", "missed"


@dataclass(frozen=True)
class RealPhoto:
    folder: str
    path: Path
    value: str

    @property
    def held_out(self) -> bool:
        return int(re.sub(r"\D", "", self.path.stem)) % 2 == 0

    @property
    def name(self) -> str:
        return f"{self.folder}/{self.path.name}"

    def score(self, values: list[str] | None) -> str:
        """RIGHT (the photo's value read, nothing else), WRONG (any value that is not in
        the photo), UNCLEAR (``None``: the decoder refused to guess) or MISSED."""
        if values is None:
            return UNCLEAR
        truth = _same(self.value)
        together = next((set(p) for p in PRINTED_TOGETHER if self.value in p), {self.value})
        if any(_same(v) not in {_same(t) for t in together} for v in values):
            return WRONG
        return RIGHT if truth in {_same(v) for v in values} else MISSED


def _same(text: str) -> str:
    """One form per value: GTINs as 14 digits (UPC-A = EAN-13 with a leading 0); QR text
    with CR LF line ends as LF (the .txt files store LF)."""
    try:
        return normalize(text)
    except ValueError:
        return text.replace("\r\n", "\n")


def folders() -> list[str]:
    return sorted(p.name for p in REAL_BARCODES.iterdir() if p.is_dir())


def photos(folder: str | None = None) -> Iterator[RealPhoto]:
    """Every photo with its value, in folder and number order."""
    for name in [folder] if folder else folders():
        paths = sorted((REAL_BARCODES / name).glob("*.png"),
                       key=lambda p: int(re.sub(r"\D", "", p.stem)))
        for path in paths:
            yield RealPhoto(name, path, path.with_suffix(".txt").read_text(encoding="utf-8"))
