/* The audit log: GET /v1/admin/audit[?resource=...&before=ID] with the key of this tab,
   newest first, as far as the key's scope reaches; "Older changes" asks for the page
   before the last entry shown. */
"use strict";

(() => {
  const { call, el, say, describe, staffAccess, t } = Api;
  const $ = (id) => document.getElementById(id);
  const PAGE = 50;
  // The names of actions, resources and fields in the page's language (the entries
  // keep them as data: rewards_api/audit/labels.py); a name without a label as it is.
  const LABELS = JSON.parse($("page-data").textContent);
  let session = null; // {key, labels: {staff id: label}}
  let oldest = null;

  const when = (iso) => new Date(iso).toLocaleString(Api.language,
    { dateStyle: "medium", timeStyle: "medium" });

  function who(actor) {
    const staff = /^staff:(\d+)$/.exec(actor);
    if (staff && session.labels[staff[1]]) return `${session.labels[staff[1]]} (${actor})`;
    return actor;
  }

  function thing(value) {
    if (!value) return "–";
    return Object.entries(value).map(([name, v]) =>
      `${LABELS.fields[name] || name}: ${typeof v === "object" && v !== null ? JSON.stringify(v) : String(v)}`).join("\n");
  }

  function what(entry) {
    const done = `${LABELS.resources[entry.resource] || entry.resource} ${entry.resource_id}`;
    const action = LABELS.actions[entry.action];
    return action ? action.replace("%(thing)s", done) : `${entry.action} ${done}`;
  }

  function row(entry) {
    return el("tr", { "data-entry": entry.id, "data-resource": entry.resource },
      el("td", { text: when(entry.at) }),
      el("td", { text: who(entry.actor) }),
      el("td", { text: what(entry) }),
      el("td", {}, el("pre", { class: "change", text: thing(entry.before) })),
      el("td", {}, el("pre", { class: "change", text: thing(entry.after) })));
  }

  function table() {
    const headings = [t("When"), t("Who"), t("What"), t("Before"), t("After")];
    const body = el("tbody", { id: "audit-rows" });
    $("audit-table").replaceChildren(el("table", {},
      el("caption", { class: "visually-hidden", text: t("Changes") }),
      el("thead", {}, el("tr", {}, ...headings.map((h) => el("th", { scope: "col", text: h })))),
      body));
    return body;
  }

  async function load(more) {
    const query = new URLSearchParams({ limit: String(PAGE) });
    const resource = $("audit-resource").value;
    if (resource) query.set("resource", resource);
    if (more && oldest) query.set("before", String(oldest));
    const { entries } = await call("GET", `/v1/admin/audit?${query}`, { auth: session.key });
    const body = more ? $("audit-rows") : table();
    if (!more && !entries.length) {
      body.append(el("tr", {}, el("td", { colspan: 5, text: t("No changes yet") })));
    }
    body.append(...entries.map(row));
    if (entries.length) oldest = entries[entries.length - 1].id;
    $("audit-older").hidden = entries.length < PAGE;
  }

  async function show(key) {
    session = { key, labels: {} };
    // The keys' labels name who did it, where the key may list them.
    const listed = await call("GET", "/v1/admin/staff-keys", { auth: key }).catch(() => null);
    for (const staff of (listed ? listed.staff_keys : [])) session.labels[staff.id] = staff.label;
    oldest = null;
    await load(false);
    $("board").hidden = false;
  }

  async function run(more) {
    try {
      await load(more);
      say("");
    } catch (error) {
      say(describe(error), "error");
    }
  }

  $("audit-filter").addEventListener("submit", (event) => {
    event.preventDefault();
    oldest = null;
    run(false);
  });
  $("audit-older").addEventListener("click", () => run(true));
  staffAccess(show);
})();
