"""Sign-in attempts (the throttle), one-time codes and challenges, passkeys."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Index, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from rewards_api import clock
from rewards_api.db import Base, BigIntId, intpk


class SignInAttempt(Base):
    """How many sign-in or identification attempts one key made in one window. In the
    database, so that every web process on every host counts the same attempts. The key
    names a client (address or register) or a target account, never in plain text."""

    __tablename__ = "sign_in_attempts"

    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    window_start: Mapped[dt.datetime] = mapped_column(primary_key=True, index=True)
    attempts: Mapped[int] = mapped_column(default=0)


class OneTimeSecret(Base):
    """A code sent by e-mail or a WebAuthn challenge: short-lived, used once, and only
    its keyed digest is stored (``purpose`` says which of the four kinds it is)."""

    __tablename__ = "one_time_secrets"
    __table_args__ = (Index("ix_one_time_secrets_purpose_target", "purpose", "target"),)

    id: Mapped[intpk]
    purpose: Mapped[str] = mapped_column(String(20))
    # Digest of the e-mail address or challenge the secret is for.
    target: Mapped[str] = mapped_column(String(64))
    shopper_id: Mapped[int | None] = mapped_column(BigIntId, ForeignKey("shoppers.id"))
    # The address being verified (purpose "add_email" only).
    email: Mapped[str | None] = mapped_column(String(254))
    secret_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(default=clock.now)
    expires_at: Mapped[dt.datetime] = mapped_column(index=True)
    used_at: Mapped[dt.datetime | None]


class Passkey(Base):
    """A WebAuthn credential a shopper registered from the app."""

    __tablename__ = "passkeys"

    id: Mapped[intpk]
    shopper_id: Mapped[int] = mapped_column(BigIntId, ForeignKey("shoppers.id"), index=True)
    credential_id: Mapped[bytes] = mapped_column(LargeBinary(1023), unique=True)
    public_key: Mapped[bytes] = mapped_column(LargeBinary(2048))
    sign_count: Mapped[int] = mapped_column(BigIntId, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(default=clock.now)
    last_used_at: Mapped[dt.datetime | None]
