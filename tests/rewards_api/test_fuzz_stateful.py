"""schemathesis's stateful phase: sequences of calls chained by the links schemathesis
infers from ``/openapi.json`` (a checkout opened, then its rewards, consent, commit,
returns, void; a store listed, then its pages; a help request made, then answered),
on SQLite and PostgreSQL. Each call goes as the identity the operation is for (a
shopper, a cashier, a manager, a signed agent), every fourth one as the next identity
instead, and every other one on ids that exist (a real store and checkout) so that
sequences get past the 404: no answer is a 5xx, every 4xx is in the error shape.

Bounded and repeatable: derandomized, ``SEQUENCES`` sequences of at most ``STEPS``
calls per database; every failure is collected before the test fails.

Independent of what ran before: Hypothesis keeps a tree of the choices of every
sequence and fails (``FlakyStrategyDefinition``) when the same choices lead to other
ones, and here the next choices depend on the answers (a link is followed only from an
answer it fits). So every sequence starts from the same database (a snapshot taken
after the set-up, put back before each sequence) and chooses its identities by its own
step number: the same calls get the same answers whatever ran before, in this run or
in another test. The test's time limit is its own and generous: pytest-timeout's
signal stopping a sequence half-way looks to Hypothesis like the same choices ending
early, and fails the same way. How deep the sequences went is counted outside
Hypothesis's draws and asserted after the run.
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from schemathesis.core.transport import Response

from tests.rewards_api.test_fuzz_openapi import IDENTITIES, Caller, _intended, _problem
from tests.support.snapshot import snapshot

SEQUENCES = 30
STEPS = 6

pytestmark = pytest.mark.timeout(900)


def test_stateful_sequences_never_fail_and_refuse_in_the_error_shape(
        app, api, world, database_url):
    caller = Caller(app, api, world, "POST /v1/pos/checkouts/{checkout_id}/rewards")
    schema = schemathesis.openapi.from_wsgi("/openapi.json", app)
    failures: list[tuple[str, ...]] = []
    depths: list[int] = []  # calls made by each sequence
    linked: list[tuple[int, str, int]] = []  # (step, operation, status) of calls a link fed

    with snapshot(app.extensions["rewards_db"].kw["bind"], database_url) as restore:

        class Workflow(schema.as_state_machine()):  # type: ignore[misc]
            def setup(self) -> None:
                restore()
                depths.append(0)

            def step(self, input: Any) -> Any:
                output = super().step(input)
                if input.transition is not None and input.is_applied:
                    linked.append((depths[-1], input.case.operation.label,
                                   output.response.status_code))
                return output

            def call(self, case: Any, **kwargs: Any) -> Response:
                n = depths[-1]
                depths[-1] += 1
                intended = _intended(case.operation.label)[0]
                who = intended if n % 4 else IDENTITIES[(IDENTITIES.index(intended) + 1)
                                                        % len(IDENTITIES)]
                answer = caller.send(case, who, real_ids=n % 2 == 0)
                problem = _problem(answer)
                if problem:
                    failures.append((problem, who, case.method, case.formatted_path,
                                     repr(case.body)[:200], answer.get_data(as_text=True)[:200]))
                return Response.from_wsgi(answer)

            def validate_response(self, response: Any, case: Any, *args: Any,
                                  **kwargs: Any) -> None:
                """Checked in ``call`` (the error shape), so that every failure is collected."""

        Workflow.run(settings=settings(
            max_examples=SEQUENCES, stateful_step_count=STEPS, derandomize=True, database=None,
            deadline=None, phases=[Phase.generate], suppress_health_check=list(HealthCheck)))
    assert not failures, "\n".join(map(str, failures[:10]))
    print(f"stateful: {len(depths)} sequences, {sum(depths)} calls, depths {sorted(depths)}, "
          f"{len(linked)} fed by a link: {linked}")
    # Deep: sequences went several calls in, and links fed later calls, several of
    # which got past every check (a 2xx), some three or more calls into a sequence.
    assert len(depths) >= SEQUENCES
    assert sum(depth >= 3 for depth in depths) >= SEQUENCES // 3, sorted(depths)
    assert max(depths) == STEPS
    assert len(linked) >= SEQUENCES // 2, linked
    assert sum(status < 300 for _, _, status in linked) >= 5, linked
    assert sum(step >= 3 and status < 300 for step, _, status in linked) >= 2, linked
