"""Database plumbing: the declarative base, shared column types, engine and sessions.

One engine per app; one session per request (or CLI command), opened lazily and closed
at the end of the app context. Services flush; the request's idempotency wrapper (or
the CLI command) commits, so an effect and its stored answer land together.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated, Any
from typing import cast as cast_type

from flask import Flask, Response, current_app, g, has_request_context, make_response, request
from sqlalchemy import (
    BigInteger,
    DateTime,
    Integer,
    MetaData,
    String,
    bindparam,
    cast,
    create_engine,
    event,
    func,
    select,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import CursorResult, Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import DeclarativeBase, Session, mapped_column, sessionmaker
from sqlalchemy.types import TypeDecorator

from rewards_api.errors import ApiError

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[dt.datetime]):
    """A timezone-aware UTC datetime on every backend (SQLite stores naive values)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


# BIGINT on PostgreSQL, INTEGER on SQLite (so that SQLite's rowid aliasing still applies).
BigIntId = BigInteger().with_variant(Integer(), "sqlite")

# Points and money: a basket may reach 2 x 10^12 minor units (rewards_api.schemas), and
# balances and totals add up over a chain's lifetime, so 64-bit (SQLite's INTEGER is).
bigint = Annotated[int, mapped_column(BigIntId)]
intpk = Annotated[int, mapped_column(BigIntId, primary_key=True, autoincrement=True)]
utc_timestamp = Annotated[dt.datetime, mapped_column(UTCDateTime())]
str40 = Annotated[str, mapped_column(String(40))]
str200 = Annotated[str, mapped_column(String(200))]


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {dt.datetime: UTCDateTime()}


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine tuned for our two backends.

    SQLite: WAL journal so readers never block the writer, a busy timeout so that
    concurrent writers queue instead of failing, and foreign keys on. Each
    transaction starts with BEGIN IMMEDIATE, so two writers never both read and then
    both try to upgrade their lock (which SQLite resolves by failing one of them).
    """
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30}, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn: Any) -> None:
            if conn.get_execution_options().get("isolation_level") != "AUTOCOMMIT":
                conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    # Pre-ping: a pooled connection is tested (one round trip) as it is handed out, so
    # that the first request after PostgreSQL restarted gets a new connection instead
    # of a 503 on the one that died with the server.
    return create_engine(url, pool_pre_ping=True, **kwargs)


def init_app(app: Flask) -> None:
    engine = make_engine(app.config["DATABASE_URL"])
    app.extensions["rewards_db"] = sessionmaker(bind=engine, expire_on_commit=False)
    # GET and HEAD only read: they run in autocommit mode, which saves the BEGIN and
    # ROLLBACK round trips (each statement sees committed data). A GET must not write.
    app.extensions["rewards_db_read"] = sessionmaker(
        bind=engine.execution_options(isolation_level="AUTOCOMMIT"), expire_on_commit=False)
    # Reports (dashboard, settlement) may read a streaming replica: seconds behind, and
    # their long scans stay off the primary that registers and agents write to.
    reports_url = app.config.get("REPORTS_DATABASE_URL")
    if reports_url:
        app.extensions["rewards_db_reports"] = sessionmaker(
            bind=make_engine(reports_url).execution_options(isolation_level="AUTOCOMMIT"),
            expire_on_commit=False)
    app.teardown_appcontext(_close_session)


def engine() -> Engine:
    factory: sessionmaker[Session] = current_app.extensions["rewards_db"]
    bind = factory.kw["bind"]
    assert isinstance(bind, Engine)
    return bind


def session() -> Session:
    """The session of the current request or command."""
    if "db_session" not in g:
        read_only = has_request_context() and request.method in ("GET", "HEAD")
        g.db_session = current_app.extensions["rewards_db_read" if read_only else "rewards_db"]()
    return g.db_session  # type: ignore[no-any-return]


def reports_session() -> Session:
    """A read-only session for reports: on ``REWARDS_REPORTS_DATABASE_URL`` when set (a
    replica), else the request's own session. Never write through it."""
    if "rewards_db_reports" not in current_app.extensions:
        return session()
    if "db_reports_session" not in g:
        g.db_reports_session = current_app.extensions["rewards_db_reports"]()
    return g.db_reports_session  # type: ignore[no-any-return]


def end_session() -> None:
    """Close the current request's sessions now, before its answer is done (a live
    stream must not hold a database connection while it waits)."""
    _close_session(None)


def _close_session(_exc: BaseException | None) -> None:
    for name in ("db_session", "db_reports_session"):
        s = g.pop(name, None)
        if s is not None:
            s.close()


