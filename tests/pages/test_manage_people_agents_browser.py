"""The people, agents and audit pages of the back office (/manage/people, /manage/agents,
/manage/audit) in a real headless Chromium: a manager issues a register key (shown once,
it works against the API), revokes it (refused from then on), provisions an agent (its
enrolment code and the installer's command) and finds those changes in the audit log."""

from __future__ import annotations

import pytest

from rewards_api import db
from tests.pages.manage_pages import signed_in_page
from tests.support.axe import serious_violations
from tests.support.world import staff_key

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def _mine(client, key):
    return client.get("/v1/stores/mine", headers={"Authorization": f"Bearer {key}"})


def test_a_manager_issues_and_revokes_a_register_key_provisions_an_agent_and_audits_it(
        browser, live_url, client, world):
    context, page = signed_in_page(
        browser, live_url, "/manage/people", world.keys["manager"])
    page.locator("#keys-table", has_text="Berlin manager").wait_for()
    page.get_by_label("Register or person").fill("Register 7")
    page.get_by_role("button", name="Issue the key").click()
    box = page.locator("#new-key")
    box.wait_for()
    assert "not shown again" in box.inner_text()
    key = page.locator("#new-key-value").inner_text().strip()
    assert key
    page.locator("#status", has_text="Register 7").wait_for()
    row = page.locator("tr", has_text="Register 7")
    assert "register" in row.inner_text() and "in use" in row.inner_text()
    assert _mine(client, key).get_json()["code"] == "berlin-1"

    page.on("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Revoke the key of Register 7").click()
    page.locator("tr", has_text="Register 7").filter(has_text="revoked").wait_for()
    assert "is revoked" in page.locator("#status").inner_text()
    assert page.locator("#new-key").is_hidden()
    assert _mine(client, key).status_code == 401
    # Shown once: a new visit of the page lists the key, never the key itself.
    page.reload()
    page.locator("#keys-table", has_text="Register 7").wait_for()
    assert page.locator("#new-key").is_hidden()
    assert key not in page.content()
    context.close()

    context, page = signed_in_page(
        browser, live_url, "/manage/agents", world.keys["manager"])
    page.locator("#agents-table", has_text="No agents yet").wait_for()
    page.get_by_label("Where it hangs").fill("back door")
    page.get_by_role("button", name="Provision the agent").click()
    page.locator("#enrolment").wait_for()
    code = page.locator("#enrolment-code").inner_text().strip()
    assert code
    assert page.locator("#enrolment-command").inner_text() == \
        f"beacon-agent enrol {code} --api {live_url}"
    assert "not shown again" in page.locator("#enrolment").inner_text()
    page.locator("#agents-table tr", has_text="back door").wait_for()
    assert "not enrolled" in page.locator("#agents-table").inner_text()

    page.get_by_role("button", name="New code for back door").click()
    page.locator("#status", has_text="New code for back door").wait_for()
    assert page.locator("#enrolment-code").inner_text().strip() != code
    page.on("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Disable back door").click()
    page.locator("#agents-table tr", has_text="back door").filter(has_text="disabled").wait_for()
    context.close()

    context, page = signed_in_page(
        browser, live_url, "/manage/audit", world.keys["manager"])
    table = page.locator("#audit-table")
    table.locator("tr[data-resource=agent]").first.wait_for()
    assert table.locator("tr[data-resource=staff_key]").count() >= 2  # issued, revoked
    assert "Register 7" in table.inner_text() and "back door" in table.inner_text()
    assert "Berlin manager" in table.inner_text()  # who: the key's label
    page.get_by_label("What changed").select_option("agent")
    page.get_by_role("button", name="Filter").click()
    table.locator("tr[data-resource=staff_key]").first.wait_for(state="detached")
    assert table.locator("tr[data-resource=agent]").count() >= 2
    context.close()


def test_a_revoke_the_api_refuses_says_why_on_the_page(browser, live_url, world):
    # A manager revokes register keys only: their own key stays, the API says why.
    context, page = signed_in_page(
        browser, live_url, "/manage/people", world.keys["manager"])
    page.on("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Revoke the key of Berlin manager").click()
    page.locator("#status[data-kind=error]").wait_for()
    assert "forbidden" in page.locator("#status").inner_text()
    assert "in use" in page.locator("tr", has_text="Berlin manager").inner_text()
    context.close()


def test_the_agents_page_speaks_german(browser, live_url, world):
    context, page = signed_in_page(
        browser, live_url, "/manage/agents?lang=de", world.keys["manager"])
    page.locator("#agents-table", has_text="Noch keine Agenten").wait_for()
    assert page.get_by_role("heading", name="Agenten", exact=True).count() == 1
    assert page.get_by_role("button", name="Agent einrichten").count() == 1
    context.close()


def test_the_audit_log_pages_to_older_changes(browser, live_url, app, world):
    with app.app_context():
        for number in range(60):
            staff_key("cashier", world.store_ids[0], f"Till {number}")
        db.session().commit()
    context, page = signed_in_page(
        browser, live_url, "/manage/audit", world.keys["manager"])
    rows = page.locator("#audit-rows tr")
    page.locator("#audit-rows tr", has_text="Till 59").wait_for()
    assert rows.count() == 50
    page.get_by_role("button", name="Older changes").click()
    page.locator("#audit-rows tr", has_text="Till 0").first.wait_for()
    assert rows.count() > 60  # the world's own keys and stores too, each once
    ids = [int(i) for i in rows.evaluate_all("rows => rows.map(r => r.dataset.entry)")]
    assert ids == sorted(ids, reverse=True) and len(set(ids)) == len(ids)
    assert page.get_by_role("button", name="Older changes").is_hidden()
    context.close()


def test_the_three_pages_have_no_serious_accessibility_violation(browser, live_url, world):
    # bypass_csp lets axe's script in (the pages' policy allows only their own).
    context, page = signed_in_page(
        browser, live_url, "/manage/people", world.keys["manager"],
                          bypass_csp=True)
    page.get_by_label("Register or person").fill("Register 8")
    page.get_by_role("button", name="Issue the key").click()
    page.locator("#new-key").wait_for()
    assert serious_violations(page) == []
    context.close()
    context, page = signed_in_page(
        browser, live_url, "/manage/agents", world.keys["manager"],
                          bypass_csp=True)
    page.get_by_label("Where it hangs").fill("entrance")
    page.get_by_role("button", name="Provision the agent").click()
    page.locator("#agents-table tr", has_text="entrance").wait_for()
    assert serious_violations(page) == []
    context.close()
    context, page = signed_in_page(
        browser, live_url, "/manage/audit", world.keys["manager"],
                          bypass_csp=True)
    page.locator("#audit-rows tr").first.wait_for()
    assert serious_violations(page) == []
    context.close()
