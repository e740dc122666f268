"""An agent's calibration in a real headless Chromium: two agents report theirs in a
signed heartbeat, the back office's Agents page and the store dashboard's agent table
show it with the advice in words, and a manager tunes an agent, which the agent then
downloads. The Agents page's screenshot is the staff guide's installer page's."""

from __future__ import annotations

import pytest

from rewards_api import db
from rewards_api.agents.models import Agent
from rewards_protocol import events
from tests.support.axe import serious_violations

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

HEARTBEAT = {"queue_depth": 0, "software_version": "2.0.0", "adverts_per_second": 30.0,
             "scanner_state": "scanning"}
WALKED = {"state": "calibrated", "method": "walk_test", "calibrated_at": "2026-11-19T15:00:00Z",
          "outside_dbm": -71.0, "inside_dbm": -69.5, "advice": ["street_too_loud"]}
LEARNING = {"state": "learning", "method": "traffic", "calibrated_at": None, "outside_dbm": None,
            "inside_dbm": None, "advice": ["needs_more_traffic"]}

SLOW = {"state": "calibrated", "method": "traffic", "calibrated_at": "2026-11-19T16:00:00Z",
        "outside_dbm": -66.5, "inside_dbm": -77.0, "advice": ["slow_walk_ins"]}
SLOW_SENTENCE = ("Walk-ins are confirmed after about 5 minutes here: at this door it cannot "
                 "tell a shopper coming in from one at the window. A shopper who leaves "
                 "sooner gets no walk-in points; tell shoppers it takes 5 minutes")


def _open(browser, url, key):
    context = browser.new_context(viewport={"width": 1200, "height": 900}, timezone_id="UTC",
                                  bypass_csp=True)  # axe-core is added to the page
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.goto(url)
    page.locator("#store-select").select_option(label="Berlin Mitte")
    page.locator("#staff-key").fill(key)
    page.locator("#access-form button[type=submit]").click()
    page.locator("#board").wait_for()
    return context, page


@pytest.fixture
def reported(app, walkins):
    door, back = walkins.agents["berlin-door"], walkins.agents["berlin-back"]
    with app.app_context():
        for agent, label in ((door, "Front door"), (back, "Side door")):
            db.session().get(Agent, agent.agent_id).label = label
        db.session().commit()
    beats = [door.post(events.HEARTBEAT_PATH, dict(HEARTBEAT, calibration=WALKED, nearby=12)),
             back.post(events.HEARTBEAT_PATH, dict(HEARTBEAT, calibration=LEARNING, nearby=3))]
    assert [b.status_code for b in beats] == [200, 200], [b.get_json() for b in beats]
    return door, back


def test_the_agents_page_shows_calibration_and_a_manager_tunes_an_agent(
        browser, live_url, api, world, reported, guide_images):
    door, back = reported
    context, page = _open(browser, live_url + "/manage/agents", world.keys["manager"])
    door_row = page.locator(f"tr[data-agent='{door.agent_id}']")
    door_row.locator("[data-advice=street_too_loud].bad").wait_for()  # in red: act on it
    assert "Calibrated on Nov 19 by walk test" in door_row.inner_text()
    assert "Hears the street too loudly: move it further in" in door_row.inner_text()
    back_row = page.locator(f"tr[data-agent='{back.agent_id}']")
    assert "Learning this entrance from its traffic" in back_row.inner_text()
    assert "Still learning this entrance: needs more shoppers" in back_row.inner_text()
    assert serious_violations(page) == []
    page.locator("#agents-table").locator("..").screenshot(
        path=guide_images / "installer-agents.png")

    page.get_by_label("Agent", exact=True).select_option(label="Front door")
    assert page.get_by_label("Signal offset (dB, -50 to 50)").input_value() == "0"
    page.get_by_label("Signal offset (dB, -50 to 50)").fill("-6")
    page.get_by_role("button", name="Save the settings").click()
    page.locator("#status", has_text="Settings of Front door saved").wait_for()
    assert door.get(events.CONFIG_PATH).get_json()["rssi_offset"] == -6  # the agent picks it up
    assert back.get(events.CONFIG_PATH).get_json()["rssi_offset"] == 0
    trail = api.get("/v1/admin/audit?store=berlin-1", auth=world.keys["manager"]).get_json()
    assert [(e["before"]["rssi_offset"], e["after"]["rssi_offset"]) for e in trail["entries"]
            if e["resource"] == "agent" and e["action"] == "change"] == [(0, -6)]
    context.close()


