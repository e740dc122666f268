"""Products and assortments: looking products up and importing a store's assortment.

Assortment import is all or nothing: every row of the file is checked first, and if
any row is wrong the report names each bad line and nothing is written. A store
manager fixes the file and imports it again; a half-imported assortment would leave
shelves and campaigns out of step with no way to tell which half went in.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from rewards_api.audit import services as audit
from rewards_api.audit.services import Actor
from rewards_api.errors import ApiError
from rewards_api.languages import LANGUAGES
from rewards_api.localized import services as localized
from rewards_api.products import gtin
from rewards_api.products.models import Product, StoreProduct
from rewards_api.stores.models import Store

# name_de, name_pt, ...: the product's name in more languages (rewards_api.localized).
NAME_COLUMNS = {f"name_{language}": language for language in LANGUAGES}
CSV_COLUMNS = ("gtin", "name", "aisle", "picture_url", *NAME_COLUMNS)
REQUIRED_COLUMNS = ("gtin", "name")
BAD_LINE = "assortment_invalid"  # a bad line's code; its sentence says what is wrong


@dataclass(frozen=True)
class AssortmentRow:
    line: int
    gtin: str  # 14 digits
    name: str
    aisle: str | None
    picture_url: str | None
    # By language; None: the file has no name_* column (translations stay as they are).
    names: dict[str, str] | None = None


@dataclass(frozen=True)
class RowError:
    line: int
    message: str


def product_by_gtin(s: Session, gtin14: str) -> Product | None:
    return s.scalars(select(Product).where(Product.gtin == gtin14)).first()


def parse_assortment(lines: Iterable[str]) -> tuple[list[AssortmentRow], list[RowError]]:
    """Read an assortment CSV (header ``gtin,name[,aisle][,picture_url]``, and
    ``name_de``, ``name_pt``... for the name in more languages).

    Returns the good rows and one error per bad line (line numbers as an editor shows
    them, the header being line 1). A GTIN may appear once per file.
    """
    reader = csv.DictReader(lines)
    header = reader.fieldnames or []
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    unknown = [c for c in header if c not in CSV_COLUMNS]
    if missing or unknown:
        problems = ([f"missing column(s) {', '.join(missing)}"] if missing else []) + \
                   ([f"unknown column(s) {', '.join(unknown)}"] if unknown else [])
        return [], [RowError(1, f"{'; '.join(problems)}; the header is "
                                f"{','.join(CSV_COLUMNS)} (aisle and picture_url optional)")]
    rows: list[AssortmentRow] = []
    errors: list[RowError] = []
    first_line: dict[str, int] = {}
    for record in reader:
        line = reader.line_num
        if None in record:  # more fields than the header has
            errors.append(RowError(line, f"too many fields; expected {len(header)}"))
            continue
        try:
            row = _row(line, record)
        except ApiError as exc:
            errors.append(RowError(line, exc.english))
            continue
        if row.gtin in first_line:
            errors.append(RowError(line, f"GTIN {gtin.display(row.gtin)} is already on line "
                                         f"{first_line[row.gtin]}"))
            continue
        first_line[row.gtin] = line
        rows.append(row)
    return rows, errors


def _row(line: int, record: dict[str, str | None]) -> AssortmentRow:
    """One good row, or ``ApiError("assortment_invalid")`` with the line's problem as
    its sentence (``parse_assortment`` lists them)."""
    raw_code = (record.get("gtin") or "").strip()
    try:
        code = gtin.normalize(raw_code)
    except gtin.BadCheckDigit as exc:
        raise ApiError(BAD_LINE, "GTIN %(code)s has a wrong check digit.",
                       params={"code": raw_code}) from exc
    except gtin.NotAGtin as exc:
        raise ApiError(BAD_LINE, "%(code)s is not a GTIN (8, 12, 13 or 14 digits).",
                       params={"code": raw_code}) from exc
    name = (record.get("name") or "").strip()
    if not name:
        raise ApiError(BAD_LINE, "The name is empty.")
    if len(name) > 200:
        raise ApiError(BAD_LINE, "The name is longer than 200 characters.")
    aisle = (record.get("aisle") or "").strip() or None
    if aisle and len(aisle) > 100:
        raise ApiError(BAD_LINE, "The aisle is longer than 100 characters.")
    picture_url = (record.get("picture_url") or "").strip() or None
    if picture_url:
        parts = urlsplit(picture_url)
        if parts.scheme != "https" or not parts.netloc or len(picture_url) > 500:
            raise ApiError(BAD_LINE, "The picture_url must be an https:// address of at most "
                                     "500 characters.")
    return AssortmentRow(line, code, name, aisle, picture_url, _names(record))


def _names(record: dict[str, str | None]) -> dict[str, str] | None:
    if not any(column in record for column in NAME_COLUMNS):
        return None
    names = {language: (record.get(column) or "").strip()
             for column, language in NAME_COLUMNS.items()}
    if any(len(name) > 200 for name in names.values()):
        raise ApiError(BAD_LINE, "A name is longer than 200 characters.")
    return {language: name for language, name in names.items() if name}


def carry(s: Session, store_id: int, row: AssortmentRow) -> StoreProduct:
    """Make the product exist (name and picture as in ``row``) and be carried by the
    store at ``row.aisle``. Flushes."""
    product = product_by_gtin(s, row.gtin)
    if product is None:
        product = Product(gtin=row.gtin, name=row.name, picture_url=row.picture_url)
        s.add(product)
        s.flush()
    else:
        product.name = row.name
        product.picture_url = row.picture_url or product.picture_url
    localized.set_names(s, localized.PRODUCT, product.id, row.names)
    placed = s.scalars(select(StoreProduct).where(StoreProduct.store_id == store_id,
                                                  StoreProduct.product_id == product.id)).first()
    if placed is None:
        placed = StoreProduct(store_id=store_id, product_id=product.id)
        s.add(placed)
    placed.aisle = row.aisle
    s.flush()
    return placed


def import_assortment(s: Session, actor: Actor, store: Store, lines: Iterable[str]) -> int:
    """Import an assortment CSV into ``store``, all or nothing (the module docstring);
    returns how many products. Bad lines: ``assortment_invalid`` whose details list
    ``{"line", "message"}`` for each."""
    rows, errors = parse_assortment(lines)
    if errors:
        raise ApiError("assortment_invalid", details={
            "lines": [{"line": e.line, "message": e.message} for e in errors]})
    gtins = [row.gtin for row in rows]
    names_before = _names_by_gtin(s, gtins)
    for row in rows:
        carry(s, store.id, row)
    before, after = _renamed(names_before, _names_by_gtin(s, gtins))
    audit.record(s, actor, audit.IMPORT, "products", store.code, store_id=store.id,
                 chain_id=store.chain_id, before=before,
                 after={"products": len(rows), "gtins": gtins[:100], **(after or {})})
    return len(rows)


def _renamed(before: dict[str, dict[str, str]], after: dict[str, dict[str, str]]
             ) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """The audit entry's ``names`` before and after of the products whose translated
    names the import changed (by GTIN, at most 100), or None when it changed none."""
    renamed = [code for code, names in after.items() if names != before.get(code, {})][:100]
    if not renamed:
        return None, None
    return ({"names": {code: before.get(code, {}) for code in renamed}},
            {"names": {code: after[code] for code in renamed}})


def _names_by_gtin(s: Session, gtins: list[str]) -> dict[str, dict[str, str]]:
    """The translated names of the products with these GTINs that exist, by GTIN."""
    ids: dict[int, str] = dict(s.execute(select(Product.id, Product.gtin)
                                         .where(Product.gtin.in_(gtins))).all())
    found = localized.all_names(s, localized.PRODUCT, ids)
    return {code: found.get(product_id, {}) for product_id, code in ids.items()}


def assortment_of(s: Session, store: Store) -> list[StoreProduct]:
    """What ``store`` carries, by product name."""
    return list(s.scalars(select(StoreProduct).join(Product, Product.id == StoreProduct.product_id)
                          .where(StoreProduct.store_id == store.id).order_by(Product.name)))


def assortment_csv(s: Session, placed: Iterable[StoreProduct]) -> str:
    """The assortment as the file ``import_assortment`` reads (``CSV_COLUMNS``, the names
    per language included), so that an export edited and imported again changes only
    what was edited."""
    placed = list(placed)
    translated = localized.all_names(s, localized.PRODUCT, [item.product.id for item in placed])
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for item in placed:
        names = translated.get(item.product.id, {})
        writer.writerow([item.product.gtin, item.product.name, item.aisle or "",
                         item.product.picture_url or "",
                         *(names.get(language, "") for language in NAME_COLUMNS.values())])
    return out.getvalue()


def products_by_gtin(s: Session, gtins: Iterable[str]) -> list[Product]:
    """The products with these 14-digit GTINs, in that order; ``product_not_found``
    names the first one missing."""
    found = []
    for code in gtins:
        product = product_by_gtin(s, code)
        if product is None:
            raise ApiError("product_not_found", "There is no product %(gtin)s; import it with "
                           "the store's assortment first.", params={"gtin": gtin.display(code)})
        found.append(product)
    return found
