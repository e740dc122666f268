"""The register page shows the real cashier panel: its screenshots are written by the
panel's browser test, and the labels the guide quotes are the ones the page shows."""

from __future__ import annotations

import re
from pathlib import Path

from PIL import Image

from tests.staff_guide import guide

PANEL_STEPS = ["panel-1-ready.png", "panel-2-identified.png", "panel-3-applied.png",
               "panel-4-committed.png", "panel-error.png"]
TESTS = Path(__file__).resolve().parents[1]


def test_the_register_page_shows_every_panel_step() -> None:
    shown = [Path(p).name for p, pages in guide.images().items() if "register.md" in pages]
    assert sorted(shown) == sorted(PANEL_STEPS)


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
            if f'"{name}"' in text and re.search(r"chromium|playwright", text, re.I)
            and (p.name.startswith("test_") or any(_module(p) in t for t in test_modules))]


def test_panel_screenshots_are_taken_by_a_browser_test() -> None:
    for path in guide.images():
        name = Path(path).name
        if name.startswith("panel-"):
            assert browser_writers(name), f"no browser test under tests/ writes {name}"


def test_labels_the_guide_quotes_are_on_the_panel() -> None:
    from pos_plugin.labels import LABELS

    quoted = guide.quoted_labels()
    assert quoted, "the guide quotes no panel label"
    shown = {LABELS[key] for key in guide.panel_label_keys_shown() if key in LABELS}
    missing = {label: sorted(pages) for label, pages in quoted.items() if label not in shown}
    assert not missing, f"quoted in the guide but not shown by the panel: {missing}"


def test_the_practice_code_in_the_guide_is_the_real_one() -> None:
    from rewards_protocol.checkout_code import PRACTICE_CODE

    codes = {span for span in guide.inline_codes() if span.startswith("RWD1:")}
    assert codes == {PRACTICE_CODE}
