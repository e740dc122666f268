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


def launch(playwright: Any, camera_video: Path | None = None) -> Any:
    """Headless Chromium; with ``camera_video`` (a .y4m or .mjpeg file) it has a fake
    camera that films that video, and grants pages the camera without asking."""
    args = list(CHROMIUM_ARGS)
    if camera_video is not None:
        args += ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
                 f"--use-file-for-fake-video-capture={camera_video}"]
    return playwright.chromium.launch(executable_path=CHROMIUM, args=args, headless=True)
