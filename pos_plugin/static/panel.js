// The cashier panel: one input always focused for the keyboard-wedge scanner, both
// programs side by side, one button to apply all rewards. All texts come from LABELS.
"use strict";
const L = JSON.parse(document.getElementById("labels").textContent);
const $ = (id) => document.getElementById(id);
const scan = $("scan");
const money = (minor) => (minor / 100).toFixed(2);
const esc = (text) => String(text ?? "").replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const OPEN = ["identified", "rewards_applied"];

function keepScannerFocused() {
  const active = document.activeElement;
  if (active !== scan && !(active && active.type === "file")) scan.focus();
}
scan.addEventListener("blur", () => setTimeout(keepScannerFocused, 0));
document.addEventListener("click", () => setTimeout(keepScannerFocused, 0));

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
$("apply-all").addEventListener("click", () => send("/api/apply", {}));
$("commit").addEventListener("click", () => send("/api/commit", {}));
$("void").addEventListener("click", () => send("/api/void", {}));
$("training").addEventListener("change", () => send("/api/training", { on: $("training").checked }));

function programColumn(element, program, checkout) {
  const heading = element.querySelector("h2").outerHTML;
  if (!program) { element.innerHTML = heading; return; }
  const applied = new Set(checkout.applied.map((a) => a.reward));
  const suggested = new Set(checkout.suggested);
  const items = program.rewards.map((r) => {
    let tag = "";
    if (applied.has(r.reward)) tag = `<span class="tag applied">${L.applied}</span>`;
    else if (suggested.has(r.reward)) tag = `<span class="tag suggested">${L.suggested}</span>`;
    else if (!r.eligible) tag = `<span class="tag not-now" title="${esc(r.why_not)}">${L.not_now}</span>`;
    return `<li data-reward="${esc(r.reward)}">${esc(r.name)} · ${r.points} ${L.points} · −${money(r.value_minor)}${tag}</li>`;
  }).join("");
  element.innerHTML = `${heading}<div class="kind">${esc(program.name)}</div>
    <div>${L.balance}: <b class="balance">${program.balance}</b> ${L.points} ·
    ${L.will_earn}: <b class="earn">${program.earn_preview}</b> ${L.points}</div><ul>${items}</ul>`;
}

function render(state, error) {
  if (state) {
    const checkout = state.checkout;
    const phase = state.state;
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
      committed: checkout ? L.sale_done : L.queued_done,
      voided: L.sale_cancelled,
    }[phase] || L.ready;
    $("status").textContent = status;
    const basket = state.basket;
    $("basket").textContent = basket ? `${L.basket}: ${money(basket.lines.reduce((s, l) => s + l.quantity * l.unit_price_minor, 0))} ${basket.currency} (${basket.lines.reduce((s, l) => s + l.quantity, 0)} ${L.items})` : "";
    const programs = checkout ? checkout.programs : [];
    programColumn($("program-store"), programs.find((p) => p.kind === "store"), checkout);
    programColumn($("program-partner"), programs.find((p) => p.kind === "partner"), checkout);
    const open = OPEN.includes(phase);
    const canApply = open && !!checkout && checkout.suggested.length > 0 && !state.offline;
    $("apply-all").disabled = !canApply;
    $("commit").disabled = !open;
    $("void").disabled = !open;
    $("apply-all").classList.toggle("next", phase === "identified" && canApply);
    $("commit").classList.toggle("next", phase === "rewards_applied" || (phase === "identified" && !canApply));
    $("totals").innerHTML = checkout ? `${L.discount}: <b id="discount">−${money(checkout.totals.discount_minor)}</b> · ${L.to_pay}: <b id="to-pay">${money(checkout.totals.to_pay_minor)}</b> ${checkout.currency}` : "";
    const receipt = checkout && checkout.receipt;
    $("receipt").classList.toggle("on", !!receipt);
    $("receipt-lines").innerHTML = receipt ? receipt.lines.map((line) =>
      `<li class="${esc(line.kind)}">${esc(line.text)}: ${line.points} ${L.points}${line.amount_minor ? ` (${money(line.amount_minor)})` : ""}</li>`).join("") : "";
  }
  const shown = error || (state && state.error);
  $("error").classList.toggle("on", !!shown);
  $("error-code").textContent = shown ? shown.code : "";
  $("error-message").textContent = shown ? shown.message : "";
  keepScannerFocused();
}

async function refresh() {
  try {
    const response = await fetch("/api/state");
    render(await response.json(), null);
  } catch (e) { /* the next refresh tries again */ }
}
refresh();
// The till may send a new basket at any time through the bridge routes.
setInterval(refresh, 2000);
