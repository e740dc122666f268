"""Sending e-mail: one function, SMTP from the settings (``SMTP_HOST``, ``SMTP_PORT``,
``MAIL_FROM``). The demo and the tests run a local SMTP sink (aiosmtpd)."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage

from flask import current_app

from rewards_api import i18n
from rewards_api.errors import ApiError

# A mail server that does not answer must not hold a web worker for long.
SMTP_TIMEOUT_SECONDS = 10


def send(to: str, subject: str, body: str) -> None:
    """Hand one plain-text message to the mail server; ``service_unavailable`` when it
    cannot be reached or refuses it. The text is in the language being spoken
    (rewards_api.i18n), which the message declares."""
    message = EmailMessage()
    message["From"] = current_app.config["MAIL_FROM"]
    message["To"] = to
    message["Subject"] = subject
    message.set_content(body)
    message["Content-Language"] = i18n.current()  # after set_content, which clears Content-*
    try:
        with smtplib.SMTP(current_app.config["SMTP_HOST"], current_app.config["SMTP_PORT"],
                          timeout=SMTP_TIMEOUT_SECONDS) as smtp:
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as exc:
        raise ApiError("service_unavailable",
                       "The e-mail could not be sent; try again in a moment.") from exc
