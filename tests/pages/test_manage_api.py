"""The back office's reports on both backends: the chain view and the measured success
(figures on the seeded store day, refusals recorded where shoppers meet them, the
baseline of the previous 4 weeks), who may see them, and their CSV."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from sqlalchemy import event, select

from rewards_api import db
from rewards_api.products.models import Product
from rewards_api.refusals.models import Refusal
from rewards_api.scans import campaigns
from rewards_api.stores.models import Store
from rewards_api.stores.services import program_by_code
from tests.pages.store_day import COFFEE, NOW
from tests.support.world import build_other_chain, setup_actor, staff_key

WEEK = "from=2026-11-17&to=2026-11-23"
TODAY = "from=2026-11-23&to=2026-11-23"


def _chain(api, key, query=TODAY):
    response = api.get(f"/v1/admin/chain?{query}", auth=key)
    assert response.status_code == 200, response.get_json()
    return {row["store"]: row for row in response.get_json()["stores"]}


def test_chain_view_puts_every_store_side_by_side(api, world, results_day):
    stores = _chain(api, world.keys["admin"])
    berlin, munich = stores["berlin-1"], stores["munich-1"]
    assert (berlin["walk_ins"], berlin["scans"], berlin["scans_per_visit"]) == (3, 1, 0.33)
    assert berlin["redemptions"] == 1
    # Five real sales identified the shopper (training and voided apart); of the four
    # with a reward within reach, the cashier applied rewards in three.
    assert (berlin["checkouts_with_app"], berlin["cashier_adoption"]) == (5, 0.75)
    # All five with the app's checkout code: Ana's at 09:25 in her visit and Cem's, in
    # the store now, were seen walking in; Ana's three later ones were not.
    assert berlin["seen_at_till"] == {"paid_with_app": 5, "seen": 2, "share": 0.4, "attention": False}
    assert munich["seen_at_till"] == {"paid_with_app": 0, "seen": 0, "share": None, "attention": False}
    # The back door stopped its heartbeats and set refused events aside.
    assert (berlin["agents"], berlin["agents_needing_attention"]) == (2, 1)
    assert (munich["walk_ins"], munich["scans_per_visit"], munich["cashier_adoption"]) == (1, 0.0, None)
    assert (munich["agents"], munich["agents_needing_attention"]) == (0, 0)
    assert (berlin["nearby"], munich["nearby"]) == (12, 0)  # app phones the front door heard
    assert _chain(api, world.keys["admin"], WEEK)["berlin-1"]["walk_ins"] == 4  # and yesterday's


@pytest.mark.parametrize("days", [1, 7])
def test_chain_view_agrees_with_each_store_dashboard(api, world, results_day, days):
    """The chain view counts many stores at once; its rules are the dashboard's."""
    for index, store in enumerate(["berlin-1", "munich-1"]):
        board = api.get(f"/v1/admin/stores/{world.store_ids[index]}/dashboard?days={days}",
                        auth=world.keys["admin"]).get_json()
        period = board["last_days"]
        line = _chain(api, world.keys["admin"], f"from={period['first_day']}&to={period['last_day']}")[store]
        agents = board["agents"]
        line.pop("nearby")  # the agents' heartbeats, not on the dashboard
        assert line == {
            "store": store, "name": board["store"]["name"], "timezone": board["store"]["timezone"],
            "walk_ins": period["walk_ins"], "scans": period["scans"],
            "scans_per_visit": period["scans_per_visit"],
            "redemptions": sum(p["redemptions"] for p in period["programs"]),
            "checkouts_with_app": period["adoption"]["identified"],
            "cashier_adoption": period["adoption"]["share"],
            "seen_at_till": period["seen_at_till"],
            "agents": len(agents),
            "agents_needing_attention": sum(
                not a["healthy"] or bool(a["refused_events"])
                or any(x["attention"] for x in a["calibration"]["advice"])
                for a in agents)}


def test_chain_view_is_for_chain_admins_of_that_chain_only(app, api, world, results_day):
    with app.app_context():
        other = build_other_chain(world)
        db.session().commit()
    for key in (world.keys["manager"], world.keys["cashier"]):
        refused = api.get(f"/v1/admin/chain?{TODAY}", auth=key)
        assert refused.status_code == 403
        assert refused.get_json()["error"]["code"] == "forbidden"
    # A chain admin sees their chain's stores and never another chain's.
    assert sorted(_chain(api, world.keys["chain_admin"])) == ["berlin-1", "munich-1"]
    assert sorted(_chain(api, other.keys["admin"])) == ["lisbon-1"]
    assert api.get("/v1/admin/chain?chain=fresh", auth=world.keys["chain_admin"]).status_code == 403
    # Head office sees every chain, or the one it names.
    assert sorted(_chain(api, world.keys["admin"])) == ["berlin-1", "lisbon-1", "munich-1"]
    assert sorted(_chain(api, world.keys["admin"], "chain=fresh")) == ["lisbon-1"]
    missing = api.get("/v1/admin/chain?chain=nowhere", auth=world.keys["admin"])
    assert missing.get_json()["error"]["code"] == "chain_not_found"


