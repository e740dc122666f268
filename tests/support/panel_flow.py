"""The cashier's path through the panel in real headless Chromium (Debian's
/usr/bin/chromium driven by Playwright), shared by the browser test and the checkout
benchmark, which both report how many cashier actions a checkout takes: scan, apply
the suggested rewards of both programs, and complete the sale once the shopper agreed
(on their phone, or to the cashier: «Shopper agreed: complete sale»)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pos_plugin.labels import LABELS
from tests.support.browser import GUIDE_IMAGES

SHOTS = GUIDE_IMAGES


@dataclass
class Cashier:
    """Does what a cashier does at the panel and counts it: a scan (the scanner types
    the code and Enter into the focused input) or a click is one action. ``labels``: the
    panel's texts in its language (``shown_labels``), English by default."""

    page: Any
    actions: list[str] = field(default_factory=list)
    labels: dict[str, str] = field(default_factory=lambda: dict(LABELS))

    def scan(self, text: str) -> None:
        self.actions.append(f"scan {text[:5]}...")
        self.page.keyboard.type(text)
        self.page.keyboard.press("Enter")

    def click(self, label: str) -> None:
        self.actions.append(f"click {label!r}")
        self.page.get_by_role("button", name=self.labels[label], exact=True).click()

    def wait_for(self, state: str) -> None:
        self.page.wait_for_selector(f'body[data-state="{state}"]', timeout=15_000)


def shown_labels(page: Any) -> dict[str, str]:
    """The labels the panel page carries, in the language it speaks."""
    return dict(json.loads(page.locator("#labels").text_content()))


def shoot(page: Any, name: str, shots: Path | None, language: str = "en") -> None:
    """A screenshot for the staff guide: ``img/NAME.png`` in English, ``img/NAME.de.png``
    in German (mkdocs-static-i18n shows each language its own)."""
    if shots is not None:
        shots.mkdir(parents=True, exist_ok=True)
        if language != "en":
            name = name.replace(".png", f".{language}.png")
        page.screenshot(path=str(shots / name), full_page=True)


def apply_both_programs(page: Any, panel_url: str, code: str, shots: Path | None = None,
                        language: str = "en") -> Cashier:
    """From a ready panel (basket already sent by the till) to both programs' rewards
    applied; returns the cashier with the actions it took."""
    page.goto(panel_url)
    page.wait_for_selector("#basket:not(:empty)", timeout=15_000)
    shoot(page, "panel-1-ready.png", shots, language)
    cashier = Cashier(page, labels=shown_labels(page))
    cashier.scan(code)
    cashier.wait_for("identified")
    shoot(page, "panel-2-identified.png", shots, language)
    cashier.click("apply_all")
    cashier.wait_for("rewards_applied")
    shoot(page, "panel-3-applied.png", shots, language)
    return cashier


def complete_after_asking(cashier: Cashier) -> None:
    """The cashier asked the shopper, who said yes: one click spends and completes."""
    cashier.click("agreed_commit")
    cashier.wait_for("committed")
