"""Real gunicorn hosts of the rewards API for tests (``rewards_api/gunicorn_host.py``,
the one way tests and benchmarks start gunicorn), with the test settings."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from rewards_api.gunicorn_host import Host, running

# The keys tests.faults.load's in-process app is made with too.
TEST_SETTINGS = {"REWARDS_SECRET_KEY": "test-secret", "REWARDS_PRESENCE_KEYS": "0:" + "ab" * 16}


@contextmanager
def gunicorn(env: dict[str, str], *, workers: int = 2,
             log_dir: Path | None = None) -> Iterator[Host]:
    """``gunicorn -c rewards_api/gunicorn_conf.py 'rewards_api:create_app()'`` with ``env``
    (REWARDS_* settings: at least REWARDS_DATABASE_URL, of a migrated database; a test
    secret and presence key unless given) on a free loopback port, answering /healthz;
    stopped at the end."""
    with running("rewards_api:create_app()", {**TEST_SETTINGS, **env}, workers=workers,
               log_dir=log_dir) as host:
        yield host
