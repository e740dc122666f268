/* The back office's pages (/manage/...): each draws its report from the JSON API with
   the staff key of this tab. Which page this is: #board's data-page. */
"use strict";

(() => {
  const { call, el, staffAccess, t } = Api;
  const $ = (id) => document.getElementById(id);
  const board = $("board");
  if (!board) return; // the overview and the "coming" pages sign in nowhere

  const dash = "–";
  const show = (value, suffix = "") => (value === null || value === undefined ? dash : `${value}${suffix}`);
  const percent = (share) => (share === null || share === undefined ? dash : `${Math.round(share * 100)} %`);
  const change = (c) => (c === null || c === undefined ? dash : `${c > 0 ? "+" : ""}${Math.round(c * 100)} %`);

  /* A table; headings ending in "#" are numbers (right-aligned). Cells are text or
     {text, class}. */
  function table(caption, headings, rows) {
    const numeric = headings.map((h) => h.endsWith("#"));
    return el("table", {},
      el("caption", { class: "visually-hidden", text: caption }),
      el("thead", {}, el("tr", {}, ...headings.map((h, i) =>
        el("th", { scope: "col", class: numeric[i] ? "num" : null, text: h.replace(/#$/, "") })))),
      el("tbody", {}, ...(rows.length ? rows : [[{ text: t("Nothing yet") }]]).map((row) =>
        el("tr", {}, ...row.map((cell, i) => el(i === 0 ? "th" : "td", {
          scope: i === 0 ? "row" : null,
          class: [numeric[i] ? "num" : "", (cell && cell.class) || ""].join(" ").trim() || null,
          text: cell && cell.text !== undefined ? cell.text : String(cell) }))))));
  }

  function period() {
    const query = new URLSearchParams();
    if ($("from").value) query.set("from", $("from").value);
    if ($("to").value) query.set("to", $("to").value);
    return query.toString();
  }

  function onDownload(key, path, name) {
    $("download-csv").onclick = () => Api.download(key, path, name)
      .then(() => Api.say(t("The CSV is downloaded.")))
      .catch((e) => Api.say(e.message, "error"));
  }

  async function chain(key) {
    const query = period();
    const view = await call("GET", `/v1/admin/chain?${query}`, { auth: key });
    $("as-of").textContent = asOf(view);
    $("chain-table").replaceChildren(table(t("Every store side by side"),
      [t("Store"), t("App shoppers nearby") + "#", t("Walk-ins") + "#", t("Scans") + "#",
        t("Scans per visit") + "#", t("Redemptions") + "#", t("Checkouts with the app") + "#",
        t("Cashier adoption") + "#", t("Seen walking in") + "#", t("Agents needing attention") + "#"],
      view.stores.map((s) => [s.name, s.nearby, s.walk_ins, s.scans, show(s.scans_per_visit), s.redemptions,
        s.checkouts_with_app,
        { text: percent(s.cashier_adoption), class: s.cashier_adoption !== null && s.cashier_adoption < 0.5 ? "bad" : "" },
        // Of the shoppers who paid with the app, the share the agents saw walk in (red: the API says too few).
        { text: percent(s.seen_at_till.share), class: s.seen_at_till.attention ? "bad" : "" },
        { text: t("%(count)s of %(agents)s", { count: s.agents_needing_attention, agents: s.agents }),
          class: s.agents_needing_attention ? "bad" : "good" }])));
    onDownload(key, `/v1/admin/chain.csv?${query}`, "chain.csv");
  }

  const figureHeadings = () => [t("This period") + "#", t("Baseline") + "#", t("Change") + "#"];
  const asOf = (view) => t("Store-local days %(from)s to %(to)s · figures as of %(when)s", {
    from: view.from, to: view.to,
    when: new Date(view.as_of).toLocaleString(Api.language) });

  function figureRow(label, f) {
    const worse = f.change !== null && f.change < -0.2;
    return [label, show(f.value), show(f.baseline), { text: change(f.change), class: worse ? "bad" : "" }];
  }

  function refusalRows(refusals) {
    return refusals.filter((r) => r.value || r.baseline)
      .map((r) => figureRow(`${r.label} (${r.code})`, r));
  }

  function storeResults(store, stages, campaignStages) {
    const funnel = Object.entries(stages).map(([stage, label]) => figureRow(label, store.funnel[stage]));
    const section = el("section", { class: "card", "data-store": store.store },
      el("h3", { text: store.name }),
      el("p", { class: "hint", text: t("Baseline: %(from)s to %(to)s (store time, %(timezone)s)",
        { from: store.baseline_from, to: store.baseline_to, timezone: store.timezone }) }),
      el("h4", { text: t("From app shoppers nearby to checkout") }),
      el("div", { class: "scroll funnel" }, table(t("Funnel of %(store)s", { store: store.name }),
        [t("Stage"), ...figureHeadings()], funnel)),
      el("h4", { text: t("Where shoppers fail") }),
      el("div", { class: "scroll refusals" }, table(t("Refusals at %(store)s", { store: store.name }),
        [t("Refused because"), ...figureHeadings()], refusalRows(store.refusals))));
    for (const c of store.campaigns) {
      section.append(
        el("h4", { text: t("Campaign: %(name)s", { name: c.name }) }),
        el("div", { class: "scroll campaign", "data-campaign": c.campaign }, table(
          t("Campaign %(name)s", { name: c.name }), [t("Stage"), ...figureHeadings()],
          [...Object.entries(campaignStages).map(([stage, label]) => figureRow(label, c.funnel[stage])),
            ...refusalRows(c.refusals)])));
    }
    return section;
  }

  /* The results page's store choice: codes of the open stores (the API refuses the
     ones the key may not see). */
  async function fillResultStores() {
    const select = $("results-store");
    if (!select || select.options.length > 1) return;
    const { stores } = await call("GET", "/v1/stores");
    select.append(...stores.map((s) => el("option", { value: s.code, text: s.name })));
  }

  async function results(key) {
    const store = $("results-store").value;
    const query = period() + (store ? `&store=${encodeURIComponent(store)}` : "");
    const view = await call("GET", `/v1/admin/results?${query}`, { auth: key });
    $("as-of").textContent = asOf(view);
    $("stores").replaceChildren(...view.stores.map((s) => storeResults(s, view.stages, view.campaign_stages)));
    onDownload(key, `/v1/admin/results.csv?${query}`, "results.csv");
  }

  async function shelfTags(key, storeId) {
    const select = $("campaign-select");
    const chosen = select.value;
    const { products } = await call("GET", `/v1/stores/${storeId}/scan-products`, { auth: key });
    const campaigns = new Map(products.map((p) => [p.campaign, p.campaign_name]));
    select.replaceChildren(el("option", { value: "", text: t("Every campaign running today") }),
      ...[...campaigns].map(([code, name]) => el("option", { value: code, selected: code === chosen, text: name })));
    const pages = [];
    let count = 1;
    for (let page = 1; page <= count; page += 1) {
      const query = new URLSearchParams({ format: "png", page });
      if (select.value) query.set("campaign", select.value);
      const response = await fetch(`/v1/stores/${storeId}/shelf-tags?${query}`,
        { headers: { Authorization: "Bearer " + key }, credentials: "omit" });
      if (!response.ok) {
        const answer = await response.json().catch(() => ({}));
        throw new Error((answer.error && answer.error.message) || t("The shelf tags could not be made."));
      }
      count = Number(response.headers.get("X-Page-Count")) || 1;
      pages.push(el("img", { src: URL.createObjectURL(await response.blob()), class: "tag-page",
        alt: t("Shelf tags, page %(page)s of %(count)s", { page, count }) }));
    }
    $("tag-pages").replaceChildren(...pages);
    $("tag-pages").dataset.campaign = select.value || "every";
    $("print-tags").onclick = () => window.print();
  }

  const pages = { chain, results, "shelf-tags": shelfTags };
  fillResultStores().catch((e) => Api.say(Api.describe(e), "error"));
  staffAccess(async (key, storeId) => {
    await pages[board.dataset.page](key, storeId);
    board.hidden = false;
  });
})();