@pytest.mark.parametrize("query", ["from=2026-11-23&to=2026-11-01", "from=2026-01-01&to=2026-12-31",
                                   "from=yesterday", "to=1999-12-31", "store=" + "x" * 41])
def test_bad_periods_are_refused_with_a_code(api, world, query):
    paths = ["/v1/admin/results", "/v1/admin/results.csv"]
    if not query.startswith("store"):
        paths += ["/v1/admin/chain", "/v1/admin/chain.csv"]
    for path in paths:
        response = api.get(f"{path}?{query}", auth=world.keys["admin"])
        assert response.status_code == 400, (path, query)
        assert response.get_json()["error"]["code"] == "invalid_request"


def _berlin_results(api, key, query=WEEK):
    response = api.get(f"/v1/admin/results?{query}", auth=key)
    assert response.status_code == 200, response.get_json()
    return {row["store"]: row for row in response.get_json()["stores"]}


def test_funnel_against_the_previous_four_weeks(api, world, results_day):
    berlin = _berlin_results(api, world.keys["manager"])["berlin-1"]
    assert (berlin["baseline_from"], berlin["baseline_to"]) == ("2026-10-20", "2026-11-16")
    funnel = berlin["funnel"]
    # 20 app phones nearby this week; 28 in the 28 days before, i.e. 7.0 a week.
    assert funnel["nearby"] == {"value": 20, "baseline": 7.0, "change": 1.857}
    # 4 walk-ins this week; 4 in the 28 days before, i.e. 1.0 a week: +300 %.
    assert funnel["walk_ins"] == {"value": 4, "baseline": 1.0, "change": 3.0}
    assert funnel["scans"] == {"value": 1, "baseline": 0.0, "change": None}
    assert (funnel["checkouts_with_app"]["value"], funnel["checkouts_with_rewards"]["value"]) == (5, 3)
    failed = {r["code"]: r for r in berlin["refusals"]}
    # Ana's scan outside the store, recorded by the scan endpoint; two in the baseline.
    assert (failed["not_in_store"]["value"], failed["not_in_store"]["baseline"]) == (1, 0.5)
    assert failed["checkout_code_expired"]["value"] == 1  # at Berlin's register
    assert failed["barcode_unclear"]["value"] == 0


def test_campaign_funnel(api, world, results_day):
    berlin = _berlin_results(api, world.keys["manager"])["berlin-1"]
    (campaign,) = berlin["campaigns"]
    assert campaign["campaign"] == "coffee-week"
    funnel = {stage: f["value"] for stage, f in campaign["funnel"].items()}
    # Cem scanned the coffee, then paid with rewards; 4 walk-ins while it ran this week.
    # The 28 phones of the baseline were heard before it started: none while it ran.
    assert campaign["funnel"]["nearby"] == {"value": 20, "baseline": 0.0, "change": None}
    assert funnel == {"nearby": 20, "walk_ins": 4, "scans": 1, "scanning_shoppers": 1, "checkouts_with_rewards": 1}
    # It started 10 days ago: one walk-in of the baseline fell in its days (1 x 7/28).
    assert campaign["funnel"]["walk_ins"]["baseline"] == 0.25
    failed = {r["code"]: r["value"] for r in campaign["refusals"]}
    assert failed["not_in_store"] == 1  # the refused scan named the campaign's product
    assert failed["checkout_code_expired"] == 0  # no product: the store's, not the campaign's


def test_results_show_a_manager_only_their_store(api, world, results_day):
    assert list(_berlin_results(api, world.keys["manager"])) == ["berlin-1"]
    assert list(_berlin_results(api, world.keys["other_manager"])) == ["munich-1"]
    refused = api.get(f"/v1/admin/results?{WEEK}&store=berlin-1", auth=world.keys["other_manager"])
    assert refused.status_code == 403
    assert api.get(f"/v1/admin/results?{WEEK}", auth=world.keys["cashier"]).status_code == 403
    munich = _berlin_results(api, world.keys["other_manager"])["munich-1"]
    assert munich["campaigns"] == [] and munich["funnel"]["walk_ins"]["value"] == 1
    assert all(r["value"] == 0 for r in munich["refusals"])


