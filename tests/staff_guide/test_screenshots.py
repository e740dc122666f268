"""The register page shows the real cashier panel: its screenshots come from the browser test."""

from __future__ import annotations

import re
from pathlib import Path

from PIL import Image

from tests.staff_guide import guide

PANEL_STEPS = ["panel-1-ready.png", "panel-2-identified.png", "panel-3-applied.png",
               "panel-4-committed.png", "panel-error.png"]
TESTS = Path(__file__).resolve().parents[1]


def test_the_register_page_shows_every_panel_step() -> None:
    shown = {Path(p).name for p, pages in guide.images().items() if "register.md" in pages}
    assert set(PANEL_STEPS) <= shown


def test_every_image_the_guide_shows_exists() -> None:
    for path, pages in guide.images().items():
        file = guide.DOCS / path
        assert file.is_file(), f"{sorted(pages)} show {path}, which does not exist"
        with Image.open(file) as image:
            image.verify()
        with Image.open(file) as image:
            assert image.width >= 320 and image.height >= 240, f"{path} is too small to read"


def browser_test_sources() -> dict[Path, str]:
    """Test modules outside the guide's own tests that drive a real browser."""
    sources = {}
    for path in TESTS.rglob("test_*.py"):
        text = path.read_text()
        if "staff_guide" not in path.parts and "playwright" in text:
            sources[path] = text
    return sources


def test_panel_screenshots_are_taken_by_a_browser_test() -> None:
    sources = browser_test_sources()
    for path in guide.images():
        name = Path(path).name
        if not re.match(r"panel-.*\.png$", name):
            continue
        writers = [p for p, text in sources.items() if name in text]
        assert writers, f"no browser test under tests/ writes {name}"
