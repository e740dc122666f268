// The cashier panel: the scanner's input focused for the keyboard-wedge scanner (Tab
// leaves it; every action is a button), both programs side by side with each reward
// added or removed on its own, the shopper's consent before points are spent, returns
// by the sale number on the receipt. All texts come from LABELS, in the store's language.
"use strict";
const L = JSON.parse(document.getElementById("labels").textContent);
const $ = (id) => document.getElementById(id);
const scan = $("scan");
// Amounts in the store's language (the page's lang): 7.27 in English, 7,27 in German.
const AMOUNT = new Intl.NumberFormat(document.documentElement.lang, { minimumFractionDigits: 2, maximumFractionDigits: 2 });
const money = (minor) => AMOUNT.format(minor / 100);
const esc = (text) => String(text ?? "").replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const OPEN = ["identified", "rewards_applied"];
const AGREED = ["phone", "cashier"];
const isField = (el) => !!el && (el.tagName === "INPUT" || el.tagName === "TEXTAREA");
let shown = null;  // the state on screen: its applied rewards are what the cashier asked about

// A click with the mouse or a finger hands the focus back to the scanner's input
// (except in the returns form, which is typed into); the keyboard keeps it where the
// cashier put it. Characters typed while a button has the focus (a scanner fired at
// the wrong moment) go to the scanner's input.
document.addEventListener("click", (event) => {
  if (event.detail > 0 && !isField(event.target) && !event.target.closest("#returns")) {
    setTimeout(() => scan.focus(), 0);
  }
});
document.addEventListener("keydown", (event) => {
  if (isField(event.target) || event.ctrlKey || event.metaKey || event.altKey) return;
  if (event.key.length === 1 && event.key !== " ") scan.focus();
});

async function send(path, body, isForm) {
  const options = { method: "POST" };
  if (isForm) options.body = body;
  else { options.headers = { "Content-Type": "application/json" }; options.body = JSON.stringify(body || {}); }
  let data;
  try {
    const response = await fetch(path, options);
    data = await response.json();
  } catch (e) {
    data = { error: { code: "plugin_not_running", message: L.plugin_not_running } };
  }
  if (data.error) render(data.state || null, data.error);
  else render(data, null);
}

scan.addEventListener("keydown", (event) => {
  if (event.key !== "Enter") return;
  event.preventDefault();
  const text = scan.value.trim();
  scan.value = "";
  if (text) send("/api/scan", { text });
});
$("photo").addEventListener("change", () => {
  const file = $("photo").files[0];
  if (!file) return;
  const form = new FormData();
  form.append("image", file);
  $("photo").value = "";
  send("/api/scan-image", form, true);
});
const applied = () => (shown && shown.checkout ? shown.checkout.applied.map((a) => a.reward) : []);
$("apply-all").addEventListener("click", () => send("/api/apply", {}));
$("agreed-commit").addEventListener("click", () => send("/api/commit", { shopper_agreed: applied() }));
$("commit").addEventListener("click", () => send("/api/commit", {}));
$("void").addEventListener("click", () => send("/api/void", {}));
$("training").addEventListener("change", () => send("/api/training", { on: $("training").checked }));
document.querySelector(".programs").addEventListener("click", (event) => {
  const button = event.target.closest("button[data-reward]");
  if (!button) return;
  const ref = button.dataset.reward;
  const now = applied();
  send("/api/apply", { rewards: now.includes(ref) ? now.filter((r) => r !== ref) : [...now, ref] });
});
const findSale = () => send("/api/return/find", { sale: $("return-sale").value.trim() });
$("find-sale").addEventListener("click", findSale);
$("return-sale").addEventListener("keydown", (event) => {
  if (event.key === "Enter") { event.preventDefault(); findSale(); }
});
$("return-items").addEventListener("click", () => {
  const lines = [...document.querySelectorAll("#return-lines input")]
    .map((input) => ({ gtin: input.dataset.gtin, quantity: Number(input.value) }))
    .filter((line) => line.quantity > 0);
  send("/api/return", { lines });
});