@contextmanager
def transaction() -> Iterator[Session]:
    """Commit the current session's work, or roll it back on any error (CLI use)."""
    s = session()
    try:
        yield s
        s.commit()
    except BaseException:
        s.rollback()
        raise


# The request's unit of work. Services flush and never commit; the one owner of a
# request's transaction is ``unit_of_work`` (or ``idempotency.idempotent``, which
# builds on ``finish``): what a view did is committed when it answers below 400, and
# rolled back otherwise. ``after_refusal`` is the one way to keep something of a
# refused request (the count of a refused attempt).

def finish(s: Session, response: Response) -> Response:
    """Commit the request's work if ``response`` is a success, else roll it back."""
    if response.status_code >= 400:
        s.rollback()
    else:
        s.commit()
    return response


def unit_of_work(view: Callable[..., Any]) -> Callable[..., Any]:
    """Run a mutating view that takes no Idempotency-Key (signed agents: their events
    are idempotent by id) in one transaction, committed by ``finish``."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Response:
        s = session()
        try:
            response = make_response(view(*args, **kwargs))
        except BaseException:
            s.rollback()
            raise
        return finish(s, response)

    return wrapper


def after_refusal(s: Session, record: Callable[[Session], object]) -> None:
    """A request was refused: roll its work back, then keep what ``record`` writes (a
    refused attempt's count) in a transaction of its own."""
    s.rollback()
    record(s)
    s.commit()


@contextmanager
def unique(s: Session, taken: str, message: str | None = None) -> Iterator[None]:
    """What is added or changed inside is flushed in a savepoint; when it breaks a
    unique key, nothing of it stays and the request is refused with the error code
    ``taken`` (its registered sentence, or ``message``)."""
    try:
        with s.begin_nested():
            yield
            s.flush()
    except IntegrityError as exc:
        raise ApiError(taken, message) from exc


def append_only_triggers(table: str, dialect: str) -> list[str]:
    """DDL that makes the database itself refuse UPDATE and DELETE on ``table``
    (the ledger is append-only; a correction is a new, reversing entry)."""
    message = f"{table} is append-only: write a reversing entry instead"
    if dialect == "sqlite":
        return [
            f"CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table} "
            f"BEGIN SELECT RAISE(ABORT, '{message}'); END"
            for verb in ("UPDATE", "DELETE")
        ]
    return [
        f"CREATE FUNCTION {table}_refuse_change() RETURNS trigger LANGUAGE plpgsql AS "
        f"$$ BEGIN RAISE EXCEPTION '{message}'; END $$",
        f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON {table} "
        f"FOR EACH STATEMENT EXECUTE FUNCTION {table}_refuse_change()",
    ]


def rows_changed(result: Any) -> int:
    """How many rows an UPDATE or DELETE changed (``Session.execute`` is typed as a
    plain ``Result``; DML gives a ``CursorResult``)."""
    return int(cast_type(CursorResult[Any], result).rowcount or 0)


def dialect_insert(s: Session, model: Any) -> Any:
    """The backend's own INSERT construct (it has ``on_conflict_do_nothing``)."""
    dialect = postgresql if s.get_bind().dialect.name == "postgresql" else sqlite
    return dialect.insert(model)


def insert_ignoring_conflicts(s: Session, model: Any, rows: list[dict[str, Any]],
                              unique: list[str], *returning: Any) -> list[Any]:
    """``INSERT ... ON CONFLICT DO NOTHING RETURNING`` on both backends: insert ``rows``
    (dicts with the same keys, column names) in one round trip, skipping those that
    clash on the ``unique`` columns, and return the ``returning`` columns of the rows
    actually inserted. Columns left out get their server default or NULL. On
    PostgreSQL a clash with a concurrent, uncommitted insert waits for it to finish.

    PostgreSQL gets one array per column (``INSERT ... SELECT unnest(...)``): a few
    parameters instead of one per value, which keeps the driver's per-parameter work
    off the hot path of bulk ingest.
    """
    if not rows:
        return []
    table = model.__table__
    names = list(rows[0])
    statement: Any
    if s.get_bind().dialect.name == "postgresql":
        columns = [
            func.unnest(cast(bindparam(f"unnest_{name}", [row[name] for row in rows],
                                       type_=postgresql.ARRAY(table.c[name].type)),
                             postgresql.ARRAY(table.c[name].type)))
            for name in names]
        statement = postgresql.insert(table).from_select(names, select(*columns),
                                                         include_defaults=False)
    else:
        statement = sqlite.insert(table).values(rows)
    statement = statement.on_conflict_do_nothing(index_elements=unique).returning(*returning)
    return list(s.execute(statement).all())
