/* Scan campaigns of a store: GET/POST /v1/admin/campaigns and POST .../{id}/end, with
   the manager key of this tab. */
"use strict";

(() => {
  const { call, el, say, describe, staffAccess, t, language, number } = Api;
  const $ = (id) => document.getElementById(id);
  let session = null; // {key, store: {id, code, program}, campaigns: {id: campaign}}

  const when = (iso) => new Date(iso).toLocaleString(language,
    { dateStyle: "medium", timeStyle: "short" });
  const ended = (c) => !c.running && new Date(c.ends_at) <= new Date();
  const state = (c) => (c.running ? t("running") : ended(c) ? t("ended") : t("planned"));

  function row(campaign) {
    const end = campaign.running
      ? el("button", { type: "button", class: "secondary", "data-end": campaign.id,
        text: t("End now"), "aria-label": t("End now: %(name)s", { name: campaign.name }) })
      : "";
    const change = ended(campaign) ? "" : el("button", { type: "button", class: "secondary",
      "data-change": campaign.id, text: t("Change"), "aria-label": t("Change %(name)s", { name: campaign.name }) });
    return el("tr", { "data-campaign": campaign.code },
      el("td", {}, campaign.name, BackOffice.names(campaign.names)),
      el("td", { text: campaign.products.map((p) => p.name).join(", ") }),
      el("td", { class: "num", text: number(campaign.points) }),
      el("td", { text: `${when(campaign.starts_at)} – ${when(campaign.ends_at)}` }),
      el("td", { class: "num", text: `${number(campaign.points_awarded)} / ${campaign.budget == null ? "–" : number(campaign.budget)}` }),
      el("td", { class: "num", text: number(campaign.awards) }),
      el("td", { text: state(campaign) }),
      el("td", {}, change, " ", end));
  }

  async function refresh() {
    const { campaigns } = await call("GET", `/v1/admin/campaigns?store=${encodeURIComponent(session.store.code)}`,
      { auth: session.key });
    session.campaigns = Object.fromEntries(campaigns.map((c) => [c.id, c]));
    const headings = [t("Campaign"), t("Products"), t("Points") + "#", t("Runs"), t("Given out / budget") + "#",
      t("Scans") + "#", t("State"), ""];
    $("campaigns-table").replaceChildren(el("table", {},
      el("caption", { class: "visually-hidden", text: t("Scan campaigns") }),
      el("thead", {}, el("tr", {}, ...headings.map((h) =>
        el("th", { scope: "col", class: h.endsWith("#") ? "num" : null, text: h.replace(/#$/, "") })))),
      el("tbody", {}, ...(campaigns.length ? campaigns.map(row)
        : [el("tr", {}, el("td", { colspan: headings.length, text: t("No campaigns yet") }))]))));
  }

  async function show(key, storeId) {
    const { stores } = await call("GET", "/v1/stores");
    const store = stores.find((s) => s.id === storeId);
    session = { key, store };
    await refresh();
    $("board").hidden = false;
  }

  function instant(id) {
    return new Date($(id).value).toISOString();
  }

  async function create(event) {
    event.preventDefault();
    const budget = $("campaign-budget").value;
    const body = {
      code: $("campaign-code").value.trim(), name: $("campaign-name").value.trim(),
      program: session.store.program, points: Number($("campaign-points").value),
      products: $("campaign-products").value.split(/\s+/).filter(Boolean),
      stores: [session.store.code], starts_at: instant("campaign-starts"),
      ends_at: instant("campaign-ends"), per_shopper: $("campaign-per-shopper").value,
      budget: budget ? Number(budget) : null, names: BackOffice.namesOf("campaign-name"),
    };
    try {
      const made = await call("POST", "/v1/admin/campaigns", { json: body, auth: session.key });
      $("campaign-form").reset();
      await refresh();
      say(t("Campaign «%(name)s» created.", { name: made.name }));
    } catch (error) {
      say(describe(error), "error");
    }
  }

  function startChange(campaign) {
    $("change-form").dataset.campaign = campaign.id;
    $("change-which").textContent = t("%(name)s (%(code)s)", { name: campaign.name, code: campaign.code });
    $("change-name").value = campaign.name;
    BackOffice.fillNames("change-name", campaign.names);
    $("campaign-change").hidden = false;
    $("change-name").focus();
  }

  async function saveChange(event) {
    event.preventDefault();
    const body = { name: $("change-name").value.trim(), names: BackOffice.namesOf("change-name") };
    try {
      const changed = await call("PATCH", `/v1/admin/campaigns/${$("change-form").dataset.campaign}`,
        { json: body, auth: session.key });
      $("campaign-change").hidden = true;
      await refresh();
      say(t("«%(name)s» changed.", { name: changed.name }));
    } catch (error) {
      say(describe(error), "error");
    }
  }

  async function onTable(event) {
    const changing = event.target.closest("[data-change]");
    if (changing) {
      startChange(session.campaigns[changing.dataset.change]);
      return;
    }
    const button = event.target.closest("[data-end]");
    if (!button) return;
    try {
      const stopped = await call("POST", `/v1/admin/campaigns/${button.dataset.end}/end`, { auth: session.key });
      await refresh();
      say(t("Campaign «%(name)s» ended; it gave out %(points)s points.",
        { name: stopped.name, points: number(stopped.points_awarded) }));
    } catch (error) {
      say(describe(error), "error");
    }
  }

  $("campaign-form").addEventListener("submit", create);
  $("campaigns-table").addEventListener("click", onTable);
  $("change-form").addEventListener("submit", saveChange);
  $("change-cancel").addEventListener("click", () => { $("campaign-change").hidden = true; });
  staffAccess(show);
})();
