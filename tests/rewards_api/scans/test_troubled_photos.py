"""The decoder on shared real photos under phone troubles (tests/support/phone_troubles.py):
never a wrong value, whatever the trouble.

The photos are the first two of every folder (by number: one of the tuning half, one
held out), the same for every trouble, whether they read or not; ``make bench
BENCH=scans`` puts every photo through every trouble and pairs of them.
"""

from __future__ import annotations

import itertools

import pytest

from rewards_api.scans import decoder
from tests.support.phone_troubles import TROUBLES, troubled
from tests.support.real_barcodes import WRONG, folders, photos

PHOTOS = [photo for folder in folders() for photo in itertools.islice(photos(folder), 2)]
# Pairs that make wrong reads likely: a cut or covered end with the troubles that blur
# what is left of the bars.
RISKY_PAIRS = [("crop-end", "low-resolution"), ("crop-end", "jpeg"), ("finger", "motion-blur"),
         ("glare", "focus-blur"), ("tilt", "noise"), ("rotate", "dark")]


def _values(data: bytes) -> list[str] | None:
    try:
        return [read.value for read in decoder.decode(data)]
    except decoder.UnclearBarcode:
        return None


@pytest.mark.parametrize("troubles", [(name,) for name in TROUBLES] + RISKY_PAIRS, ids="+".join)
def test_no_wrong_value_under_a_trouble(troubles):
    uploads = [troubled(photo, troubles) for photo in PHOTOS]
    assert [u.name for u in uploads if u.score(_values(u.data)) == WRONG] == []


def test_a_troubled_photo_is_the_same_every_run():
    photo = PHOTOS[0]
    assert troubled(photo, ("noise", "crop-end")) == troubled(photo, ("crop-end", "noise"))
    assert troubled(photo, ("noise",)).data != troubled(photo, ("noise",), seed=1).data
