"""Real headless Chromium for page tests: Debian's /usr/bin/chromium driven by
Playwright (Playwright's own browser download does not work on this network)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
# Screenshots the staff guide shows are written here by the browser tests.
GUIDE_IMAGES = Path(__file__).resolve().parents[2] / "staff_guide" / "docs" / "img"


def launch(playwright: Any) -> Any:
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS,
                                      headless=True)
