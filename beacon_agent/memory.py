"""What the agent learned of its entrance from the store's own traffic, kept across
restarts: a power cut, an update or a restart by systemd does not send it back to the
safe defaults for an hour, and its heartbeat goes on saying since when it has learned.

One row of the outbox's database (``Outbox.keep_learned``) holds the engine's
``SiteLearning`` (its ``snapshot``, whose form it versions), when the agent first had
learned the entrance (``learned_at``, the heartbeat's ``calibrated_at``) and the place
it was learned at (``place``). The service saves it when it changed, at most every
``constants.KEEP_LEARNED_EVERY_S`` and at a clean shutdown, each time in one
transaction: a crash loses at most the last minutes of learning, and a crash during a
save leaves the previous row. It reads it at start. A row of another place (the agent
provisioned again, as another agent or for another API; a new walk test) or of another
form (another version of the agent), or one that cannot be read, is ignored with a log
line: the agent learns afresh.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from beacon_agent.config import AgentConfig
from beacon_agent.engine import SiteLearning
from beacon_agent.outbox import Outbox

log = logging.getLogger(__name__)


def place(config: AgentConfig) -> dict[str, Any]:
    """Where the agent learns, as far as it can tell: which agent of which API (another
    store's agent is provisioned anew), and its walk test (done again after the agent
    was moved). Remote settings are left out: tuning an agent does not move it."""
    return {"api_url": config.api_url, "agent_id": config.agent_id,
            "calibrated_at": config.calibrated_at}


@dataclass(frozen=True)
class Learned:
    """What a store taught the agent, as last saved."""

    learning: SiteLearning
    learned_at: float | None  # when the agent first had learned the entrance
    saved_at: float


class Memory:
    """The agent's kept learning in ``outbox`` (used on its thread) for ``config``'s place."""

    def __init__(self, outbox: Outbox, config: AgentConfig) -> None:
        self._outbox = outbox
        self._place = place(config)
        self._kept: dict[str, Any] | None = None  # the record last saved or recalled

    def recall(self) -> Learned | None:
        """What was learned at this place before; None (and a log line when there was
        a record) when there is nothing to go on."""
        try:
            stored = self._outbox.learned()
        except ValueError as exc:
            log.warning("the learned entrance cannot be read, learning afresh: %s", exc)
            return None
        if stored is None:
            return None
        record, saved_at = stored
        if not isinstance(record, dict) or record.get("place") != self._place:
            log.warning("the learned entrance was learned at another place (%s), learning "
                        "afresh here", record.get("place") if isinstance(record, dict) else None)
            return None
        try:
            learning = SiteLearning.restored(record["learning"])
            learned_at = record["learned_at"]
            learned = Learned(learning, None if learned_at is None else float(learned_at),
                              saved_at)
        except (KeyError, TypeError, ValueError) as exc:
            log.warning("the learned entrance was kept by another version of the agent, "
                        "learning afresh: %s", exc)
            return None
        self._kept = record
        return learned

    def keep(self, learning: SiteLearning, learned_at: float | None, at: float) -> bool:
        """Save what ``learning`` has learned, unless nothing changed since the last save
        (or since it was recalled); whether it saved."""
        record = {"place": self._place, "learned_at": learned_at,
                  "learning": learning.snapshot()}
        if record == self._kept:
            return False
        self._outbox.keep_learned(record, at)
        self._kept = record
        return True
