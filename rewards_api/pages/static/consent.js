/* The shopper's say before points are spent: while a register waits with rewards for
   this shopper, the app asks "Use 50 Corner Points for 1.00 off?" with Agree and
   Decline. The question arrives live (app.js follows /v1/live/me and calls
   Consent.show); without a live stream the app asks GET /v1/me/checkout every few
   seconds (Consent.ask). */
"use strict";

const Consent = (() => {
  const { call, el, describe, t } = Api;
  const SAVED = "rewards.shopper";  // where app.js keeps the phone's sign-in
  const $ = (id) => document.getElementById(id);
  let asked = null;  // the checkout on screen (its rewards are what the shopper answers)

  const token = () => (JSON.parse(localStorage.getItem(SAVED) || "null") || {}).token;

  function show(checkout) {
    asked = checkout;
    const section = $("consent");
    section.hidden = !checkout;
    if (!checkout) return;
    $("consent-question").textContent = checkout.question;
    $("consent-rewards").replaceChildren(...checkout.rewards.map((r) => el("li", {},
      t("%(reward)s: %(points)s points, −%(amount)s %(currency)s", { reward: r.name,
        points: Api.number(r.points), amount: Api.amount(r.discount_minor), currency: checkout.currency }))));
    const waiting = checkout.consent === "pending";
    $("consent-agree").hidden = $("consent-decline").hidden = !waiting;
    $("consent-result").textContent = {
      phone: t("You agreed: the cashier completes the sale."),
      cashier: t("You agreed: the cashier completes the sale."),
      declined: t("You declined: no points are used unless you tell the cashier otherwise."),
    }[checkout.consent] || t("At %(store)s", { store: checkout.store });
  }

  async function ask() {
    if (!token()) return;
    try {
      show((await call("GET", "/v1/me/checkout", { auth: token() })).checkout);
    } catch (_) { /* the next ask, or the live stream, brings it */ }
  }

  async function answer(agree) {
    if (!asked) return;
    try {
      const rewards = asked.rewards.map((r) => r.reward);
      show((await call("POST", `/v1/me/checkouts/${asked.id}/consent`,
        { auth: token(), json: { rewards, agree } })).checkout);
    } catch (error) {
      $("consent-result").textContent = describe(error);
      ask();
    }
  }

  $("consent-agree").addEventListener("click", () => answer(true));
  $("consent-decline").addEventListener("click", () => answer(false));
  return { show, ask };
})();
