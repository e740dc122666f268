"""Two agents of one store report the same stay at the same moment, on PostgreSQL:
real threads, each request on its own database connection."""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

import pytest
from sqlalchemy import select

from rewards_api import db
from rewards_api.ledger.models import WALK_IN, Account, LedgerEntry
from rewards_api.ledger.services import ledger_sum
from rewards_api.visits.models import Visit
from tests.rewards_api.walkins.conftest import T0, AgentClient, download_tokens, seen

ROUNDS = 12


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_two_agents_reporting_one_visit_concurrently_award_once(app, api, walkins):
    door, back = walkins.agents["berlin-door"], walkins.agents["berlin-back"]
    shoppers = [api.register(f"Shopper {n}") for n in range(ROUNDS)]
    answers: list[Any] = []

    def report(agent: AgentClient, event: dict[str, Any], start: threading.Barrier) -> None:
        with app.test_client() as own_client:  # its own request, session and connection
            poster = AgentClient(own_client, agent.clock, agent.agent_id, agent.secret)
            start.wait(timeout=10)
            answers.append(poster.sightings([event]))

    for shopper in shoppers:
        tokens = download_tokens(api, shopper, T0)
        start = threading.Barrier(2)
        threads = [threading.Thread(target=report, args=(agent, seen(tokens, T0), start))
                   for agent in (door, back)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
            assert not thread.is_alive()

    assert [a.status_code for a in answers] == [200] * 2 * ROUNDS
    assert all(a.get_json()["accepted"] == 1 for a in answers)
    with app.app_context():
        s = db.session()
        visits = s.scalars(select(Visit)).all()
        assert len(visits) == ROUNDS  # one visit per shopper, seen by both agents
        assert all(sorted(v.agent_ids) == sorted([door.agent_id, back.agent_id]) for v in visits)
        entries = s.scalars(select(LedgerEntry).where(LedgerEntry.kind == WALK_IN)).all()
        per_shopper_program = Counter((e.reference, e.program.code) for e in entries)
        assert len(per_shopper_program) == 2 * ROUNDS
        assert set(per_shopper_program.values()) == {1}
        for account in s.scalars(select(Account)):
            assert account.balance == ledger_sum(s, account.id)
