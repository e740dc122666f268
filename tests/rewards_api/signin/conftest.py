from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.mail import Inbox, smtp_sink


@pytest.fixture
def inbox(app) -> Iterator[Inbox]:
    """The app's mail goes to a real SMTP server on localhost; read it here."""
    with smtp_sink() as sink:
        app.config.update(SMTP_HOST=sink.host, SMTP_PORT=sink.port)
        yield sink