def test_the_dashboards_agent_table_shows_calibration_and_advice(browser, live_url, world,
                                                                reported):
    context, page = _open(browser, live_url + "/dashboard", world.keys["manager"])
    table = page.locator("#agents-table")
    table.locator("td", has_text="Calibrated on Nov 19 by walk test").wait_for()
    cell = table.locator("td", has_text="Calibrated on Nov 19 by walk test")
    assert "Hears the street too loudly: move it further in" in cell.inner_text()
    assert "bad" in cell.get_attribute("class")
    assert "Learning this entrance from its traffic" in table.inner_text()
    assert serious_violations(page) == []
    context.close()


FAR_END = dict(WALKED, outside_dbm=-80.0, inside_dbm=-62.0, advice=["far_end_unheard"])
FAR_END_SENTENCE = ("Does not hear the far end of the shop: walk-ins who go to the back may be "
                    "missed when their phone changes its code there. Add a second agent "
                    "mid-floor: the Agents page says how")


def _reported_in_both_tables(browser, live_url, world, agent, calibration, summary, sentence):
    """The agent reports ``calibration``; the store dashboard's agent table shows the
    ``sentence`` in the cell with the ``summary`` (its class returned: "bad" is red),
    then the Agents page shows it in the agent's row (its context, page and row)."""
    beat = agent.post(events.HEARTBEAT_PATH, dict(HEARTBEAT, calibration=calibration, nearby=3))
    assert beat.status_code == 200, beat.get_json()
    context, page = _open(browser, live_url + "/dashboard", world.keys["manager"])
    cell = page.locator("#agents-table td", has_text=summary)
    cell.wait_for()
    assert sentence in cell.inner_text()
    shown = cell.get_attribute("class") or ""
    context.close()
    context, page = _open(browser, live_url + "/manage/agents", world.keys["manager"])
    row = page.locator(f"tr[data-agent='{agent.agent_id}']")
    row.locator(f"[data-advice={calibration['advice'][0]}]").wait_for()
    assert sentence in row.inner_text()
    return shown, (context, page, row)


def test_the_agents_page_words_the_calibration_in_german(browser, live_url, world, reported):
    door, _ = reported
    context, page = _open(browser, live_url + "/manage/agents?lang=de", world.keys["manager"])
    door_row = page.locator(f"tr[data-agent='{door.agent_id}']")
    door_row.locator("[data-advice=street_too_loud]").wait_for()
    assert "19. Nov." in door_row.inner_text()  # the day as German writes it
    context.close()


@pytest.mark.parametrize(("which", "calibration", "summary", "sentence", "red"), [
    # The far end not heard: add a second agent (in red, and the Agents page says how).
    (0, FAR_END, "Calibrated on Nov 19 by walk test", FAR_END_SENTENCE, True),
    # Walk-ins wait for the long dwell: for information, not in red.
    (1, SLOW, "Calibrated on Nov 19 from its traffic", SLOW_SENTENCE, False),
])
def test_both_tables_word_the_advice_and_colour_what_needs_acting_on(
        browser, live_url, world, reported, which, calibration, summary, sentence, red):
    agent = reported[which]
    shown, (context, page, row) = _reported_in_both_tables(
        browser, live_url, world, agent, calibration, summary, sentence)
    assert ("bad" in shown) is red  # the dashboard's cell
    code = calibration["advice"][0]
    assert row.locator(f"[data-advice={code}].bad").count() == int(red)  # the Agents page's row
    hint = page.locator("#agent-form").locator("..").inner_text()
    assert "A second agent for a deep shop" in hint  # what a far end not heard asks for
    assert serious_violations(page) == []
    context.close()
