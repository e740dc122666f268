"""Live-update fixtures: the walk-in world (agents, rules, a settable clock)."""

from tests.rewards_api.walkins.conftest import clock, walkins  # noqa: F401 (fixtures)