def test_refusals_keep_no_shopper_and_only_real_stores(app, api, world, results_day):
    # A scan naming a store that does not exist is refused and leaves nothing behind.
    response = api.post("/v1/me/scans", auth=results_day.tokens["Bo"],
                        json={"store_id": 999999, "code": COFFEE[1:], "symbology": "ean13"})
    assert response.status_code == 404
    with app.app_context():
        rows = db.session().scalars(select(Refusal).order_by(Refusal.id)).all()
        assert [(r.code, r.gtin) for r in rows] == [
            ("not_in_store", COFFEE), ("not_in_store", COFFEE), ("not_in_store", COFFEE),
            ("checkout_code_expired", None)]
        assert {r.store_id for r in rows} == {world.store_ids[0]}
        assert not hasattr(Refusal, "shopper_id")


def _csv(response):
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith("attachment; filename=")
    return list(csv.reader(io.StringIO(response.get_data(as_text=True))))


def test_chain_csv_has_a_header_and_a_line_per_store(app, api, world, results_day):
    with app.app_context():  # a name that needs quoting
        db.session().get(Store, world.store_ids[1]).name = 'Munich "Center", Marienplatz'
        key = staff_key("admin", None, "Corner office", chain_id=world.chain_id)
        db.session().commit()
    response = api.get(f"/v1/admin/chain.csv?{TODAY}", auth=key)
    assert '"Munich ""Center"", Marienplatz"' in response.get_data(as_text=True)
    rows = _csv(response)
    header, *lines = rows
    assert header[:7] == ["store", "name", "from", "to", "nearby", "walk_ins", "scans"]
    by_store = {line[0]: dict(zip(header, line, strict=True)) for line in lines}
    assert sorted(by_store) == ["berlin-1", "munich-1"]
    assert by_store["munich-1"]["name"] == 'Munich "Center", Marienplatz'
    assert (by_store["berlin-1"]["walk_ins"], by_store["berlin-1"]["cashier_adoption"]) == ("3", "0.75")
    assert (by_store["berlin-1"]["nearby"], by_store["munich-1"]["nearby"]) == ("12", "0")
    assert by_store["munich-1"]["cashier_adoption"] == ""  # no sale: no share
    assert (by_store["berlin-1"]["paid_with_app"], by_store["berlin-1"]["seen_walking_in"]) == ("5", "0.4")
    assert by_store["munich-1"]["seen_walking_in"] == ""


def test_results_csv_has_a_line_per_figure(api, world, results_day):
    header, *lines = _csv(api.get(f"/v1/admin/results.csv?{WEEK}", auth=world.keys["manager"]))
    assert header == ["store", "campaign", "figure", "from", "to", "value", "baseline_from",
                      "baseline_to", "baseline", "change"]
    figures = {(line[1], line[2]): line for line in lines}
    assert figures[("", "walk_ins")][5:] == ["4", "2026-10-20", "2026-11-16", "1.0", "3.0"]
    assert figures[("", "nearby")][5:] == ["20", "2026-10-20", "2026-11-16", "7.0", "1.857"]
    assert figures[("coffee-week", "nearby")][5] == "20"
    assert figures[("", "refused:not_in_store")][5] == "1"
    assert figures[("coffee-week", "scanning_shoppers")][5] == "1"
    assert {line[0] for line in lines} == {"berlin-1"}


def test_defaults_to_the_last_seven_days(api, world, results_day):
    view = api.get("/v1/admin/results", auth=world.keys["manager"]).get_json()
    assert (view["from"], view["to"]) == ("2026-11-17", "2026-11-23")
    assert view["stores"][0]["funnel"]["walk_ins"]["value"] == 4


def test_period_is_in_store_time(api, world, results_day):
    # Yesterday in Berlin: only Ana's visit at 10:15 store time; today's 09:10 (08:10 UTC)
    # is not in it, nor is anything of the day before.
    days = _chain(api, world.keys["admin"], "from=2026-11-22&to=2026-11-22")
    assert (days["berlin-1"]["walk_ins"], days["munich-1"]["walk_ins"]) == (1, 0)


def test_shelf_tags_of_one_campaign(app, api, world, results_day):
    with app.app_context():
        s = db.session()
        tea = Product(gtin="04012345678901", name="Green tea 20 bags")
        s.add(tea)
        s.flush()
        campaigns.create_campaign(
            s, setup_actor(), code="tea-days", name="Tea days", program=program_by_code(s, "corner-points"),
            points=15, starts_at=NOW - dt.timedelta(days=1), ends_at=NOW + dt.timedelta(days=1),
            products=[tea], stores=[s.get(Store, world.store_ids[0])], chain=None)
        s.commit()

    def page(campaign=None):
        query = "format=png&page=1" + (f"&campaign={campaign}" if campaign else "")
        response = api.get(f"/v1/stores/{world.store_ids[0]}/shelf-tags?{query}",
                           auth=world.keys["manager"])
        assert response.status_code == 200
        return response.get_data()

    every, coffee, tea, none = page(), page("coffee-week"), page("tea-days"), page("no-such")
    assert len({every, coffee, tea, none}) == 4  # two tags, one, the other, a blank page


