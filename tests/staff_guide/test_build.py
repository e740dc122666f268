"""The guide builds with ``mkdocs build --strict`` and its register card prints on one page
(in the session's shared headless Chromium, the ``browser`` fixture of tests/conftest.py)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from playwright.sync_api import Browser

from tests.staff_guide.guide import CONFIG


def build(site: Path, *, strict: bool) -> subprocess.CompletedProcess[str]:
    args = [sys.executable, "-m", "mkdocs", "build", "-f", str(CONFIG), "-d", str(site)]
    return subprocess.run(args + (["--strict"] if strict else []), capture_output=True,
                          text=True, timeout=60, check=False)


def test_guide_builds_in_strict_mode(tmp_path: Path) -> None:
    result = build(tmp_path / "site", strict=True)
    assert result.returncode == 0, result.stderr
    for page in ["index", "what-it-is", "floor", "register", "troubleshooting", "managers",
                 "privacy", "quiz", "card"]:
        assert (tmp_path / "site" / f"{page}.html").is_file(), page


def test_strict_build_fails_on_a_broken_link(tmp_path: Path) -> None:
    """Guards the guard: a link to a missing anchor must fail the build."""
    copy = tmp_path / "guide"
    shutil.copytree(CONFIG.parent, copy)
    page = copy / "docs" / "index.md"
    page.write_text(page.read_text() + "\nSee [nowhere](register.md#no-such-section).\n")
    args = [sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(copy / "mkdocs.yml"),
            "-d", str(tmp_path / "site")]
    result = subprocess.run(args, capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode != 0
    assert "no-such-section" in result.stderr


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # Not strict: the card's layout is tested even while another page has a warning.
    path = tmp_path_factory.mktemp("guide") / "site"
    result = build(path, strict=False)
    assert result.returncode == 0, result.stderr
    return path


def pdf_pages(pdf: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page\b(?!s)", pdf))


@pytest.mark.parametrize("paper", ["A4", "Letter"])
def test_register_card_prints_on_one_page(site: Path, browser: Browser, paper: str) -> None:
    page = browser.new_page()
    page.goto((site / "card.html").as_uri())
    page.emulate_media(media="print")
    assert page.locator(".quick-card").is_visible()
    assert "scan, apply, ask, complete" in page.locator(".quick-card h2").first.inner_text()
    assert not page.locator(".navbar").is_visible()  # only the card goes on paper
    pdf = page.pdf(format=paper)
    assert pdf.startswith(b"%PDF")
    assert pdf_pages(pdf) == 1
    page.close()


def test_other_pages_print_in_full(site: Path, browser: Browser) -> None:
    """The card's print rules hide the site only around the card, not on other pages."""
    page = browser.new_page()
    page.goto((site / "register.html").as_uri())
    page.emulate_media(media="print")
    assert page.locator("h1").first.is_visible()
    assert pdf_pages(page.pdf(format="A4")) > 1
    page.close()
