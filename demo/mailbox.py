"""The demo's mail server: a local SMTP sink (aiosmtpd) that prints every message the
API sends (sign-in codes) to the demo's terminal and keeps it as ``VAR/mail/*.eml``.
Nothing leaves the machine."""

from __future__ import annotations

import email
import itertools
from email.policy import default
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller


class Mailbox:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self.numbers = itertools.count(len(list(folder.glob("*.eml"))) + 1)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        path = self.folder / f"{next(self.numbers):04d}.eml"
        path.write_bytes(envelope.content)
        message = email.message_from_bytes(envelope.content, policy=default)
        print(f"demo mail to {message['To']}: {message['Subject']}  ({path})", flush=True)
        return "250 OK"


def start(folder: Path, port: int) -> Controller:
    """Listen on 127.0.0.1:``port`` until ``.stop()``."""
    controller = Controller(Mailbox(folder), hostname="127.0.0.1", port=port)
    controller.start()
    return controller
