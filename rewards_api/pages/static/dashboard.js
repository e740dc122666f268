/* The store dashboard: figures from GET /v1/admin/stores/{id}/dashboard, charts as
   server-drawn SVG pictures, with the manager key of this tab. */
"use strict";

(() => {
  const { call, el, svgNode, staffAccess, t } = Api;
  const $ = (id) => document.getElementById(id);

  // Figures as the page's language writes them (1,234 / 1.234; 12 % / 12 %).
  const missing = (value) => value === null || value === undefined;
  const number = (value, suffix = "") => (missing(value) ? "–" : `${Api.number(value)}${suffix}`);
  const percents = new Intl.NumberFormat(Api.language, { style: "percent" });
  const percent = (share) => (missing(share) ? "–" : percents.format(share));
  const money = (minor, currency) => `${Api.amount(minor)} ${currency}`;

  function figure(label, value) {
    return el("div", { class: "figure" }, el("span", { class: "value", text: value }),
      el("span", { class: "label", text: label }));
  }

  function figuresOf(period) {
    const issued = period.programs.reduce((sum, p) => sum + p.points_issued, 0);
    const redemptions = period.programs.reduce((sum, p) => sum + p.redemptions, 0);
    return [
      figure(t("walk-ins"), number(period.walk_ins)),
      figure(t("median stay"), number(period.median_dwell_minutes, " min")),
      figure(t("scans per visit"), number(period.scans_per_visit)),
      figure(t("points issued"), number(issued)),
      figure(t("rewards redeemed"), number(redemptions)),
      figure(t("cashier adoption"), percent(period.adoption.share)),
    ];
  }

  function table(caption, headings, rows) {
    const numeric = headings.map((h) => h.endsWith("#"));
    return el("table", {},
      el("caption", { class: "visually-hidden", text: caption }),
      el("thead", {}, el("tr", {}, ...headings.map((h, i) =>
        el("th", { scope: "col", class: numeric[i] ? "num" : null, text: h.replace(/#$/, "") })))),
      el("tbody", {}, ...(rows.length ? rows : [[{ text: t("Nothing yet") }]]).map((row) =>
        el("tr", {}, ...row.map((cell, i) => el("td", {
          class: [numeric[i] ? "num" : "", cell.class || ""].join(" ").trim() || null,
          text: cell.text === undefined ? (typeof cell === "number" ? Api.number(cell) : String(cell)) : cell.text }))))));
  }

  function adoptionTable(caption, rows) {
    return table(caption, [caption, t("Sales") + "#", t("With a reward in reach") + "#",
      t("Rewards applied") + "#", t("Adoption") + "#"],
      rows.map((r) => [r.name, r.identified, r.rewards_offered, r.rewards_applied,
        { text: percent(r.share), class: r.share !== null && r.share < 0.5 ? "bad" : "" }]));
  }

  async function showChart(node, key, storeId, days) {
    const svg = await call("GET", `/v1/admin/stores/${storeId}/charts/${node.dataset.chart}.svg?days=${days}`,
      { auth: key });
    const title = { "walk-ins": t("walk-ins"), points: t("points issued"), adoption: t("cashier adoption") }[node.dataset.chart] || node.dataset.chart;
    node.replaceChildren(svgNode(svg, t("Chart: %(title)s", { title })));
  }

  /* Shelf tags are a PDF that needs the manager key, so it is fetched, not linked. */
  async function printShelfTags(key, storeId) {
    const response = await fetch(`/v1/stores/${storeId}/shelf-tags`,
      { headers: { Authorization: "Bearer " + key }, credentials: "omit" });
    if (!response.ok) {
      const answer = await response.json().catch(() => ({}));
      throw new Error((answer.error && answer.error.message) || t("The shelf tags could not be made."));
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
    const asOf = new Date(board.as_of).toLocaleString(Api.language, { timeZone: board.store.timezone });
    $("as-of").textContent = t("%(store)s · figures as of %(time)s store time (%(zone)s)",
      { store: board.store.name, time: asOf, zone: board.store.timezone });
    const day = (iso) => new Date(`${iso}T12:00:00Z`).toLocaleDateString(Api.language, { timeZone: "UTC" });
    $("period-title").textContent = t("Last %(days)s days (%(first)s to %(last)s)",
      { days, first: day(period.first_day), last: day(period.last_day) });
    $("today-figures").replaceChildren(...figuresOf(today));
    $("period-figures").replaceChildren(...figuresOf(period));
    $("programs-table").replaceChildren(table(t("Points per program"),
      [t("Program"), t("Issued today") + "#", t("Redeemed today") + "#", t("Issued, %(days)s days", { days }) + "#",
        t("Rewards, %(days)s days", { days }) + "#", t("Redeemed, %(days)s days", { days }) + "#"],
      period.programs.map((p) => {
        const mine = today.programs.find((q) => q.program === p.program) || { points_issued: 0, points_redeemed: 0 };
        return [p.program_name, mine.points_issued, mine.points_redeemed, p.points_issued, p.redemptions, p.points_redeemed];
      })));
    $("settlement-table").replaceChildren(table(t("Partner settlement"),
      [t("Period"), t("Partner points redeemed here") + "#", t("Partner points issued here") + "#",
        t("Partner owes the store") + "#", t("Store owes the partner") + "#", t("Net to the store") + "#"],
      [[t("Today"), today], [t("%(days)s days", { days }), period]].flatMap(([name, p]) => p.settlement.map((r) => [
        name, r.points_redeemed, r.points_issued, money(r.owed_to_store_minor, r.currency),
        money(r.owed_to_partner_minor, r.currency), money(r.net_to_store_minor, r.currency)]))));
    $("adoption-registers").replaceChildren(adoptionTable(t("Register"), period.adoption.registers));
    $("adoption-cashiers").replaceChildren(adoptionTable(t("Cashier"), period.adoption.cashiers));
    // The shoppers who paid with the app, proven in the store: how many the agents saw
    // walk in (the API says when too few to be the agents' usual misses).
    const till = period.seen_at_till;
    const said = till.paid_with_app
      ? [t("Seen walking in: %(seen)s of the %(paid)s shoppers who paid with the app (%(share)s).",
        { seen: Api.number(till.seen), paid: Api.number(till.paid_with_app), share: percent(till.share) })]
      : [t("Seen walking in: no sale with the app's checkout code yet.")];
    if (till.attention) {
      said.push(t("The agents are missing walk-ins: run the walk test at each agent. It says whether the agent hears the back of the shop."));
    }
    $("till-seen").textContent = said.join(" ");
    $("till-seen").className = till.attention ? "hint bad" : "hint";
    $("agents-table").replaceChildren(table(t("Beacon agents"),
      [t("Agent"), t("State"), t("Calibration"), t("Last heartbeat"), t("Queue") + "#", t("Adverts/s") + "#", t("Refused")],
      board.agents.map((a) => [a.label,
        { text: a.healthy ? t("OK") : t("No heartbeat"), class: a.healthy ? "good" : "bad" },
        // What the agent says of its calibration, and what to do about it (the API words it).
        { text: [a.calibration.summary, ...a.calibration.advice.map((advice) => advice.text)].join(" · "),
          class: a.calibration.advice.some((advice) => advice.attention) ? "bad" : "" },
        a.last_heartbeat_at ? t("%(seconds)s s ago", { seconds: Api.number(a.seconds_since_heartbeat) }) : t("never"),
        number(a.queue_depth), number(a.adverts_per_second),
        a.refused_events ? { text: `${a.refused_events} (${a.last_refusal_code})`, class: "bad" } : t("none")])));
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
