/* The rewards of each program: GET/POST /v1/admin/rewards and PATCH .../{id} (change,
   end, offer again), with the key of this tab. The forms show only for the programs the
   key may change (GET /v1/admin/programs: catalog). */
"use strict";

(() => {
  const { call, el, say, describe, staffAccess, t } = Api;
  const $ = (id) => document.getElementById(id);
  let session = null; // {key, programs: {code: program}, rewards: {id: reward}}

  const minor = (value) => Math.round(Number(value) * 100);

  function offer(reward) {
    if (reward.kind === "amount_off") return t("%(amount)s off", { amount: Api.amount(reward.amount_off_minor) });
    if (reward.kind === "percent_off") {
      return reward.cap_minor
        ? t("%(percent)s percent off, at most %(cap)s", { percent: reward.percent_off, cap: Api.amount(reward.cap_minor) })
        : t("%(percent)s percent off", { percent: reward.percent_off });
    }
    return t("free product %(gtin)s", { gtin: reward.product_gtin });
  }

  function actions(reward) {
    if (!session.programs[reward.program].catalog) return "";
    const ending = reward.active
      ? el("button", { type: "button", class: "secondary", "data-end": reward.id, text: t("End"),
        "aria-label": t("End %(name)s", { name: reward.name }) })
      : el("button", { type: "button", class: "secondary", "data-again": reward.id, text: t("Offer again"),
        "aria-label": t("Offer %(name)s again", { name: reward.name }) });
    return el("span", {},
      el("button", { type: "button", class: "secondary", "data-change": reward.id, text: t("Change"),
        "aria-label": t("Change %(name)s", { name: reward.name }) }), " ", ending);
  }

  function row(reward) {
    return el("tr", { "data-reward": reward.code },
      el("th", { scope: "row" }, reward.name, BackOffice.names(reward.names)),
      el("td", { text: session.programs[reward.program].name }),
      el("td", { text: offer(reward) }),
      el("td", { class: "num", text: Api.number(reward.points_cost) }),
      el("td", { class: "num", text: Api.amount(reward.min_basket_minor) }),
      el("td", { text: reward.active ? t("offered") : t("ended") }),
      el("td", {}, actions(reward)));
  }

  async function refresh() {
    const { rewards } = await call("GET", "/v1/admin/rewards", { auth: session.key });
    session.rewards = Object.fromEntries(rewards.map((r) => [r.id, r]));
    $("rewards-table").replaceChildren(BackOffice.table(t("Rewards of each program"),
      [t("Reward"), t("Program"), t("Offer"), t("Price in points") + "#", t("Smallest basket") + "#",
        t("State"), ""], rewards.map(row), t("No rewards yet")));
  }

  async function show(key) {
    const programs = await BackOffice.programs(key);
    session = { key, programs: Object.fromEntries(programs.map((p) => [p.code, p])), rewards: {} };
    const changeable = programs.filter((p) => p.catalog);
    $("reward-new").hidden = !BackOffice.choose($("reward-program"), changeable);
    $("rewards-read-only").hidden = changeable.length > 0;
    $("reward-change").hidden = true;
    await refresh();
    $("board").hidden = false;
  }

  function showKind() {
    const kind = $("reward-kind").value;
    for (const part of document.querySelectorAll("#reward-form [data-kind]")) {
      part.hidden = part.dataset.kind !== kind;
    }
    $("reward-amount").required = kind === "amount_off";
    $("reward-percent").required = kind === "percent_off";
    $("reward-product").required = kind === "free_product";
  }

  async function create(event) {
    event.preventDefault();
    const kind = $("reward-kind").value;
    const body = {
      program: $("reward-program").value, code: $("reward-code").value.trim(),
      name: $("reward-name").value.trim(), kind, points_cost: Number($("reward-cost").value),
      min_basket_minor: minor($("reward-min-basket").value || 0), names: BackOffice.namesOf("reward-name"),
    };
    if (kind === "amount_off") body.amount_off_minor = minor($("reward-amount").value);
    if (kind === "percent_off") {
      body.percent_off = Number($("reward-percent").value);
      if ($("reward-cap").value) body.cap_minor = minor($("reward-cap").value);
    }
    if (kind === "free_product") body.product_gtin = $("reward-product").value.trim();
    try {
      const made = await call("POST", "/v1/admin/rewards", { json: body, auth: session.key });
      $("reward-form").reset();
      showKind();
      await refresh();
      say(t("Reward «%(name)s» created.", { name: made.name }));
    } catch (error) {
      say(describe(error), "error");
    }
  }

  async function change(id, body, done) {
    try {
      const changed = await call("PATCH", `/v1/admin/rewards/${id}`, { json: body, auth: session.key });
      await refresh();
      say(done(changed));
    } catch (error) {
      say(describe(error), "error");
    }
  }

  function onTable(event) {
    const button = event.target.closest("button");
    if (!button) return;
    if (button.dataset.change) {
      const reward = session.rewards[button.dataset.change];
      $("change-form").dataset.reward = reward.id;
      $("change-which").textContent = t("%(name)s (%(code)s)", { name: reward.name, code: reward.code });
      $("change-name").value = reward.name;
      BackOffice.fillNames("change-name", reward.names);
      $("change-cost").value = reward.points_cost;
      $("change-min-basket").value = (reward.min_basket_minor / 100).toFixed(2);
      $("reward-change").hidden = false;
      $("change-name").focus();
    } else if (button.dataset.end) {
      const reward = session.rewards[button.dataset.end];
      if (!window.confirm(t("End %(name)s? Registers stop offering it at once.", { name: reward.name }))) return;
      change(reward.id, { active: false }, (r) => t("«%(name)s» is no longer offered.", { name: r.name }));
    } else if (button.dataset.again) {
      change(button.dataset.again, { active: true }, (r) => t("«%(name)s» is offered again.", { name: r.name }));
    }
  }

  async function saveChange(event) {
    event.preventDefault();
    const body = { name: $("change-name").value.trim(), points_cost: Number($("change-cost").value),
      min_basket_minor: minor($("change-min-basket").value), names: BackOffice.namesOf("change-name") };
    await change($("change-form").dataset.reward, body, (r) => {
      $("reward-change").hidden = true;
      return t("«%(name)s» changed.", { name: r.name });
    });
  }

  $("reward-kind").addEventListener("change", showKind);
  $("reward-form").addEventListener("submit", create);
  $("rewards-table").addEventListener("click", onTable);
  $("change-form").addEventListener("submit", saveChange);
  $("change-cancel").addEventListener("click", () => { $("reward-change").hidden = true; });
  showKind();
  staffAccess(show);
})();
