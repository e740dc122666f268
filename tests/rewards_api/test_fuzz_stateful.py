"""schemathesis's stateful phase: sequences of calls chained by the links schemathesis
infers from ``/openapi.json`` (a checkout opened, then its rewards, consent, commit,
returns, void; a store listed, then its pages; a help request made, then answered),
on SQLite and PostgreSQL. Each call goes as the identity the operation is for (a
shopper, a cashier, a manager, a signed agent), every fourth one as the next identity
instead, and every other one on ids that exist (a real store and checkout) so that
sequences get past the 404: no answer is a 5xx, every 4xx is in the error shape.

Bounded and repeatable: derandomized, ``SEQUENCES`` sequences of at most ``STEPS``
calls per database; every failure is collected before the test fails.
"""

from __future__ import annotations

from typing import Any

import schemathesis
from hypothesis import HealthCheck, Phase, settings
from schemathesis.core.transport import Response

from tests.rewards_api.test_fuzz_openapi import IDENTITIES, Caller, _intended, _problem

SEQUENCES = 30
STEPS = 6


def test_stateful_sequences_never_fail_and_refuse_in_the_error_shape(app, api, world):
    caller = Caller(app, api, world, "POST /v1/pos/checkouts/{checkout_id}/rewards")
    schema = schemathesis.openapi.from_wsgi("/openapi.json", app)
    failures: list[tuple[str, ...]] = []
    calls: list[str] = []

    class Workflow(schema.as_state_machine()):  # type: ignore[misc]
        def call(self, case: Any, **kwargs: Any) -> Response:
            n = len(calls)
            calls.append(case.operation.label)
            intended = _intended(case.operation.label)[0]
            who = intended if n % 4 else IDENTITIES[(IDENTITIES.index(intended) + 1)
                                                    % len(IDENTITIES)]
            answer = caller.send(case, who, real_ids=n % 2 == 0)
            problem = _problem(answer)
            if problem:
                failures.append((problem, who, case.method, case.formatted_path,
                                 repr(case.body)[:200], answer.get_data(as_text=True)[:200]))
            return Response.from_wsgi(answer)

        def validate_response(self, response: Any, case: Any, *args: Any, **kwargs: Any) -> None:
            """Checked in ``call`` (the error shape), so that every failure is collected."""

    Workflow.run(settings=settings(
        max_examples=SEQUENCES, stateful_step_count=STEPS, derandomize=True, database=None,
        deadline=None, phases=[Phase.generate], suppress_health_check=list(HealthCheck)))
    assert not failures, "\n".join(map(str, failures[:10]))
    # The sequences went past the first call: checkouts were worked on, step after step.
    assert len(calls) > SEQUENCES
    assert any("/v1/pos/checkouts/{checkout_id}" in label for label in calls)
