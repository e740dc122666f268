"""``rewards-api products import``, ``campaigns`` and ``codes decode`` on both backends."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

from rewards_api import db
from rewards_api.products.models import Product, StoreProduct
from rewards_api.scans.models import ScanCampaign
from tests.support.barcodes import Conditions, blank_photo, photo, render, unclear_photo

GOOD = """gtin,name,aisle,picture_url
4006381333931,Morning Coffee 500 g,Aisle 3,https://img.example.com/coffee.jpg
036000291452,Cola Classic 1 l,Aisle 7,
96385074,Mint Gum,,
"""

BAD = """gtin,name,aisle,picture_url
4006381333931,Morning Coffee 500 g,Aisle 3,
4006381333932,Wrong check digit,Aisle 1,
04006381333931,Coffee again as GTIN-14,Aisle 7,
12345,Too short,,
96385074,,Aisle 2,
5000112000764,Tea,Aisle 3,http://insecure.example.com/tea.jpg
8712345678906,Cheese,Aisle 9,,extra
"""


def product_count(app) -> int:
    with app.app_context():
        return db.session().scalar(select(func.count()).select_from(Product)) or 0


def test_import_a_good_file_and_again_with_changes(app, world, tmp_path: Path):
    runner = app.test_cli_runner()
    path = tmp_path / "berlin.csv"
    path.write_text(GOOD)
    result = runner.invoke(args=["products", "import", str(path), "--store", "berlin-1"])
    assert result.exit_code == 0, result.output
    assert "3 product(s) imported into berlin-1" in result.output
    path.write_text("gtin,name,aisle\n0036000291452,Cola Classic 1 l,Aisle 8\n")
    assert runner.invoke(args=["products", "import", str(path), "--store", "berlin-1"]).exit_code == 0
    with app.app_context():
        s = db.session()
        placed = {p.product.gtin: p.aisle for p in s.scalars(select(StoreProduct))}
        assert placed == {"04006381333931": "Aisle 3", "00036000291452": "Aisle 8",
                          "00000096385074": None}
        coffee = s.scalars(select(Product).where(Product.gtin == "04006381333931")).one()
        assert coffee.picture_url == "https://img.example.com/coffee.jpg"


def test_a_file_with_bad_rows_names_each_line_and_imports_nothing(app, world, tmp_path: Path):
    path = tmp_path / "bad.csv"
    path.write_text(BAD)
    result = app.test_cli_runner().invoke(args=["products", "import", str(path), "--store", "berlin-1"])
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if line.startswith(str(path))]
    assert [line.split(":")[1] for line in lines] == ["3", "4", "5", "6", "7", "8"]
    assert "wrong check digit" in lines[0]
    assert "already on line 2" in lines[1]
    assert "6 bad line(s); nothing was imported" in result.output
    assert product_count(app) == 0


def test_a_file_with_a_wrong_header_is_refused(app, world, tmp_path: Path):
    path = tmp_path / "header.csv"
    path.write_text("ean;title\n4006381333931;Coffee\n")
    result = app.test_cli_runner().invoke(args=["products", "import", str(path), "--store", "berlin-1"])
    assert result.exit_code == 1 and ":1: missing column(s) gtin, name" in result.output
    assert product_count(app) == 0


def test_create_and_list_campaigns(app, world, tmp_path: Path):
    runner = app.test_cli_runner()
    path = tmp_path / "berlin.csv"
    path.write_text(GOOD)
    runner.invoke(args=["products", "import", str(path), "--store", "berlin-1"])
    common = ["--starts", "2026-12-01T00:00+01:00", "--ends", "2026-12-08T00:00+01:00",
              "--points", "25", "--product", "4006381333931"]
    created = runner.invoke(args=["campaigns", "create", "advent", "--name", "Advent coffee",
                                  "--program", "corner-points", "--store", "berlin-1",
                                  "--budget", "1000", *common])
    assert created.exit_code == 0, created.output
    wrong = runner.invoke(args=["campaigns", "create", "x", "--name", "X", "--program",
                                "corner-points", "--store", "berlin-1", "--chain", "corner", *common])
    assert wrong.exit_code == 1 and "either stores or a whole chain" in wrong.output
    unknown = runner.invoke(args=["campaigns", "create", "y", "--name", "Y", "--program",
                                  "partner-plus", "--chain", "corner", *common[:-1], "5000112000764"])
    assert unknown.exit_code == 1 and "no product 5000112000764" in unknown.output
    listed = runner.invoke(args=["campaigns", "list"])
    assert "advent\tcorner-points\t25 pts" in listed.output and "awarded 0/1000" in listed.output
    with app.app_context():
        assert db.session().scalar(select(func.count()).select_from(ScanCampaign)) == 1


def test_codes_decode_prints_one_line_per_picture(app, tmp_path: Path):
    package = tmp_path / "package.jpg"
    package.write_bytes(photo(render("ean13", "4006381333931"), Conditions(angle=30)))
    tag = tmp_path / "tag.png"
    tag.write_bytes(photo(render("qr", "96385074"), Conditions(width=0.25), fmt="PNG"))
    shelf = tmp_path / "shelf.jpg"
    shelf.write_bytes(blank_photo())
    blurred = tmp_path / "blurred.jpg"
    blurred.write_bytes(unclear_photo())
    result = app.test_cli_runner().invoke(args=["codes", "decode", str(package), str(tag), str(shelf),
                                                str(blurred)])
    assert result.output.splitlines() == [f"{package}\tean13\t4006381333931",
                                          f"{tag}\tqr\t96385074",
                                          f"{shelf}\tunreadable",
                                          f"{blurred}\tunclear"]
    assert result.exit_code == 1