def test_every_section_has_its_page(api):
    from rewards_api.manage.sections import SECTIONS

    for section in SECTIONS:
        response = api.get(f"/manage/{section.slug}")
        assert response.status_code == 200, section.slug
        page = response.get_data(as_text=True)
        assert 'id="access-form"' in page and 'id="board"' in page, section.slug
        assert response.headers["Content-Security-Policy"].startswith("default-src 'self'")
    unknown = api.get("/manage/nothing-here")
    assert (unknown.status_code, unknown.get_json()["error"]["code"]) == (404, "not_found")


def test_every_back_office_page_speaks_the_language_asked_with_its_scripts_texts(api):
    """The shell, each section's scripts and their texts come from one list (``SCRIPTS``):
    the results and chain pages' script once loaded without its German texts."""
    import json
    import re

    from rewards_api.manage.sections import SECTIONS
    from rewards_api.pages.views import SCRIPTS

    for slug, template in [("", "manage/home.html")] + [(s.slug, s.template) for s in SECTIONS]:
        page = api.get(f"/manage/{slug}?lang=de".replace("/?", "?")).get_data(as_text=True)
        loaded = re.findall(r'<script src="/assets/([^"]+)"', page)
        assert loaded == ["api.js", *SCRIPTS[template]], slug
        texts = json.loads(re.search(r'<script id="texts" type="application/json">(.*?)</script>',
                                     page).group(1))
        assert texts and all(texts.values()), slug
        assert ">Aktionen</a>" in page and ">Ergebnisse</a>" in page  # the menu, in German
    assert json.loads(re.search(r'id="texts" type="application/json">(.*?)</script>', api.get(
        "/manage/results?lang=de").get_data(as_text=True)).group(1))["Nothing yet"] != "Nothing yet"
    home = api.get("/manage?lang=pt").get_data(as_text=True)
    assert "O que pode fazer aqui" in home and "Para: gerente, administração da cadeia." in home
    campaigns = api.get("/manage/campaigns?lang=de").get_data(as_text=True)
    assert "Aktion anlegen" in campaigns and "Create the campaign" not in campaigns


def _statements(app, api, key, query):
    """The SQL statements one results request sends (the key check's included)."""
    engine = app.extensions["rewards_db"].kw["bind"]
    sent = []

    def count(_conn, _cursor, statement, *_args):
        sent.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        assert api.get(f"/v1/admin/results?{query}", auth=key).status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return len(sent)


def test_results_of_a_whole_chain_take_as_many_queries_as_one_store(app, api, world, results_day):
    """Grouped queries: the results read every store with one query per table."""
    one_store = _statements(app, api, world.keys["admin"], WEEK + "&store=berlin-1")
    two_stores = _statements(app, api, world.keys["admin"], WEEK)
    with app.app_context():
        s = db.session()
        for n in range(20):
            s.add(Store(code=f"more-{n}", chain_id=world.chain_id, name=f"More {n}",
                        timezone="Europe/Lisbon" if n % 2 else "Europe/Berlin",
                        latitude=50.0, longitude=10.0))
        s.commit()
    many_stores = _statements(app, api, world.keys["admin"], WEEK)
    assert one_store >= two_stores - 1  # the store's code lookup
    assert many_stores == two_stores
    stores = _berlin_results(api, world.keys["admin"])
    assert len(stores) == 22 and stores["berlin-1"]["funnel"]["nearby"]["value"] == 20


def test_the_audit_page_carries_its_labels_in_the_pages_language(api):
    import json
    import re

    def labels(language):
        page = api.get(f"/manage/audit?lang={language}").get_data(as_text=True)
        found = re.search(r'<script id="page-data" type="application/json">(.*?)</script>', page)
        return json.loads(found.group(1))

    english, german = labels("en"), labels("de")
    assert english["resources"]["walk_in_rule"] == "Walk-in rule"
    assert english["fields"]["points_cost"] == "price in points"
    assert english["actions"]["close"] == "%(thing)s closed"
    # Translated where the page is drawn (entries keep their names as data).
    assert german["resources"]["store"] == "Geschäft" and german["resources"]["reward"] == "Prämie"
    assert set(german["fields"]) == set(english["fields"])