function programColumn(element, program, checkout) {
  const heading = element.querySelector("h2").outerHTML;
  if (!program) { element.innerHTML = heading; return; }
  const isApplied = new Set(checkout.applied.map((a) => a.reward));
  const suggested = new Set(checkout.suggested);
  const open = OPEN.includes(checkout.status);
  const items = program.rewards.map((r) => {
    let tag = "";
    let action = "";
    if (isApplied.has(r.reward)) {
      tag = `<span class="tag applied">${L.applied}</span>`;
      action = L.remove;
    } else {
      if (suggested.has(r.reward)) tag = `<span class="tag suggested">${L.suggested}</span>`;
      else if (!r.eligible) tag = `<span class="tag not-now">${L.not_now}</span>`;
      if (r.eligible) action = L.add;
    }
    const button = open && action ? `<button id="reward-${esc(r.reward)}" data-reward="${esc(r.reward)}" aria-label="${action}: ${esc(r.name)}">${action}</button>` : "";
    const why = r.eligible ? "" : `<span class="why-not">${esc(r.why_not)}</span>`;
    return `<li data-reward="${esc(r.reward)}"><span class="offer">${esc(r.name)} · ${r.points} ${L.points} · −${money(r.value_minor)}${tag}</span>${button}${why}</li>`;
  }).join("");
  element.innerHTML = `${heading}<div class="kind">${esc(program.name)}</div>
    <div>${L.balance}: <b class="balance">${program.balance}</b> ${L.points} ·
    ${L.will_earn}: <b class="earn">${program.earn_preview}</b> ${L.points}</div><ul>${items}</ul>`;
}

function consentText(checkout) {
  if (!checkout || !checkout.consent || !OPEN.includes(checkout.status)) return "";
  if (checkout.consent === "phone") return L.consent_phone;
  if (checkout.consent === "declined") return L.consent_declined;
  if (checkout.consent === "cashier") return "";
  return `${L.ask_shopper}: “${checkout.question}” ${L.ask_hint}`;
}

let returnShown = "";
function returnSection(returning) {
  // Rebuilt only when the return changed: quantities being typed stay.
  const key = JSON.stringify(returning);
  if (key === returnShown) return;
  returnShown = key;
  const sale = returning && returning.sale;
  $("return-lines").innerHTML = sale ? sale.lines.map((line) =>
    `<li><label>${esc(line.description || line.gtin)} · ${line.quantity} × ${money(line.unit_price_minor)} · ${L.returned}:
      <input type="number" min="0" max="${line.quantity}" value="0" data-gtin="${esc(line.gtin)}"></label></li>`).join("") : "";
  $("return-items").hidden = !sale;
  const result = returning && returning.result;
  $("return-result").innerHTML = result ? `${L.sale_number} ${sale.id} · ${L.refund}: <b id="refund">${money(result.refund_minor)}</b> ${esc(sale.currency)}<ul>${
    Object.entries(result.points).map(([program, p]) => `<li>${esc(program)}: ${p.clawed_back} ${L.taken_back}${p.shortfall ? ` (${p.shortfall} ${L.shortfall})` : ""}</li>`).join("")}</ul>` : "";
}

