"""The store dashboard's figures and charts, on both backends, and who may see them."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET

import pytest

from rewards_api import db
from rewards_api.pos.models import BY_PHONE
from tests.pages import store_day
from tests.pages.store_day import NOW

SVG = "{http://www.w3.org/2000/svg}"


def _dashboard(api, world, key="manager", store=0, days=7):
    return api.get(f"/v1/admin/stores/{world.store_ids[store]}/dashboard?days={days}",
                   auth=world.keys[key])


def test_today_in_store_hours(api, world, day):
    response = _dashboard(api, world)
    assert response.status_code == 200
    board = response.get_json()
    today = board["today"]
    assert (today["first_day"], today["last_day"]) == ("2026-11-23", "2026-11-23")
    assert today["walk_ins"] == 3
    assert today["flagged_visits"] == 1
    # Store time (Berlin, UTC+1): 09:10, 10:05 and 16:20.
    assert [h for h, n in enumerate(today["per_hour"]) if n] == [9, 10, 16]
    assert today["median_dwell_minutes"] == 20.0
    assert today["scans"] == 1
    assert today["scans_per_visit"] == 0.33
    programs = {p["program"]: p for p in today["programs"]}
    assert (programs["corner-points"]["points_issued"], programs["corner-points"]["redemptions"],
            programs["corner-points"]["points_redeemed"]) == (55, 1, 20)
    assert programs["partner-plus"]["points_issued"] == 25
    assert today["settlement"] == [{"currency": "EUR", "points_redeemed": 100, "points_issued": 30,
                                    "owed_to_store_minor": 100, "owed_to_partner_minor": 30,
                                    "net_to_store_minor": 70}]


def test_last_days_include_yesterday(api, world, day):
    period = _dashboard(api, world).get_json()["last_days"]
    assert (period["first_day"], period["last_day"]) == ("2026-11-17", "2026-11-23")
    assert period["walk_ins"] == 4
    assert period["per_hour"][10] == 2
    assert period["median_dwell_minutes"] == 25.0
    corner = next(p for p in period["programs"] if p["program"] == "corner-points")
    assert corner["points_issued"] == 65
    assert [d["points_issued"] for d in corner["per_day"]][-2:] == [10, 55]
    assert [d["walk_ins"] for d in period["per_day"]] == [0, 0, 0, 0, 0, 1, 3]


def test_cashier_adoption_counts_real_sales_with_a_reward_in_reach(api, world, day):
    adoption = _dashboard(api, world).get_json()["today"]["adoption"]
    # Training and voided sales do not count; a sale with no reward in reach is identified
    # but says nothing about the cashier.
    assert (adoption["identified"], adoption["rewards_offered"], adoption["rewards_applied"]) == (4, 3, 2)
    assert adoption["share"] == 0.667
    assert [(r["name"], r["identified"], r["rewards_offered"], r["rewards_applied"], r["share"])
            for r in adoption["registers"]] == [("Register 1", 3, 2, 1, 0.5), ("Register 2", 1, 1, 1, 1.0)]
    assert [(c["name"], c["share"]) for c in adoption["cashiers"]] == [("Ana K.", 0.5), ("Ben M.", 1.0)]


def test_seen_walking_in_counts_the_app_sales_the_agents_saw(api, world, day):
    till = _dashboard(api, world).get_json()["today"]["seen_at_till"]
    # Ana paid with the app's code at 09:25, in her visit (09:10-09:30), and at 10:30,
    # 10:45 and 11:05, with no visit of hers within 15 minutes (training and voided apart).
    assert till == {"paid_with_app": 4, "seen": 1, "share": 0.25, "attention": False}


def test_seen_walking_in_looks_at_each_visit_of_the_shopper(app, api, world, day):
    with app.app_context():
        s = db.session()
        # Ana came back at 10:55 for 5 minutes: it reaches her 10:45 and 11:05 sales (15
        # minutes either side), not the 10:30 one; her 09:10 visit still reaches 09:25.
        store_day.visit(s, day.shopper_ids["Ana"], world.store_ids[0], store_day.local(10, 55), 5)
        s.commit()
    till = _dashboard(api, world).get_json()["today"]["seen_at_till"]
    assert till == {"paid_with_app": 4, "seen": 3, "share": 0.75, "attention": False}


def test_too_few_seen_walking_in_asks_for_attention(app, api, world, day):
    with app.app_context():
        # Bo's visit today was in Munich (12:00-12:15): sales to him in Berlin at 12:05
        # were not seen walking in there.
        store_day.app_sales(world, day.shopper_ids["Bo"], store_day.local(12, 5), count=15)
        # Cem is in the store now (his visit open, last heard 2 minutes ago): seen. A sale
        # by his phone number proves no phone in the store: not counted.
        store_day.app_sales(world, day.shopper_ids["Cem"], NOW - dt.timedelta(minutes=1))
        store_day.app_sales(world, day.shopper_ids["Cem"], NOW, identified_by=BY_PHONE)
    till = _dashboard(api, world).get_json()["today"]["seen_at_till"]
    assert till == {"paid_with_app": 20, "seen": 2, "share": 0.1, "attention": True}
    # Munich's manager sees Munich's: no sale there.
    munich = _dashboard(api, world, key="other_manager", store=1).get_json()["today"]["seen_at_till"]
    assert munich == {"paid_with_app": 0, "seen": 0, "share": None, "attention": False}


def test_agent_health(api, world, day):
    agents = {a["label"]: a for a in _dashboard(api, world).get_json()["agents"]}
    assert agents["Front door"]["healthy"] is True
    assert agents["Front door"]["seconds_since_heartbeat"] == 40
    assert (agents["Front door"]["queue_depth"], agents["Front door"]["adverts_per_second"]) == (3, 12.5)
    assert agents["Back door"]["healthy"] is False
    assert agents["Back door"]["queue_depth"] == 250
    assert (agents["Front door"]["refused_events"], agents["Front door"]["last_refusal_code"]) == (0, None)
    assert (agents["Back door"]["refused_events"], agents["Back door"]["last_refusal_code"]) == (
        3, "invalid_request")


def test_another_store_sees_none_of_it(api, world, day):
    munich = _dashboard(api, world, key="other_manager", store=1).get_json()
    assert munich["today"]["walk_ins"] == 1  # Bo's visit in Munich
    assert munich["today"]["adoption"]["identified"] == 0
    assert munich["agents"] == []


@pytest.mark.parametrize(("key", "store", "status"), [
    ("other_manager", 0, 403),  # a manager of another store
    ("cashier", 0, 403),  # cashiers do not see the dashboard
    ("admin", 0, 200),  # head office sees every store
    ("admin", 1, 200),
])
def test_who_may_see_the_dashboard(api, world, day, key, store, status):
    assert _dashboard(api, world, key=key, store=store).status_code == status
    chart = api.get(f"/v1/admin/stores/{world.store_ids[store]}/charts/walk-ins.svg",
                    auth=world.keys[key])
    assert chart.status_code == status


def test_shoppers_and_strangers_cannot_call_it(api, world, day):
    path = f"/v1/admin/stores/{world.store_ids[0]}/dashboard"
    assert api.get(path, auth=day.tokens["Ana"]).status_code == 403
    assert api.get(path).status_code == 401
    assert api.get(path, auth="sk_forged").status_code == 401


def test_bad_questions_get_clear_answers(api, world, day):
    for days in (0, 32, "x"):
        response = _dashboard(api, world, days=days)
        assert response.status_code == 400
        assert response.get_json()["error"]["code"] == "invalid_request"
    missing = api.get("/v1/admin/stores/9999/dashboard", auth=world.keys["admin"])
    assert missing.get_json()["error"]["code"] == "store_not_found"
    chart = api.get(f"/v1/admin/stores/{world.store_ids[0]}/charts/pie.svg", auth=world.keys["manager"])
    assert chart.status_code == 404
    assert chart.get_json()["error"]["code"] == "not_found"


@pytest.mark.parametrize(("chart", "title", "bars"), [
    ("walk-ins", "Walk-ins per hour", 3 + 3),  # today 3 hours; the average day the same 3
    ("points", "Points issued per day", 3),  # corner-points on 2 days, partner-plus on 1
    ("adoption", "Cashier adoption", 2),  # two cashiers
])
def test_charts_are_svg_pictures_of_the_figures(api, world, day, chart, title, bars):
    response = api.get(f"/v1/admin/stores/{world.store_ids[0]}/charts/{chart}.svg",
                       auth=world.keys["manager"])
    assert response.status_code == 200
    assert response.mimetype == "image/svg+xml"
    svg = ET.fromstring(response.get_data(as_text=True))
    assert svg.tag == f"{SVG}svg"
    texts = " ".join(t.text or "" for t in svg.iter(f"{SVG}text"))
    assert title in texts
    drawn = [r for r in svg.iter(f"{SVG}rect") if "rect" in (r.get("class") or "").split()
             and float(r.get("height", 0)) > 0 and float(r.get("width", 0)) > 0]
    assert len(drawn) == bars
    assert not list(svg.iter(f"{SVG}script"))


def test_charts_speak_the_managers_language(api, world, day):
    response = api.get(f"/v1/admin/stores/{world.store_ids[0]}/charts/points.svg",
                       auth=world.keys["manager"], headers={"Accept-Language": "de"})
    svg = ET.fromstring(response.get_data(as_text=True))
    texts = [t.text or "" for t in svg.iter(f"{SVG}text")]
    assert "Vergebene Punkte pro Tag" in texts
    # Days as German writes them (Mo., Di., ...), never English day names.
    days = [text for text in texts if text[:2] in ("Mo", "Di", "Mi", "Do", "Fr", "Sa", "So")]
    assert days and all(text.split()[0].endswith(".") for text in days)
    assert not any(text.startswith(("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"))
                   for text in texts)
    walk_ins = api.get(f"/v1/admin/stores/{world.store_ids[0]}/charts/walk-ins.svg",
                       auth=world.keys["manager"], headers={"Accept-Language": "pt-PT"})
    texts = [t.text or "" for t in ET.fromstring(walk_ins.get_data(as_text=True)).iter(f"{SVG}text")]
    assert "Entradas por hora" in texts and "Hoje" in texts
