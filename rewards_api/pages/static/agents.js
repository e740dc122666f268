/* The beacon agents of a store: GET/POST /v1/admin/agents, POST .../{id}/enrolment-code
   and .../{id}/disable, PATCH .../{id} (tuning), with the manager key of this tab. An
   enrolment code is shown once, with the command the installer types on the Pi. Each
   agent's calibration and advice are worded by the API in the page's language. */
"use strict";

(() => {
  const { call, el, say, describe, staffAccess, t, number } = Api;
  const $ = (id) => document.getElementById(id);
  let session = null; // {key, store: {id, code}}
  let listed = []; // the agents as last shown
  const SETTINGS = ["rssi_offset", "enter_rssi", "dwell_seconds", "exit_after_seconds"];

  const when = (iso) => new Date(iso).toLocaleString(Api.language,
    { dateStyle: "medium", timeStyle: "short" });

  function health(agent) {
    if (agent.disabled) return t("disabled");
    if (!agent.last_seen_at) return t("not enrolled or never seen");
    const parts = [t("last seen %(when)s", { when: when(agent.last_seen_at) })];
    if (agent.scanner_state) parts.push(t("scanner: %(state)s", { state: agent.scanner_state }));
    if (agent.queue_depth) parts.push(t("%(count)s events waiting", { count: number(agent.queue_depth) }));
    if (agent.refused_events) {
      parts.push(t("%(count)s refused (%(code)s)", { count: number(agent.refused_events),
        code: agent.last_refusal_code || "–" }));
    }
    if (agent.software_version) parts.push(t("version %(version)s", { version: agent.software_version }));
    return parts.join(" · ");
  }

  function calibration(agent) {
    const { summary, advice } = agent.calibration;
    return el("td", { class: "calibration" }, el("span", { text: summary }),
      advice.length ? el("ul", { class: "advice" },
        ...advice.map((a) => el("li", { class: a.attention ? "bad" : "", "data-advice": a.code, text: a.text }))) : "");
  }

  function row(agent) {
    const actions = agent.disabled ? "" : el("span", {},
      el("button", { type: "button", class: "secondary", "data-code": agent.agent_id,
        "data-label": agent.label, text: t("New code"),
        "aria-label": t("New code for %(label)s", { label: agent.label }) }), " ",
      el("button", { type: "button", class: "secondary", "data-disable": agent.agent_id,
        "data-label": agent.label, text: t("Disable"),
        "aria-label": t("Disable %(label)s", { label: agent.label }) }));
    return el("tr", { "data-agent": agent.agent_id },
      el("td", { text: agent.label }),
      el("td", { class: "num", text: agent.agent_id }),
      el("td", { text: health(agent) }),
      calibration(agent),
      el("td", {}, actions));
  }

  async function refresh() {
    const { agents } = await call("GET",
      `/v1/admin/agents?store=${encodeURIComponent(session.store.code)}`, { auth: session.key });
    listed = agents;
    fillTuning();
    const headings = [t("Agent"), t("Id"), t("Health"), t("Calibration"), ""];
    $("agents-table").replaceChildren(el("table", {},
      el("caption", { class: "visually-hidden", text: t("Beacon agents") }),
      el("thead", {}, el("tr", {}, ...headings.map((h) => el("th", { scope: "col", text: h })))),
      el("tbody", {}, ...(agents.length ? agents.map(row)
        : [el("tr", {}, el("td", { colspan: headings.length, text: t("No agents yet") }))]))));
  }

  /* The tuning form: the enabled agents, the chosen one's settings in the fields. */
  function fillTuning() {
    const select = $("tune-agent");
    const chosen = select.value;
    const enabled = listed.filter((a) => !a.disabled);
    select.replaceChildren(...enabled.map((a) =>
      el("option", { value: a.agent_id, selected: a.agent_id === chosen, text: a.label })));
    $("tune-form").hidden = !enabled.length;
    showSettings();
  }

  function showSettings() {
    const agent = listed.find((a) => a.agent_id === $("tune-agent").value);
    if (!agent) return;
    for (const name of SETTINGS) $(`tune-${name}`).value = agent[name];
  }

  async function tune(event) {
    event.preventDefault();
    const agent = listed.find((a) => a.agent_id === $("tune-agent").value);
    const changed = {};
    for (const name of SETTINGS) {
      const value = Number($(`tune-${name}`).value);
      if (value !== agent[name]) changed[name] = value;
    }
    if (!Object.keys(changed).length) {
      say(t("Nothing changed."));
      return;
    }
    try {
      await call("PATCH", `/v1/admin/agents/${agent.agent_id}`, { json: changed, auth: session.key });
      await refresh();
      say(t("Settings of %(label)s saved; the agent picks them up within 15 minutes.", { label: agent.label }));
    } catch (error) {
      say(describe(error), "error");
    }
  }

  async function show(key, storeId) {
    const { stores } = await call("GET", "/v1/stores");
    session = { key, store: stores.find((s) => s.id === storeId) };
    $("enrolment").hidden = true;
    await refresh();
    $("board").hidden = false;
  }

  function showCode(made) {
    $("enrolment-title").textContent = t("Enrolment code for %(label)s", { label: made.label });
    $("enrolment-code").textContent = made.enrolment_code;
    $("enrolment-command").textContent =
      `beacon-agent enrol ${made.enrolment_code} --api ${location.origin}`;
    $("enrolment-expires").textContent = t("It works once, until %(when)s.",
      { when: when(made.enrolment_expires_at) });
    $("enrolment").hidden = false;
  }

  async function provision(event) {
    event.preventDefault();
    const body = { store: session.store.code, label: $("agent-label").value.trim() };
    try {
      const made = await call("POST", "/v1/admin/agents", { json: body, auth: session.key });
      $("agent-form").reset();
      showCode(made);
      await refresh();
      say(t("Agent %(label)s provisioned. Enrol the Pi with the code below.", { label: made.label }));
    } catch (error) {
      say(describe(error), "error");
    }
  }

  async function act(event) {
    const codeButton = event.target.closest("[data-code]");
    const disableButton = event.target.closest("[data-disable]");
    try {
      if (codeButton) {
        const made = await call("POST", `/v1/admin/agents/${codeButton.dataset.code}/enrolment-code`,
          { auth: session.key });
        showCode(made);
        say(t("New code for %(label)s. An earlier unused code no longer works.", { label: made.label }));
      } else if (disableButton) {
        const label = disableButton.dataset.label;
        if (!window.confirm(t("Disable %(label)s? It is refused at once.", { label }))) return;
        await call("POST", `/v1/admin/agents/${disableButton.dataset.disable}/disable`, { auth: session.key });
        await refresh();
        say(t("Agent %(label)s is disabled.", { label }));
      }
    } catch (error) {
      say(describe(error), "error");
    }
  }

  $("agent-form").addEventListener("submit", provision);
  $("tune-form").addEventListener("submit", tune);
  $("tune-agent").addEventListener("change", showSettings);
  $("agents-table").addEventListener("click", act);
  staffAccess(show);
})();
