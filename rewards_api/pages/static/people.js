/* People and keys of a store: GET/POST /v1/admin/staff-keys and POST .../{id}/revoke,
   with the manager key of this tab. A new key is shown once, in its own box. */
"use strict";

(() => {
  const { call, el, say, describe, staffAccess, t } = Api;
  const $ = (id) => document.getElementById(id);
  let session = null; // {key, store: {id, code}}

  const ROLES = { cashier: t("register"), manager: t("manager"), admin: t("chain admin"),
    partner: t("partner operator") };
  const when = (iso) => new Date(iso).toLocaleString(Api.language,
    { dateStyle: "medium", timeStyle: "short" });

  function row(key) {
    const revoke = key.revoked_at ? ""
      : el("button", { type: "button", class: "secondary", "data-revoke": key.id,
        "data-label": key.label, text: t("Revoke"),
        "aria-label": t("Revoke the key of %(label)s", { label: key.label }) });
    return el("tr", { "data-key": key.id },
      el("td", { text: key.label }),
      el("td", { text: ROLES[key.role] || key.role }),
      el("td", { text: when(key.created_at) }),
      el("td", { text: key.revoked_at ? t("revoked %(when)s", { when: when(key.revoked_at) }) : t("in use") }),
      el("td", {}, revoke));
  }

  async function refresh() {
    const { staff_keys: keys } = await call("GET",
      `/v1/admin/staff-keys?store=${encodeURIComponent(session.store.code)}`, { auth: session.key });
    const headings = [t("Label"), t("Role"), t("Issued"), t("State"), ""];
    $("keys-table").replaceChildren(el("table", {},
      el("caption", { class: "visually-hidden", text: t("Staff keys") }),
      el("thead", {}, el("tr", {}, ...headings.map((h) => el("th", { scope: "col", text: h })))),
      el("tbody", {}, ...(keys.length ? keys.map(row)
        : [el("tr", {}, el("td", { colspan: headings.length, text: t("No keys yet") }))]))));
  }

  async function show(key, storeId) {
    const { stores } = await call("GET", "/v1/stores");
    session = { key, store: stores.find((s) => s.id === storeId) };
    $("new-key").hidden = true;
    await refresh();
    $("board").hidden = false;
  }

  async function issue(event) {
    event.preventDefault();
    const body = { role: "cashier", label: $("key-label").value.trim(), store: session.store.code };
    try {
      const made = await call("POST", "/v1/admin/staff-keys", { json: body, auth: session.key });
      $("key-form").reset();
      $("new-key-value").textContent = made.key;
      $("new-key").hidden = false;
      await refresh();
      say(t("Key for %(label)s issued.", { label: made.label }));
    } catch (error) {
      say(describe(error), "error");
    }
  }

  async function revoke(event) {
    const button = event.target.closest("[data-revoke]");
    if (!button) return;
    const label = button.dataset.label;
    if (!window.confirm(t("Revoke the key of %(label)s? It is refused at once.", { label }))) return;
    try {
      await call("POST", `/v1/admin/staff-keys/${button.dataset.revoke}/revoke`, { auth: session.key });
      $("new-key-value").textContent = "";
      $("new-key").hidden = true;
      await refresh();
      say(t("The key of %(label)s is revoked.", { label }));
    } catch (error) {
      say(describe(error), "error");
    }
  }

  $("key-form").addEventListener("submit", issue);
  $("keys-table").addEventListener("click", revoke);
  staffAccess(show);
})();
