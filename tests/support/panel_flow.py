"""The cashier's path through the panel in real headless Chromium (Debian's
/usr/bin/chromium driven by Playwright), shared by the browser test and the checkout
benchmark, which both report how many cashier actions a checkout takes: scan, apply
the suggested rewards of both programs, and complete the sale once the shopper agreed
(on their phone, or to the cashier: «Shopper agreed: complete sale»)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pos_plugin.labels import LABELS
from tests.support.browser import GUIDE_IMAGES

SHOTS = GUIDE_IMAGES


@dataclass
class Cashier:
    """Does what a cashier does at the panel and counts it: a scan (the scanner types
    the code and Enter into the focused input) or a click is one action."""

    page: Any
    actions: list[str] = field(default_factory=list)

    def scan(self, text: str) -> None:
        self.actions.append(f"scan {text[:5]}...")
        self.page.keyboard.type(text)
        self.page.keyboard.press("Enter")

    def click(self, label: str) -> None:
        self.actions.append(f"click {label!r}")
        self.page.get_by_role("button", name=LABELS[label], exact=True).click()

    def wait_for(self, state: str) -> None:
        self.page.wait_for_selector(f'body[data-state="{state}"]', timeout=15_000)


def shoot(page: Any, name: str, shots: Path | None) -> None:
    if shots is not None:
        shots.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(shots / name), full_page=True)


def apply_both_programs(page: Any, panel_url: str, code: str, shots: Path | None = None
                        ) -> Cashier:
    """From a ready panel (basket already sent by the till) to both programs' rewards
    applied; returns the cashier with the actions it took."""
    page.goto(panel_url)
    page.wait_for_selector("#basket:not(:empty)", timeout=15_000)
    shoot(page, "panel-1-ready.png", shots)
    cashier = Cashier(page)
    cashier.scan(code)
    cashier.wait_for("identified")
    shoot(page, "panel-2-identified.png", shots)
    cashier.click("apply_all")
    cashier.wait_for("rewards_applied")
    shoot(page, "panel-3-applied.png", shots)
    return cashier


def complete_after_asking(cashier: Cashier) -> None:
    """The cashier asked the shopper, who said yes: one click spends and completes."""
    cashier.click("agreed_commit")
    cashier.wait_for("committed")
