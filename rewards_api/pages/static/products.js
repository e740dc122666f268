/* A store's assortment: GET /v1/admin/stores/{id}/products (searched here), its CSV
   export (.../products.csv) and import (POST .../products, all or nothing, each bad
   line listed), with the key of this tab. */
"use strict";

(() => {
  const { call, el, say, describe, staffAccess, t } = Api;
  const $ = (id) => document.getElementById(id);
  let session = null; // {key, store: {id, code}, products: [...]}

  function row(product) {
    return el("tr", { "data-gtin": product.gtin },
      el("th", { scope: "row", text: product.name }),
      el("td", { text: product.gtin }),
      el("td", { text: product.aisle || "–" }));
  }

  function draw() {
    const words = $("products-search").value.trim().toLowerCase().split(/\s+/).filter(Boolean);
    const found = session.products.filter((p) => {
      const text = `${p.name} ${p.gtin} ${p.aisle || ""}`.toLowerCase();
      return words.every((word) => text.includes(word));
    });
    $("products-count").textContent = t("%(shown)s of %(all)s products", {
      shown: Api.number(found.length), all: Api.number(session.products.length) });
    $("products-table").replaceChildren(BackOffice.table(t("What the store carries"),
      [t("Product"), t("Barcode number"), t("Aisle")], found.map(row),
      session.products.length ? t("No product matches") : t("No products yet")));
  }

  async function refresh() {
    const { products } = await call("GET", `/v1/admin/stores/${session.store.id}/products`,
      { auth: session.key });
    session.products = products;
    draw();
  }

  async function show(key, storeId) {
    const { stores } = await call("GET", "/v1/stores");
    session = { key, store: stores.find((s) => s.id === storeId), products: [] };
    $("import-errors").hidden = true;
    await refresh();
    $("board").hidden = false;
  }

  async function importFile(event) {
    event.preventDefault();
    $("import-errors").hidden = true;
    const text = await $("import-file").files[0].text();
    try {
      const done = await call("POST", `/v1/admin/stores/${session.store.id}/products`,
        { json: { csv: text }, auth: session.key });
      $("import-form").reset();
      await refresh();
      say(t("%(count)s products imported.", { count: Api.number(done.imported) }));
    } catch (error) {
      const lines = (error.details && error.details.lines) || [];
      if (lines.length) {
        $("import-error-lines").replaceChildren(...lines.map((bad) =>
          el("li", { "data-line": bad.line, text: t("Line %(line)s: %(message)s", bad) })));
        $("import-errors").hidden = false;
      }
      say(describe(error), "error");
    }
  }

  $("products-search").addEventListener("input", draw);
  $("import-form").addEventListener("submit", importFile);
  $("products-export").addEventListener("click", () =>
    Api.download(session.key, `/v1/admin/stores/${session.store.id}/products.csv`,
      `products-${session.store.code}.csv`)
      .then(() => say(t("The CSV is downloaded.")))
      .catch((error) => say(error.message, "error")));
  staffAccess(show);
})();
