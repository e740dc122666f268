"""An agent's calibration as its heartbeat reports it (PROTOCOLS.md section 3), and the
sentences the back office shows for it: the one place of the codes and their wording.

An agent calibrates itself (``beacon-agent calibrate``'s walk test, or learning the
entrance from its own traffic) and says so in each heartbeat; the API only stores the
latest report and words it for the managers in their language.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_skeleton
from flask_babel import get_locale, gettext

from rewards_api.agents.models import Agent
from rewards_api.i18n import N_

DEFAULT, LEARNING, CALIBRATED = "default", "learning", "calibrated"
STATES = (DEFAULT, LEARNING, CALIBRATED)
WALK_TEST, TRAFFIC = "walk_test", "traffic"
METHODS = (WALK_TEST, TRAFFIC)
# What the agent advises, and what the manager reads (the installer's guide explains each).
ADVICE: dict[str, str] = {
    "street_too_loud": N_("Hears the street too loudly: move it further in"),
    "inside_too_quiet": N_("Hears shoppers inside too faintly: move it closer to the door "
                           "or lower"),
    "needs_more_traffic": N_("Still learning this entrance: needs more shoppers"),
    "slow_walk_ins": N_("Walk-ins are confirmed after about 5 minutes here: at this door it "
                        "cannot tell a shopper coming in from one at the window. A shopper who "
                        "leaves sooner gets no walk-in points; tell shoppers it takes 5 minutes"),
    "far_end_unheard": N_("Does not hear the far end of the shop: walk-ins who go to the back "
                          "may be missed when their phone changes its code there. Add a second "
                          "agent mid-floor: the Agents page says how"),
}
# Advice that tells the staff how walk-ins are credited at this store, with nothing to
# mend at the agent (moving it did not shorten the wait on the tuning runs: the agent's
# ``calibration.traffic_advice``): shown, but the agent does not need attention for it
# (where most stores' agents say it, counting it would hide the agents that do).
FOR_INFORMATION = frozenset({"slow_walk_ins"})
# Levels a BLE radio reports (dBm): the advert's RSSI field spans -127 to +20.
LOWEST_DBM, HIGHEST_DBM = -127.0, 20.0

_CALIBRATED_ON = {WALK_TEST: N_("Calibrated on %(day)s by walk test"),
                  TRAFFIC: N_("Calibrated on %(day)s from its traffic")}
_STATE = {LEARNING: N_("Learning this entrance from its traffic"), DEFAULT: N_("Safe defaults")}


def record(agent: Agent, reported: dict[str, Any] | None) -> None:
    """Keep the calibration of the agent's latest heartbeat (None: the agent's software
    does not report one)."""
    reported = reported or {}
    agent.calibration_state = reported.get("state")
    agent.calibration_method = reported.get("method")
    agent.calibrated_at = reported.get("calibrated_at")
    agent.outside_dbm = reported.get("outside_dbm")
    agent.inside_dbm = reported.get("inside_dbm")
    agent.calibration_advice = reported.get("advice")


def needs_attention(advice: list[str] | None) -> bool:
    """Whether the agent asks for someone to move it or wait: any advice but what is
    only ``FOR_INFORMATION``."""
    return any(code not in FOR_INFORMATION for code in advice or ())


def _day(agent: Agent) -> str:
    assert agent.calibrated_at is not None
    local = agent.calibrated_at.astimezone(ZoneInfo(agent.store.timezone)).date()
    return format_skeleton("MMMd", local, locale=str(get_locale() or "en"))


def summary(agent: Agent) -> str:
    """"Calibrated on 2 Dec by walk test", "Learning this entrance from its traffic",
    "Safe defaults", in the request's language."""
    state, method = agent.calibration_state, agent.calibration_method
    if state is None:
        return gettext("Calibration not reported (older agent software)")
    if state == CALIBRATED and method in _CALIBRATED_ON and agent.calibrated_at is not None:
        return gettext(_CALIBRATED_ON[method], day=_day(agent))
    if state == CALIBRATED:
        return gettext("Calibrated")
    return gettext(_STATE[state])


def view(agent: Agent) -> dict[str, Any]:
    """The calibration as the back office shows it: the codes, their sentences and
    whether each asks for someone to act (``needs_attention``)."""
    at = agent.calibrated_at
    return {
        "state": agent.calibration_state, "method": agent.calibration_method,
        "calibrated_at": at.astimezone(dt.UTC).isoformat() if at else None,
        "outside_dbm": agent.outside_dbm, "inside_dbm": agent.inside_dbm,
        "summary": summary(agent),
        "advice": [{"code": code, "text": gettext(ADVICE[code]),
                    "attention": needs_attention([code])}
                   for code in agent.calibration_advice or []],
    }
