"""Product and campaign names in the reader's language, over HTTP on SQLite and
PostgreSQL: the assortment file's ``name_de``/``name_pt`` columns and a campaign's
``names`` reach the app's list of what to scan and a scan's answer; shelf tags are
printed in the store's language whoever prints them."""

from __future__ import annotations

from sqlalchemy import update

from rewards_api import db
from rewards_api.stores.models import Store
from tests.support.scan_shop import COFFEE, GUM, shopper_at

ASSORTMENT = ("gtin,name,aisle,name_de,name_pt\n"
              f"{COFFEE},Morning Coffee 500 g,\"Aisle 3, top shelf\",Morgenkaffee 500 g,"
              "Café da manhã 500 g\n")


def _names(api, world, shop) -> None:
    imported = api.post(f"/v1/admin/stores/{shop.berlin}/products", auth=world.keys["manager"],
                        json={"csv": ASSORTMENT})
    assert imported.status_code == 200, imported.get_json()
    changed = api.call("PATCH", f"/v1/admin/campaigns/{shop.campaigns['coffee-week']}",
                       auth=world.keys["manager"],
                       json={"names": {"de": "Kaffeewoche", "pt": "Semana do café"}})
    assert changed.status_code == 200, changed.get_json()
    assert changed.get_json()["names"] == {"de": "Kaffeewoche", "pt": "Semana do café"}
    assert changed.get_json()["name"] == "Coffee week"


def _listed(api, auth, store_id, language):
    products = api.get(f"/v1/stores/{store_id}/scan-products", auth=auth,
                       headers={"Accept-Language": language}).get_json()["products"]
    return {p["product"]["gtin"]: (p["product"]["name"], p["campaign_name"]) for p in products
            if p["campaign"] == "coffee-week"}


def test_what_to_scan_names_products_and_campaigns_in_the_shoppers_language(api, app, world,
                                                                            shop, clock):
    _names(api, world, shop)
    sam = shopper_at(api, app, clock, shop.berlin)
    coffee, gum = COFFEE.zfill(14), GUM.zfill(14)
    assert _listed(api, sam["token"], shop.berlin, "pt-PT") == {
        coffee: ("Café da manhã 500 g", "Semana do café"),
        gum: ("Mint Gum", "Semana do café")}  # no Portuguese name: as typed
    assert _listed(api, sam["token"], shop.berlin, "de") == {
        coffee: ("Morgenkaffee 500 g", "Kaffeewoche"), gum: ("Mint Gum", "Kaffeewoche")}
    assert _listed(api, sam["token"], shop.berlin, "en") == {
        coffee: ("Morning Coffee 500 g", "Coffee week"), gum: ("Mint Gum", "Coffee week")}

    scanned = api.post("/v1/me/scans", auth=sam["token"], headers={"Accept-Language": "pt"},
                       json={"store_id": shop.berlin, "code": COFFEE, "symbology": "ean13"})
    assert scanned.status_code == 201, scanned.get_json()
    assert scanned.get_json()["product"]["name"] == "Café da manhã 500 g"

    # An assortment file without name columns leaves the translations as they are.
    again = api.post(f"/v1/admin/stores/{shop.berlin}/products", auth=world.keys["manager"],
                     json={"csv": f"gtin,name\n{COFFEE},Morning Coffee 500 g\n"})
    assert again.status_code == 200
    assert _listed(api, sam["token"], shop.berlin, "de")[coffee][0] == "Morgenkaffee 500 g"


def _tags(api, world, shop, language: str) -> bytes:
    page = api.get(f"/v1/stores/{shop.berlin}/shelf-tags?format=png&page=1",
                   auth=world.keys["manager"], headers={"Accept-Language": language})
    assert page.status_code == 200
    return bytes(page.data)


def _store_speaks(app, shop, language: str) -> None:
    with app.app_context():
        db.session().execute(update(Store).where(Store.id == shop.berlin)
                             .values(language=language))
        db.session().commit()


def test_shelf_tags_are_printed_in_the_stores_language_whoever_prints_them(api, app, world,
                                                                           shop, clock):
    _names(api, world, shop)
    _store_speaks(app, shop, "de")
    german = _tags(api, world, shop, "en")
    assert _tags(api, world, shop, "pt") == german  # the manager's browser does not matter
    _store_speaks(app, shop, "pt")
    portuguese = _tags(api, world, shop, "de")
    _store_speaks(app, shop, "en")
    english = _tags(api, world, shop, "de")
    assert len({german, portuguese, english}) == 3
