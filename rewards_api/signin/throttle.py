"""The sign-in throttle: every sign-in or identification attempt is counted per client
(address, or the register's key) and per target account, in the database.

One rule for every door into an account (checkout-code login, e-mailed codes, passkeys,
identification at the register, and sign-up, which tells that a phone is taken): past the limit of a window the answer is 429
``too_many_attempts`` with ``Retry-After``, so that codes, phone numbers and membership
numbers cannot be guessed at full speed, from one web process or from many.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from flask import current_app, g, request
from sqlalchemy import bindparam, delete, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from rewards_api import db
from rewards_api.clock import now
from rewards_api.db import rows_changed
from rewards_api.errors import ApiError
from rewards_api.signin.models import SignInAttempt


@dataclass(frozen=True)
class Limit:
    name: str
    setting: str  # the config value: attempts allowed per window
    window: dt.timedelta


# A person types a code a few times a minute; a script tries thousands.
PER_CLIENT = Limit("client", "SIGN_IN_ATTEMPTS_PER_CLIENT", dt.timedelta(minutes=1))
# An account is tried a handful of times when its owner fumbles; more is someone guessing.
PER_ACCOUNT = Limit("account", "SIGN_IN_ATTEMPTS_PER_ACCOUNT", dt.timedelta(minutes=15))
LONGEST_WINDOW = max(PER_CLIENT.window, PER_ACCOUNT.window)

_TABLE = SignInAttempt.__table__
_COUNT = {
    dialect.dialect.name: dialect.insert(_TABLE)
    .values(key=bindparam("key"), window_start=bindparam("window_start"), attempts=1)
    .on_conflict_do_update(index_elements=["key", "window_start"],
                           set_={"attempts": _TABLE.c.attempts + 1})
    .returning(_TABLE.c.attempts)
    for dialect in (postgresql, sqlite)
}
_UNCOUNT = (update(SignInAttempt)
            .where(SignInAttempt.key == bindparam("k"), SignInAttempt.window_start == bindparam("w"))
            .values(attempts=SignInAttempt.attempts - 1))


def _window_start(at: dt.datetime, window: dt.timedelta) -> dt.datetime:
    seconds = int(window.total_seconds())
    return dt.datetime.fromtimestamp(int(at.timestamp()) // seconds * seconds, dt.UTC)


def _key(limit: Limit, what: str) -> str:
    # Only a digest: the table must not become a list of phone numbers or addresses.
    return f"{limit.name}:{hashlib.sha256(what.encode()).hexdigest()[:64]}"


def _ordered(keys: Iterable[tuple[Limit, str]]) -> list[tuple[Limit, str]]:
    # One order for every attempt, so that concurrent ones never wait crosswise.
    return sorted(set(keys), key=lambda k: (k[0].name, k[1]))


def count_attempt(s: Session, keys: Iterable[tuple[Limit, str]], at: dt.datetime) -> int:
    """Count one attempt under every key; returns the seconds to wait when any key is
    over its limit (0 when none is). On PostgreSQL the counted rows stay locked until
    the transaction ends, so concurrent attempts of one key are counted one by one."""
    connection = s.connection()
    wait = 0
    for limit, what in _ordered(keys):
        start = _window_start(at, limit.window)
        attempts = int(connection.execute(_COUNT[connection.dialect.name], {
            "key": _key(limit, what), "window_start": start}).scalar_one())
        if attempts > current_app.config[limit.setting]:
            wait = max(wait, int((start + limit.window - at).total_seconds()) + 1)
    return wait


def uncount_attempt(s: Session, keys: Iterable[tuple[Limit, str]], at: dt.datetime) -> None:
    """Take back an attempt counted in this transaction: it succeeded."""
    s.connection().execute(_UNCOUNT, [{"k": _key(limit, what),
                                       "w": _window_start(at, limit.window)}
                                      for limit, what in _ordered(keys)])


def clients() -> list[str]:
    """Who is trying: the address the request came from and, when signed in, the
    register's or shopper's key (several registers may share a store's address)."""
    principal = getattr(g, "principal", None)
    return [f"address:{request.remote_addr}"] + ([principal] if principal else [])


def throttled(targets: Callable[[dict[str, Any]], Iterable[str]], *,
              successes_count: bool = False,
              failures: frozenset[str] | None = None) -> Callable[..., Any]:
    """Count the failed attempts of the wrapped view per client and per target account
    (``targets(json_data)`` names them, e.g. ``["shopper:ABC..."]``); with
    ``successes_count`` every attempt counts (requests that send mail). ``failures``
    names the error codes that count as a failed attempt (None: every refusal).

    Each attempt is counted first, in the request's transaction (that is what makes
    concurrent guesses wait their turn), and taken back when it succeeds. A refused
    attempt's transaction is rolled back, so its count is written again on its own
    afterwards. Put it right above the view, below ``@bp.input``."""

    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            s, at = db.session(), now()
            keys = [(PER_CLIENT, who) for who in clients()]
            keys += [(PER_ACCOUNT, t) for t in targets(kwargs.get("json_data") or {})]
            try:
                wait = count_attempt(s, keys, at)
                if wait:
                    raise ApiError("too_many_attempts", headers={"Retry-After": str(wait)},
                                   details={"retry_after_seconds": wait})
                answer = view(*args, **kwargs)
                if not successes_count:
                    uncount_attempt(s, keys, at)
                return answer
            except ApiError as refusal:
                if failures is None or refusal.code in failures | {"too_many_attempts"}:
                    db.after_refusal(s, lambda s: count_attempt(s, keys, at))
                raise

        return wrapper

    return decorator


def purge_attempts(s: Session, at: dt.datetime) -> int:
    """Forget the counts of windows that are over (``rewards-api purge``)."""
    return rows_changed(s.execute(delete(SignInAttempt)
                                  .where(SignInAttempt.window_start < at - LONGEST_WINDOW)))
