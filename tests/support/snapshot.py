"""A test database put back as it was: ``snapshot(engine, url)`` copies the database
now (a file copy on SQLite, ``CREATE DATABASE ... TEMPLATE`` on PostgreSQL) and yields
``restore``, which puts that copy back in place of whatever the test wrote since.

For tests whose every run must start from the same rows (a state machine that
Hypothesis replays step by step). ``engine`` is the app's: its pooled connections are
closed first, so that nothing holds the database while it is copied or replaced.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, create_engine, make_url, text


@contextmanager
def snapshot(engine: Engine, url: str) -> Iterator[Callable[[], None]]:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        with _sqlite_snapshot(engine, Path(str(parsed.database))) as restore:
            yield restore
    else:
        with _postgresql_snapshot(engine, url) as restore:
            yield restore


@contextmanager
def _sqlite_snapshot(engine: Engine, path: Path) -> Iterator[Callable[[], None]]:
    engine.dispose()  # the last connection out checkpoints the WAL into the file
    copy = path.with_name(path.name + ".snapshot")
    shutil.copyfile(path, copy)

    def restore() -> None:
        engine.dispose()
        for journal in (path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
            journal.unlink(missing_ok=True)
        shutil.copyfile(copy, path)

    try:
        yield restore
    finally:
        copy.unlink(missing_ok=True)


@contextmanager
def _postgresql_snapshot(engine: Engine, url: str) -> Iterator[Callable[[], None]]:
    name = str(make_url(url).database)
    copy = f"{name}_snapshot"
    server = create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")

    def replace(target: str, template: str) -> None:
        with server.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{target}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{target}" TEMPLATE "{template}"'))

    def restore() -> None:
        engine.dispose()
        replace(name, copy)

    engine.dispose()
    try:
        replace(copy, name)
        yield restore
    finally:
        with server.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{copy}" WITH (FORCE)'))
        server.dispose()
