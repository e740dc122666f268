"""GTIN check digits and the one canonical form."""

from __future__ import annotations

import pytest

from rewards_api.products import gtin


def test_upca_and_its_ean13_form_are_the_same_gtin():
    assert gtin.normalize("036000291452", "upca") == gtin.normalize("0036000291452", "ean13")
    assert gtin.normalize("036000291452") == "00036000291452"


def test_ean8_keeps_its_own_gtin_and_displays_as_printed():
    assert gtin.normalize("96385074", "ean8") == "00000096385074"
    assert gtin.display("00000096385074") == "96385074"
    assert gtin.display("00036000291452") == "0036000291452"
    assert gtin.display("04006381333931") == "4006381333931"


@pytest.mark.parametrize("code", ["4006381333932", "036000291453", "96385075"])
def test_wrong_check_digit(code):
    with pytest.raises(gtin.BadCheckDigit):
        gtin.normalize(code)


@pytest.mark.parametrize(("code", "symbology"), [
    ("036000291452", "ean13"), ("4006381333931", "ean8"), ("40063813339a", None),
    ("１２３４５６７８", None), ("123", "qr"),
])
def test_not_a_gtin(code, symbology):
    with pytest.raises(gtin.NotAGtin):
        gtin.normalize(code, symbology)


def test_a_shelf_tag_qr_may_carry_any_gtin_length():
    for code in ["96385074", "036000291452", "4006381333931", "04006381333931"]:
        assert gtin.normalize(code, "qr") == code.zfill(14)
