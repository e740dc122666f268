"""The guide shows the real product: every screenshot is written by a browser test (the
cashier panel's, the pages'), and the labels it quotes in «…» are on those screens."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from PIL import Image

from tests.staff_guide import guide

PANEL_STEPS = ["panel-1-ready.png", "panel-2-identified.png", "panel-3-applied.png",
               "panel-4-committed.png", "panel-5-return.png", "panel-error.png",
               "panel-consent-declined.png"]
TESTS = Path(__file__).resolve().parents[1]


def test_the_register_page_shows_every_panel_step() -> None:
    shown = [Path(p).name for p, pages in guide.images().items() if "register.md" in pages]
    assert sorted(n for n in shown if n.startswith("panel-")) == sorted(PANEL_STEPS)


def test_every_image_the_guide_shows_exists() -> None:
    for path, pages in guide.images().items():
        file = guide.DOCS / path
        assert file.is_file(), f"{sorted(pages)} show {path}, which does not exist"
        with Image.open(file) as image:
            image.verify()
        with Image.open(file) as image:
            assert image.width >= 320 and image.height >= 240, f"{path} is too small to read"


def _module(path: Path) -> str:
    return ".".join(path.relative_to(TESTS.parent).with_suffix("").parts)


def browser_writers(name: str) -> list[Path]:
    """Files under tests/ (outside the guide's own tests) that name the screenshot, drive
    Chromium, and are a test module or imported by one."""
    sources = {p: p.read_text() for p in TESTS.rglob("*.py") if "staff_guide" not in p.parts}
    test_modules = [text for p, text in sources.items() if p.name.startswith("test_")]
    return [p for p, text in sources.items()
            if f'"{name}"' in text
            and re.search(r"chromium|playwright|\bbrowser\b", text, re.I)
            and (p.name.startswith("test_") or any(_module(p) in t for t in test_modules))]


def test_every_screenshot_is_taken_by_a_browser_test() -> None:
    for path in guide.images():
        name = Path(path).name
        assert browser_writers(name), f"no browser test under tests/ writes {name}"


CASHIER_PAGES = {"register.md", "card.md"}


def panel_labels() -> set[str]:
    from pos_plugin.labels import LABELS

    return {LABELS[key] for key in guide.panel_label_keys_shown() if key in LABELS}


def test_labels_the_cashier_pages_quote_are_on_the_panel() -> None:
    quoted = {label: pages & CASHIER_PAGES for label, pages in guide.quoted_labels().items()
              if pages & CASHIER_PAGES}
    assert quoted, "the register page quotes no panel label"
    missing = {label: sorted(pages) for label, pages in quoted.items()
               if label not in panel_labels()}
    assert not missing, f"quoted in the guide but not shown by the cashier panel: {missing}"


def test_labels_quoted_elsewhere_are_on_a_page_of_the_product() -> None:
    """Other pages quote the shopper app, the dashboard and the staff help page too."""
    screens = guide.web_page_text()
    missing = {label: sorted(pages) for label, pages in guide.quoted_labels().items()
               if label not in panel_labels() and label not in screens}
    assert not missing, f"quoted in the guide but on no screen of the product: {missing}"


def test_the_practice_code_in_the_guide_is_the_real_one() -> None:
    from rewards_protocol.checkout_code import PRACTICE_CODE

    codes = {span for span in guide.inline_codes() if span.startswith("RWD1:")}
    assert codes == {PRACTICE_CODE}


# Screenshots of the shopper app and the dashboard that the German and Portuguese pages
# show in their own language (mkdocs-static-i18n puts img/NAME.de.png in place of
# img/NAME.png on the German pages), written by tests/pages/test_screenshots_per_language.py
# and tests/pages/test_app_languages.py. The walk-in toast and the assist view's chime are
# still English on every page.
PER_LANGUAGE = ["app-checkout-code.png", "app-consent.png", "app-scan.png",
                "dashboard-adoption.png", "dashboard-assist.png", "dashboard-walk-ins.png"]


@pytest.mark.parametrize("language", ["de", "pt"])
def test_the_app_and_dashboard_screenshots_exist_in_each_language(language: str) -> None:
    shown = {Path(p).name for p in guide.images()}
    assert set(PER_LANGUAGE) <= shown
    for name in PER_LANGUAGE:
        localized = guide.DOCS / "img" / name.replace(".png", f".{language}.png")
        assert localized.is_file(), f"no {localized.name}: run the browser tests"
        with Image.open(localized) as image:
            assert image.width >= 320 and image.height >= 240, f"{localized.name} is too small"