function render(state, error) {
  // The store's language changed (learnt at a new checkout): the page's texts are the
  // old language's, so load it again; the register keeps the sale meanwhile.
  if (state && state.language && state.language !== document.documentElement.lang) {
    window.location.reload();
    return;
  }
  const focused = document.activeElement && document.activeElement.id;
  if (state) {
    shown = state;
    const phase = state.state;
    // A cancelled checkout leaves nothing on screen that could be charged.
    const checkout = phase === "voided" ? null : state.checkout;
    document.body.dataset.state = phase;
    $("training").checked = state.training;
    $("training-banner").classList.toggle("on", state.training);
    $("practice-code").textContent = state.practice_code ? `${L.practice_code}: ${state.practice_code}` : "";
    $("offline-banner").classList.toggle("on", state.offline);
    $("queued").textContent = state.queued ? `${L.waiting_to_send}: ${state.queued}` : "";
    const status = {
      ready: L.ready, open: L.ready,
      identified: checkout ? `${L.shopper}: ${checkout.shopper.display_name}` : L.offline_banner,
      rewards_applied: checkout ? `${L.shopper}: ${checkout.shopper.display_name} · ${L.applied}` : "",
      committed: checkout ? `${L.sale_done} · ${L.sale_number} ${checkout.id}` : L.queued_done,
      voided: L.sale_cancelled,
    }[phase] || L.ready;
    $("status").textContent = status;
    const basket = phase === "voided" ? null : state.basket;
    $("basket").textContent = basket ? `${L.basket}: ${money(basket.lines.reduce((s, l) => s + l.quantity * l.unit_price_minor, 0))} ${basket.currency} (${basket.lines.reduce((s, l) => s + l.quantity, 0)} ${L.items})` : "";
    const programs = checkout ? checkout.programs : [];
    programColumn($("program-store"), programs.find((p) => p.kind === "store"), checkout);
    programColumn($("program-partner"), programs.find((p) => p.kind === "partner"), checkout);
    const open = OPEN.includes(phase);
    const hasRewards = !!checkout && checkout.applied.length > 0;
    const agreed = hasRewards && AGREED.includes(checkout.consent);
    const canApply = open && !!checkout && checkout.suggested.length > 0 && !hasRewards && !state.offline;
    $("apply-all").disabled = !canApply;
    $("agreed-commit").disabled = !(open && hasRewards && !agreed);
    $("commit").disabled = !(open && (!hasRewards || agreed));
    $("void").disabled = !open;
    $("apply-all").classList.toggle("next", canApply);
    $("agreed-commit").classList.toggle("next", open && hasRewards && !agreed);
    $("commit").classList.toggle("next", open && !canApply && (!hasRewards || agreed));
    const consent = consentText(checkout);
    $("consent").textContent = consent;
    $("consent").classList.toggle("on", !!consent);
    $("consent").classList.toggle("agreed", !!checkout && checkout.consent === "phone");
    $("totals").innerHTML = checkout ? `${L.discount}: <b id="discount">−${money(checkout.totals.discount_minor)}</b> · ${L.to_pay}: <b id="to-pay">${money(checkout.totals.to_pay_minor)}</b> ${checkout.currency}` : "";
    const receipt = checkout && checkout.receipt;
    $("receipt").classList.toggle("on", !!receipt);
    $("receipt-title").textContent = receipt ? `${L.receipt} · ${L.sale_number} ${receipt.checkout_id}` : L.receipt;
    $("receipt-lines").innerHTML = receipt ? receipt.lines.map((line) =>
      `<li class="${esc(line.kind)}">${esc(line.text)}: ${line.points} ${L.points}${line.amount_minor ? ` (${money(line.amount_minor)})` : ""}</li>`).join("") : "";
    returnSection(state.return);
  }
  const problem = error || (state && state.error);
  $("error").classList.toggle("on", !!problem);
  $("error-code").textContent = problem ? problem.code : "";
  $("error-message").textContent = problem ? problem.message : "";
  // The keyboard stays where it was while that element is still there and usable;
  // a button that just did its job hands over to the next step's button.
  const again = focused && $(focused);
  if (again && !again.disabled && !again.hidden) again.focus();
  else if (focused && focused !== "scan" && document.querySelector("button.next:enabled")) {
    document.querySelector("button.next:enabled").focus();
  } else if (!document.activeElement || document.activeElement === document.body) scan.focus();
}

let lastSeen = "";
async function refresh() {
  try {
    const response = await fetch("/api/state");
    const text = await response.text();
    if (text !== lastSeen) { lastSeen = text; render(JSON.parse(text), null); }
  } catch (e) { /* the next refresh tries again */ }
}
refresh();
// The till may send a new basket, and the shopper may agree on their phone, at any time.
setInterval(refresh, 2000);
