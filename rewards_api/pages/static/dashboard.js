/* The store dashboard: figures from GET /v1/admin/stores/{id}/dashboard, charts as
   server-drawn SVG pictures, with the manager key of this tab. */
"use strict";

(() => {
  const { call, el, svgNode, staffAccess } = Api;
  const $ = (id) => document.getElementById(id);

  const number = (value, suffix = "") => (value === null || value === undefined ? "–" : `${value}${suffix}`);
  const percent = (share) => (share === null || share === undefined ? "–" : `${Math.round(share * 100)} %`);
  const money = (minor, currency) => `${(minor / 100).toFixed(2)} ${currency}`;

  function figure(label, value) {
    return el("div", { class: "figure" }, el("span", { class: "value", text: value }),
      el("span", { class: "label", text: label }));
  }

  function figuresOf(period) {
    const issued = period.programs.reduce((sum, p) => sum + p.points_issued, 0);
    const redemptions = period.programs.reduce((sum, p) => sum + p.redemptions, 0);
    return [
      figure("walk-ins", number(period.walk_ins)),
      figure("median stay", number(period.median_dwell_minutes, " min")),
      figure("scans per visit", number(period.scans_per_visit)),
      figure("points issued", number(issued)),
      figure("rewards redeemed", number(redemptions)),
      figure("cashier adoption", percent(period.adoption.share)),
    ];
  }

  function table(caption, headings, rows) {
    const numeric = headings.map((h) => h.endsWith("#"));
    return el("table", {},
      el("caption", { class: "visually-hidden", text: caption }),
      el("thead", {}, el("tr", {}, ...headings.map((h, i) =>
        el("th", { scope: "col", class: numeric[i] ? "num" : null, text: h.replace(/#$/, "") })))),
      el("tbody", {}, ...(rows.length ? rows : [[{ text: "Nothing yet" }]]).map((row) =>
        el("tr", {}, ...row.map((cell, i) => el("td", {
          class: [numeric[i] ? "num" : "", cell.class || ""].join(" ").trim() || null,
          text: cell.text === undefined ? String(cell) : cell.text }))))));
  }

  function adoptionTable(caption, rows) {
    return table(caption, [caption, "Sales#", "With a reward in reach#", "Rewards applied#", "Adoption#"],
      rows.map((r) => [r.name, r.identified, r.rewards_offered, r.rewards_applied,
        { text: percent(r.share), class: r.share !== null && r.share < 0.5 ? "bad" : "" }]));
  }

  async function showChart(node, key, storeId, days) {
    const svg = await call("GET", `/v1/admin/stores/${storeId}/charts/${node.dataset.chart}.svg?days=${days}`,
      { auth: key });
    const title = node.dataset.chart.replace("-", " ");
    node.replaceChildren(svgNode(svg, `Chart: ${title}`));
  }

  /* Shelf tags are a PDF that needs the manager key, so it is fetched, not linked. */
  async function printShelfTags(key, storeId) {
    const response = await fetch(`/v1/stores/${storeId}/shelf-tags`,
      { headers: { Authorization: "Bearer " + key }, credentials: "omit" });
    if (!response.ok) {
      const answer = await response.json().catch(() => ({}));
      throw new Error((answer.error && answer.error.message) || "The shelf tags could not be made.");
    }
    window.open(URL.createObjectURL(await response.blob()), "_blank");
  }

  async function show(key, storeId) {
    const button = $("shelf-tags");
    button.hidden = false;
    button.onclick = () => printShelfTags(key, storeId).catch((e) => Api.say(e.message, "error"));
    const days = Number($("days-select").value);
    const board = await call("GET", `/v1/admin/stores/${storeId}/dashboard?days=${days}`, { auth: key });
    const { today, last_days: period } = board;
    $("as-of").textContent = `${board.store.name} · figures as of ${new Date(board.as_of).toLocaleString(undefined, { timeZone: board.store.timezone })} store time (${board.store.timezone})`;
    $("period-title").textContent = `Last ${days} days (${period.first_day} to ${period.last_day})`;
    $("today-figures").replaceChildren(...figuresOf(today));
    $("period-figures").replaceChildren(...figuresOf(period));
    $("programs-table").replaceChildren(table("Points per program",
      ["Program", "Issued today#", "Redeemed today#", `Issued, ${days} days#`, `Rewards, ${days} days#`, `Redeemed, ${days} days#`],
      period.programs.map((p) => {
        const t = today.programs.find((q) => q.program === p.program) || { points_issued: 0, points_redeemed: 0 };
        return [p.program_name, t.points_issued, t.points_redeemed, p.points_issued, p.redemptions, p.points_redeemed];
      })));
    $("settlement-table").replaceChildren(table("Partner settlement",
      ["Period", "Partner points redeemed here#", "Partner points issued here#", "Partner owes the store#", "Store owes the partner#", "Net to the store#"],
      [["Today", today], [`${days} days`, period]].flatMap(([name, p]) => p.settlement.map((r) => [
        name, r.points_redeemed, r.points_issued, money(r.owed_to_store_minor, r.currency),
        money(r.owed_to_partner_minor, r.currency), money(r.net_to_store_minor, r.currency)]))));
    $("adoption-registers").replaceChildren(adoptionTable("Register", period.adoption.registers));
    $("adoption-cashiers").replaceChildren(adoptionTable("Cashier", period.adoption.cashiers));
    $("agents-table").replaceChildren(table("Beacon agents",
      ["Agent", "State", "Last heartbeat", "Queue#", "Adverts/s#", "Refused"],
      board.agents.map((a) => [a.label,
        { text: a.healthy ? "OK" : "No heartbeat", class: a.healthy ? "good" : "bad" },
        a.last_heartbeat_at ? `${a.seconds_since_heartbeat} s ago` : "never",
        number(a.queue_depth), number(a.adverts_per_second),
        a.refused_events ? { text: `${a.refused_events} (${a.last_refusal_code})`, class: "bad" } : "none"])));
    $("board").hidden = false;
    await Promise.all([...document.querySelectorAll("[data-chart]")].map((node) => showChart(node, key, storeId, days)));
  }

  /* Live: the store's stream says when the day's figures moved (a visit, points, a
     help request); the dashboard then draws itself again. Without a stream it
     redraws every minute. */
  let pulse = null;
  let drawing = null;

  function redraw(key, storeId) {
    if (drawing) return;
    drawing = show(key, storeId).catch((e) => Api.say(Api.describe(e), "error"))
      .finally(() => { drawing = null; });
  }

  async function showLive(key, storeId) {
    await show(key, storeId);
    Live.followStore(key, storeId, {
      fallback: () => redraw(key, storeId), fallbackMs: 60000,
      on: {
        store: (now) => {
          const seen = JSON.stringify(now);
          if (pulse !== null && seen !== pulse) redraw(key, storeId);
          pulse = seen;
        },
      },
    });
  }

  staffAccess(showLive);
})();
