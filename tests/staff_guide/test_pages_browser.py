"""Every guide page in real headless Chromium: readable on a phone 360 px wide (nothing
wider than the screen, so no sideways scrolling) and free of serious or critical
accessibility violations (axe-core)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser

from tests.staff_guide import guide
from tests.staff_guide.test_build import build
from tests.support.axe import serious_violations

PAGES = sorted(Path(name).stem for name in guide.pages())


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("guide-pages") / "site"
    result = build(path, strict=False)
    assert result.returncode == 0, result.stderr
    return path


@pytest.fixture(scope="module")
def phone(browser: Browser) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True,
                                  has_touch=True, device_scale_factor=2)
    yield context
    context.close()


def test_every_page_is_checked() -> None:
    assert {"index", "register", "floor", "troubleshooting", "card"} <= set(PAGES)


@pytest.mark.parametrize("name", PAGES)
def test_the_page_fits_360_px_and_has_no_serious_violation(built: Path, phone: Any,
                                                           name: str) -> None:
    page = phone.new_page()
    page.goto((built / f"{name}.html").as_uri())
    page.locator("h1").first.wait_for()
    # A phone's page grows to its widest element, so ask which ones pass 360 px.
    wide = page.evaluate("""() => [...document.querySelectorAll('body *')]
        .filter(e => e.getBoundingClientRect().right > 360.5)
        .slice(0, 5).map(e => e.tagName + ' ' + e.textContent.slice(0, 40).trim())""")
    assert wide == []
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert serious_violations(page) == []
    page.close()
