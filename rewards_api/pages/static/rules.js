/* Walk-in rules of a store and earn rules of its programs: GET/POST
   /v1/admin/walk-in-rules, POST .../{id}/end, GET/POST /v1/admin/earn-rules, with the
   key of this tab. Under each form, the API's sentence of what the rule will do
   (GET .../preview), asked again as the form changes. */
"use strict";

(() => {
  const { call, el, say, describe, staffAccess, t } = Api;
  const $ = (id) => document.getElementById(id);
  let session = null; // {key, store: {id, code}, programs: {code: program}}

  const query = (fields) => new URLSearchParams(Object.entries(fields)
    .filter(([, value]) => value !== "" && value !== null && value !== undefined)).toString();

  const STATES = { ended: t("ended"), planned: t("planned"), running: t("running") };

  function walkInRow(rule) {
    const end = rule.state === "ended" || !session.programs[rule.program]?.pays ? ""
      : el("button", { type: "button", class: "secondary", "data-end": rule.id, text: t("End"),
        "aria-label": t("End the walk-in rule %(id)s", { id: rule.id }) });
    return el("tr", { "data-rule": rule.id },
      el("td", { text: rule.preview }),
      el("td", { text: STATES[rule.state] || rule.state }),
      el("td", {}, end));
  }

  function earnRow(rule) {
    return el("tr", { "data-program": rule.program, "data-gtin": rule.gtin || "base" },
      el("td", { text: rule.preview }),
      el("td", { text: session.programs[rule.program]?.name || rule.program }));
  }

  async function refresh() {
    const store = encodeURIComponent(session.store.code);
    const [{ walk_in_rules: walkIns }, { earn_rules: earns }] = await Promise.all([
      call("GET", `/v1/admin/walk-in-rules?store=${store}`, { auth: session.key }),
      call("GET", "/v1/admin/earn-rules", { auth: session.key })]);
    $("walk-in-table").replaceChildren(BackOffice.table(t("Walk-in rules"),
      [t("What it does"), t("State"), ""], walkIns.slice().reverse().map(walkInRow),
      t("No walk-in rules yet")));
    $("earn-table").replaceChildren(BackOffice.table(t("Earn rules"),
      [t("What it does"), t("Program")], earns.map(earnRow), t("No earn rules yet")));
  }

  async function show(key, storeId) {
    const [{ stores }, programs] = await Promise.all([call("GET", "/v1/stores"), BackOffice.programs(key)]);
    session = { key, store: stores.find((s) => s.id === storeId),
      programs: Object.fromEntries(programs.map((p) => [p.code, p])) };
    $("walk-in-form").hidden = !BackOffice.choose($("walk-in-program"), programs.filter((p) => p.pays));
    const catalog = BackOffice.choose($("earn-program"), programs.filter((p) => p.catalog));
    $("earn-form").hidden = !catalog;
    $("earn-read-only").hidden = catalog;
    await refresh();
    $("board").hidden = false;
  }

  function walkInFields() {
    return { program: $("walk-in-program").value, store: session.store.code,
      points: $("walk-in-points").value, daily_budget: $("walk-in-budget").value,
      starts_on: $("walk-in-first").value, ends_on: $("walk-in-last").value };
  }

  function earnFields() {
    const gtin = $("earn-product").value.trim();
    return gtin ? { program: $("earn-program").value, gtin, multiplier: $("earn-multiplier").value }
      : { program: $("earn-program").value, points_per_unit: $("earn-rate").value };
  }

  const asJson = (fields) => Object.fromEntries(Object.entries(fields)
    .filter(([, value]) => value !== "")
    .map(([name, value]) => [name, /^\d+$/.test(value) && !["gtin", "store", "program"].includes(name)
      ? Number(value) : value]));

  function submitter(form, path, fields, done) {
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      try {
        const made = await call("POST", path, { json: asJson(fields()), auth: session.key });
        await refresh();
        say(done(made));
      } catch (error) {
        say(describe(error), "error");
      }
    });
  }

  const walkInPreview = BackOffice.preview($("walk-in-form"), $("walk-in-preview"), () =>
    call("GET", `/v1/admin/walk-in-rules/preview?${query(walkInFields())}`, { auth: session.key }));
  const earnPreview = BackOffice.preview($("earn-form"), $("earn-preview"), () =>
    call("GET", `/v1/admin/earn-rules/preview?${query(earnFields())}`, { auth: session.key }));
  submitter($("walk-in-form"), "/v1/admin/walk-in-rules", walkInFields,
    (rule) => t("Walk-in rule created: %(preview)s", { preview: rule.preview }));
  submitter($("earn-form"), "/v1/admin/earn-rules", earnFields,
    (rule) => t("Earn rule set: %(preview)s", { preview: rule.preview }));

  $("walk-in-table").addEventListener("click", async (event) => {
    const button = event.target.closest("[data-end]");
    if (!button) return;
    if (!window.confirm(t("End this walk-in rule? It stops after yesterday."))) return;
    try {
      await call("POST", `/v1/admin/walk-in-rules/${button.dataset.end}/end`, { json: {}, auth: session.key });
      await refresh();
      say(t("The walk-in rule is ended."));
    } catch (error) {
      say(describe(error), "error");
    }
  });

  staffAccess(async (key, storeId) => {
    await show(key, storeId);
    if (!$("walk-in-form").hidden && $("walk-in-points").value) walkInPreview();
    if (!$("earn-form").hidden) earnPreview();
  });
})();
