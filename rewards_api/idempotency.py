"""``Idempotency-Key`` for every mutating request.

The key is claimed by inserting a row *before* the effect, inside the same
transaction. A concurrent retry's insert waits on that row (PostgreSQL's unique index,
SQLite's write lock) and then fails, after which it reads the stored answer. So one
key has one effect, and every retry gets the same status and body. Error answers are
not stored: their transaction is rolled back, so they had no effect to protect.

A stored answer is replayed only to the caller that caused it, so only a signed-in
caller's answer is kept (scoped by ``g.principal``), and never one that carries a
credential (a token, a secret): those are kept out of the database altogether. Such a
key is still claimed, so the request has one effect; a retry is told
``idempotency_answer_not_kept`` and does it again under a new key.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
from collections.abc import Callable
from typing import Any, cast

from flask import Response, g, make_response, request
from sqlalchemy import String, Table, Text, bindparam, delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from rewards_api import clock, db
from rewards_api.db import Base
from rewards_api.errors import ApiError

MAX_KEY_LENGTH = 200


class IdempotencyRecord(Base):
    __tablename__ = "idempotency_records"

    # Keys are per caller: the same key from two callers is two requests.
    scope: Mapped[str] = mapped_column(String(60), primary_key=True)
    key: Mapped[str] = mapped_column(String(MAX_KEY_LENGTH), primary_key=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[int | None]
    body: Mapped[str | None] = mapped_column(Text)
    content_type: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[dt.datetime] = mapped_column(default=clock.now, index=True)


# Built once: every mutating request runs both.
_RECORDS = cast(Table, IdempotencyRecord.__table__)
_CLAIM = _RECORDS.insert().values(scope=bindparam("claim_scope"), key=bindparam("claim_key"))
_ANSWER = _RECORDS.update().where(_RECORDS.c.scope == bindparam("claim_scope"),
                                  _RECORDS.c.key == bindparam("claim_key"))


def _request_hash() -> str:
    digest = hashlib.sha256()
    digest.update(request.method.encode() + b"\n" + request.path.encode() + b"\n")
    digest.update(request.get_data(cache=True))
    return digest.hexdigest()


def _replay(record: IdempotencyRecord, request_hash: str) -> Response:
    if record.request_hash != request_hash:
        raise ApiError("idempotency_key_reused")
    if record.status is None:
        raise ApiError("idempotency_answer_not_kept")
    response = make_response(record.body or "", record.status or 200)
    response.content_type = record.content_type or "application/json"
    response.headers["Idempotent-Replayed"] = "true"
    return response


def idempotent(view: Callable[..., Any], *, answer_kept: bool = True) -> Callable[..., Any]:
    """Wrap a mutating view: claim the key, run the view, store its answer; the request's
    unit of work (``db.finish``) commits.

    Put it below the route and auth decorators and above input/output decorators.
    The caller's identity (``g.principal``) scopes the key; without one, or with
    ``answer_kept=False`` (see ``issues_credential``), the answer is not stored.
    """

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        key = request.headers.get("Idempotency-Key", "").strip()
        if not key:
            raise ApiError("idempotency_key_missing")
        if len(key) > MAX_KEY_LENGTH:
            raise ApiError("invalid_request", "Idempotency-Key is longer than %(limit)s characters.",
                           params={"limit": MAX_KEY_LENGTH})
        principal = getattr(g, "principal", None)
        scope = principal or "anonymous"
        request_hash = _request_hash()
        s = db.session()
        # Claim first, look second: a new key (the common case) costs one INSERT.
        names = {"claim_scope": scope, "claim_key": key}
        try:
            s.connection().execute(_CLAIM, {**names, "request_hash": request_hash,
                                            "created_at": clock.now()})
        except IntegrityError:
            s.rollback()
            existing = s.get(IdempotencyRecord, (scope, key))
            if existing is None:  # the other attempt failed and was rolled back: run ours
                return wrapper(*args, **kwargs)
            return _replay(existing, request_hash)
        try:
            response = make_response(view(*args, **kwargs))
            if response.status_code < 400 and answer_kept and principal:
                s.connection().execute(_ANSWER, {**names, "status": response.status_code,
                                                 "body": response.get_data(as_text=True),
                                                 "content_type": response.content_type})
        except BaseException:
            s.rollback()
            raise
        return db.finish(s, response)

    return wrapper


def issues_credential(view: Callable[..., Any]) -> Callable[..., Any]:
    """``idempotent`` for a view whose answer carries a credential: one effect per key,
    and the answer never stored (a retry gets ``idempotency_answer_not_kept``)."""
    return idempotent(view, answer_kept=False)


def purge(s: Any, older_than: dt.timedelta, now: dt.datetime | None = None) -> int:
    """Delete stored answers older than ``older_than``; returns how many."""
    cutoff = (now or clock.now()) - older_than
    result = s.execute(delete(IdempotencyRecord).where(IdempotencyRecord.created_at < cutoff))
    return int(result.rowcount or 0)
