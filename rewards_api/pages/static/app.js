/* The shopper app. The phone keeps its token, public id and checkout secret in
   localStorage (the secret lets it show the checkout code without signal). A phone
   that signed in with an e-mailed code or a passkey has no secret: the rewards
   service makes its checkout code. */
"use strict";

(() => {
  const { call, el, svgNode, say, describe, t, number } = Api;
  const SAVED = "rewards.shopper";
  const STORE = "rewards.store";
  const WAITING = "rewards.waiting-scan";
  // How long a scan made before the store saw the shopper walk in waits to be sent
  // again: the store's agents decide within minutes of the door.
  const WAIT_MS = 30 * 60 * 1000;
  // The number under a barcode: 13 digits EAN-13, 12 UPC-A, 8 EAN-8.
  const SYMBOLOGY_BY_LENGTH = { 13: "ean13", 12: "upca", 8: "ean8" };
  const $ = (id) => document.getElementById(id);
  let me = null;
  let stores = [];
  let historyBefore = null;
  let qrTimer = null;
  let live = null;  // the stream of this shopper's news (/v1/live/me)
  let toastTimer = null;
  let waiting = null;  // the scan waiting for the store to see the shopper (waitFor)

  const saved = () => JSON.parse(localStorage.getItem(SAVED) || "null");
  const token = () => (saved() || {}).token;

  async function signedIn(path, options = {}) {
    try {
      return await call(options.method || "GET", path, { ...options, auth: token() });
    } catch (error) {
      if (error.status !== 401 || !(await signInAgain())) throw error;
      return call(options.method || "GET", path, { ...options, auth: token() });
    }
  }

  /* An expired token: this phone holds the checkout secret, so its current code
     signs it in again. */
  async function signInAgain() {
    const shopper = saved();
    if (!shopper || !shopper.checkout_secret || !Totp.available()) return false;
    try {
      const code = await Totp.code(shopper.checkout_secret, Date.now() / 1000);
      const answer = await call("POST", "/v1/shoppers/login",
        { json: { public_id: shopper.public_id, code } });
      localStorage.setItem(SAVED, JSON.stringify({ ...shopper, token: answer.token }));
      return true;
    } catch (_) {
      return false;
    }
  }

  function stopLive() {
    if (live) live.stop();
    live = null;
  }

  function showSignUp(message) {
    stopLive();
    clearTimeout(qrTimer);
    $("signed-in").hidden = true;
    $("signin").hidden = true;
    $("signup").hidden = false;
    if (message) say(message);
  }

  function showSignIn(message) {
    stopLive();
    clearTimeout(qrTimer);
    $("signed-in").hidden = true;
    $("signup").hidden = true;
    $("signin").hidden = false;
    $("passkey-signin").hidden = !Passkeys.available();
    if (message) say(message);
  }

  /* ---- sign-in on a new phone: a code by e-mail or a passkey -------------------- */

  async function signedInWith(answer) {
    localStorage.setItem(SAVED, JSON.stringify({ token: answer.token }));
    $("signin-email-form").reset();
    $("signin-code-form").reset();
    $("signin-code-form").hidden = true;
    $("signin-result").textContent = "";
    await start();
    say(t("Welcome back! Your points are all here."));
  }

  function showResult(id, text, kind) {
    $(id).textContent = text;
    $(id).dataset.kind = kind;
  }

  async function askForSignInCode(event) {
    event.preventDefault();
    try {
      const answer = await call("POST", "/v1/shoppers/sign-in-code",
        { json: { email: $("signin-email").value.trim() } });
      $("signin-code-form").hidden = false;
      $("signin-code").focus();
      showResult("signin-result", answer.message, "ok");
    } catch (error) {
      showResult("signin-result", describe(error), "error");
    }
  }

  async function signInWithCode(event) {
    event.preventDefault();
    try {
      await signedInWith(await call("POST", "/v1/shoppers/sign-in",
        { json: { email: $("signin-email").value.trim(), code: $("signin-code").value.trim() } }));
    } catch (error) {
      showResult("signin-result", describe(error), "error");
    }
  }

  async function signInWithPasskey() {
    try {
      const { options } = await call("POST", "/v1/shoppers/passkey-options");
      const credential = await Passkeys.get(options);
      await signedInWith(await call("POST", "/v1/shoppers/passkey-sign-in", { json: { credential } }));
    } catch (error) {
      showResult("signin-result", error.code ? describe(error)
        : t("No passkey was used. Try again, or sign in with a code sent by e-mail."), "error");
    }
  }

  async function addEmail(event) {
    event.preventDefault();
    try {
      const answer = await signedIn("/v1/me/email", { method: "POST",
        json: { email: $("email-address").value.trim() } });
      $("email-code-form").hidden = false;
      $("email-code").focus();
      showResult("recovery-result", t("We sent a code to %(email)s; type it here.", { email: answer.email }), "ok");
    } catch (error) {
      showResult("recovery-result", describe(error), "error");
    }
  }

  async function confirmEmail(event) {
    event.preventDefault();
    try {
      const answer = await signedIn("/v1/me/email/confirm", { method: "POST",
        json: { code: $("email-code").value.trim() } });
      $("email-form").reset();
      $("email-code-form").reset();
      $("email-code-form").hidden = true;
      showResult("recovery-result", t("Done: a new phone can now sign in with %(email)s.", { email: answer.email }), "ok");
      await loadSignInMethods();
    } catch (error) {
      showResult("recovery-result", describe(error), "error");
    }
  }

  async function addPasskey() {
    try {
      const { options } = await signedIn("/v1/me/passkeys/options", { method: "POST" });
      const credential = await Passkeys.create(options);
      await signedIn("/v1/me/passkeys", { method: "POST", json: { credential } });
      showResult("recovery-result", t("Passkey added: sign in with it on a new phone."), "ok");
      await loadSignInMethods();
    } catch (error) {
      showResult("recovery-result", error.code ? describe(error)
        : t("No passkey was made. Try again when your phone asks for your screen lock."), "error");
    }
  }

  /* The sign-in methods: the e-mail address (changed with a code sent to the new
     one) and the passkeys, each removable (a lost phone's). */
  async function loadSignInMethods() {
    const methods = await signedIn("/v1/me/sign-in-methods");
    $("recovery-email").textContent = methods.email
      ? t("Codes are sent to %(email)s.", { email: methods.email }) : t("No e-mail address yet.");
    const when = (iso) => new Date(iso).toLocaleDateString(document.documentElement.lang);
    $("passkeys").replaceChildren(...methods.passkeys.map((passkey, i) => {
      const remove = el("button", { type: "button", class: "secondary",
        text: t("Remove"), "aria-label": t("Remove passkey %(number)s", { number: i + 1 }) });
      remove.addEventListener("click", () => removePasskey(passkey.id));
      return el("li", { "data-passkey": passkey.id },
        el("span", { class: "name", text: t("Passkey %(number)s", { number: i + 1 }) }),
        el("span", { class: "hint", text: passkey.last_used_at
          ? t("added %(added)s, last used %(used)s", { added: when(passkey.created_at), used: when(passkey.last_used_at) })
          : t("added %(added)s, not used yet", { added: when(passkey.created_at) }) }),
        remove);
    }));
    if (methods.passkeys.length === 0) {
      $("passkeys").append(el("li", { class: "hint", text: t("No passkey yet.") }));
    }
  }

  async function removePasskey(id) {
    try {
      await signedIn(`/v1/me/passkeys/${id}`, { method: "DELETE" });
      showResult("recovery-result", t("Passkey removed: it no longer signs in."), "ok");
    } catch (error) {
      showResult("recovery-result", describe(error), "error");
    }
    await loadSignInMethods().catch((error) => say(describe(error), "error"));
  }

  async function signUp(event) {
    event.preventDefault();
    const form = event.target;
    const phone = form.phone.value.trim();
    try {
      const answer = await call("POST", "/v1/shoppers",
        { json: { display_name: form.display_name.value.trim(), phone: phone || null } });
      localStorage.setItem(SAVED, JSON.stringify(answer));
      form.reset();
      await start();
      say(t("Welcome! Your checkout code is ready."));
    } catch (error) {
      if (error.code === "phone_taken") showSignIn(describe(error));
      else say(describe(error), "error");
    }
  }

  /* Every program the shopper can collect in: their accounts, and the stores' own
     programs they have not used yet (an account opens on the first points). */
  function programsToShow() {
    const codes = new Set(me.accounts.map((a) => a.program));
    const unused = new Map(stores.filter((st) => st.program && !codes.has(st.program))
      .map((st) => [st.program, { program: st.program, program_name: st.program_name,
        available: 0, held: 0, membership_number: null }]));
    return [...me.accounts, ...unused.values()];
  }

  function renderMe() {
    $("me-name").textContent = me.display_name;
    $("assist-opt-in").checked = me.assist_opt_in;
    const list = $("balances");
    list.replaceChildren(...programsToShow().map((account) => el("li", { class: "balance" },
      el("span", { class: "program", text: account.program_name }),
      el("span", { class: "points", text: t("%(points)s points", { points: number(account.available) }) }),
      account.held ? el("span", { class: "hint", text: t("%(points)s reserved at a register", { points: number(account.held) }) }) : null,
      account.membership_number ? el("span", { class: "hint", text: t("Card %(number)s", { number: account.membership_number }) }) : null)));
    updateHelpButton();
  }

  async function loadMe() {
    me = await signedIn("/v1/me");
    // The language chosen on the account follows the shopper to a new phone.
    if (me.language && me.language !== Api.language && !Api.languageChosen()) {
      Api.useLanguage(me.language);
    }
    renderMe();
  }

  // Choosing a language in the header keeps it on the account too.
  Api.beforeLanguageChange(async (language) => {
    if (token()) await signedIn("/v1/me", { method: "PATCH", json: { language } });
  });

  function programName(code) {
    const account = me && me.accounts.find((a) => a.program === code);
    const store = stores.find((st) => st.program === code);
    return account ? account.program_name : store ? store.program_name : code;
  }

  function entryItem(entry) {
    const when = new Date(entry.created_at).toLocaleString(Api.language);
    const sign = entry.amount > 0 ? "+" : "";
    return el("li", {},
      el("span", { class: "kind", text: entry.what }),
      el("span", { class: entry.amount > 0 ? "plus" : "minus", text: `${sign}${number(entry.amount)}` }),
      el("span", { class: "hint", text: [programName(entry.program), entry.where, when]
        .filter(Boolean).join(" · ") }));
  }

  async function loadHistory(more = false) {
    const query = more && historyBefore ? `?limit=20&before=${historyBefore}` : "?limit=20";
    const answer = await signedIn("/v1/me/history" + query);
    const items = answer.entries.map(entryItem);
    if (more) $("history").append(...items);
    else $("history").replaceChildren(...items);
    if (!more && items.length === 0) $("history").append(el("li", { class: "hint", text: t("No points yet: walk into a partner store or scan a product.") }));
    historyBefore = answer.next_before;
    $("history-more").hidden = historyBefore === null;
  }

  /* ---- checkout code -------------------------------------------------------- */

  async function currentCode() {
    const shopper = saved();
    const now = Date.now() / 1000;
    if (shopper.checkout_secret && Totp.available()) {
      const code = await Totp.code(shopper.checkout_secret, now);
      const qr = qrcode(0, "M");
      qr.addData(`RWD1:${shopper.public_id}:${code}`);
      qr.make();
      return { code, svg: qr.createSvgTag({ cellSize: 8, margin: 32, scalable: true }),
        expiresIn: Totp.STEP_SECONDS - Math.floor(now % Totp.STEP_SECONDS), source: "phone" };
    }
    const answer = await signedIn("/v1/me/checkout-code");
    return { code: answer.code, svg: answer.qr_svg, expiresIn: answer.expires_in, source: "server" };
  }

  async function refreshCode() {
    clearTimeout(qrTimer);
    let next = 5;
    try {
      const current = await currentCode();
      const figure = $("qr");
      figure.replaceChildren(svgNode(current.svg, t("Checkout QR code")));
      figure.dataset.source = current.source;
      $("qr-code").textContent = current.code.replace(/(\d{4})(\d{4})/, "$1 $2");
      $("qr-source").textContent = current.source === "phone"
        ? t("Made on this phone: works without signal.") : t("Made by the rewards service.");
      next = current.expiresIn;
      countdown(Date.now() + next * 1000);
    } catch (error) {
      say(describe(error), "error");
    }
    qrTimer = setTimeout(refreshCode, next * 1000);
  }

  let countdownTimer = null;
  function countdown(until) {
    clearInterval(countdownTimer);
    const tick = () => {
      const left = Math.max(0, Math.round((until - Date.now()) / 1000));
      $("qr-countdown").textContent = t("New code in %(seconds)s s.", { seconds: left });
    };
    tick();
    countdownTimer = setInterval(tick, 1000);
  }

  /* ---- the store: what to scan, scanning, help --------------------------------- */

  function chosenStore() {
    const id = Number($("store-select").value);
    return stores.find((store) => store.id === id) || null;
  }

  async function loadStores() {
    stores = (await call("GET", "/v1/stores")).stores;
    const remembered = Number(localStorage.getItem(STORE));
    $("store-select").replaceChildren(...stores.map((store) => el("option",
      { value: store.id, selected: store.id === remembered, text: store.name })));
    const programs = new Map(stores.filter((s) => s.program).map((s) => [s.program, s.program_name]));
    $("card-program").replaceChildren(...[...programs].map(([code, name]) =>
      el("option", { value: code, text: name })));
    // Until the programs are here, the empty list would only block the form.
    $("card-link").disabled = programs.size === 0;
    if (me) renderMe();
    await loadScanProducts();
  }

  /* Each product's state for this shopper: one award per offer, so scanning one of
     its products uses up the others. */
  const SCAN_STATES = {
    scanned: [t("Scanned: points earned"), "done"],
    not_yet: [t("Not scanned yet"), "hint"],
    limit_reached: [t("Limit reached: this offer's points are used up"), "hint"],
  };

  /* "You are in Berlin Mitte since 10:42" while the phone is checked in somewhere
     (GET /v1/me/visit, or the stream's "visit" as it changes); a scan waiting for that
     store goes again then. */
  async function loadVisit() {
    await showVisit((await signedIn("/v1/me/visit")).visit);
  }

  async function showVisit(visit) {
    $("visit").hidden = !visit;
    if (!visit) return;
    $("visit").textContent = t("You are in %(store)s since %(time)s.", { store: visit.store_name, time: visit.since });
    if (chosenStore() && chosenStore().id !== visit.store_id) {
      $("store-select").value = String(visit.store_id);
      await loadScanProducts();
    }
    await sendWaitingScan(visit);
  }

  /* A scan refused as not_in_store: the shopper usually is inside, and the store's
     agents have not decided yet (they do within minutes of the door). The app keeps it
     for WAIT_MS and sends it again once the store sees the shopper there; the server
     checks the visit again, so a scan made at home earns nothing. A typed or camera
     code is kept on the phone; a photo only while the app stays open. */
  function waitFor(storeId, photo, code, symbology) {
    waiting = { storeId, photo, code, symbology, at: Date.now() };
    if (photo) localStorage.removeItem(WAITING);
    else localStorage.setItem(WAITING, JSON.stringify({ storeId, code, symbology, at: waiting.at }));
  }

  function stopWaiting() {
    waiting = null;
    localStorage.removeItem(WAITING);
  }

  function waitingScan() {
    const kept = waiting || JSON.parse(localStorage.getItem(WAITING) || "null");
    if (kept && Date.now() - kept.at > WAIT_MS) {
      stopWaiting();
      return null;
    }
    return kept;
  }

  async function sendWaitingScan(visit) {
    const kept = waitingScan();
    if (!kept || visit.store_id !== kept.storeId) return;
    stopWaiting();
    await scan(kept.photo || null, kept.code, kept.symbology);
  }

  async function loadScanProducts() {
    const store = chosenStore();
    const list = $("scan-products");
    updateHelpButton();
    if (!store) {
      list.replaceChildren(el("li", { class: "hint", text: t("No store is open yet.") }));
      return;
    }
    localStorage.setItem(STORE, store.id);
    try {
      const answer = await signedIn(`/v1/stores/${store.id}/scan-products`);
      const items = answer.products.map((item) => el("li", { class: "product" },
        el("span", { class: "name", text: item.product.name }),
        el("span", { class: "points", text: `+${number(item.points)} ${programName(item.program)}` }),
        el("span", { class: "hint", text: item.aisle || t("Ask staff where to find it") }),
        el("span", { class: SCAN_STATES[item.scan_state][1], "data-scan-state": item.scan_state,
          text: SCAN_STATES[item.scan_state][0] })));
      list.replaceChildren(...items);
      if (items.length === 0) list.append(el("li", { class: "hint", text: t("No scan offers in this store today.") }));
    } catch (error) {
      list.replaceChildren(el("li", { class: "hint", text: describe(error) }));
    }
  }

  /* The live camera scanner (camera.js); the photo upload stays as the fallback. */
  let stopCamera = null;

  async function openCamera() {
    const result = $("scan-result");
    $("camera").hidden = false;
    $("camera-open").hidden = true;
    result.textContent = "Opening the camera…";
    result.dataset.kind = "";
    try {
      const stop = await Camera.start($("camera-video"), (read) => {
        closeCamera();
        scan(null, read.value, read.symbology);
      });
      if ($("camera").hidden) stop();  // closed while it was opening
      else stopCamera = stop;
      result.textContent = t("Point the camera at the barcode.");
    } catch (error) {
      closeCamera();
      result.textContent = t("The camera cannot be used here: take a photo of the barcode instead.");
      result.dataset.kind = "error";
    }
  }

  function closeCamera() {
    if (stopCamera) stopCamera();
    stopCamera = null;
    $("camera").hidden = true;
    $("camera-open").hidden = !Camera.available();
  }

  /* A photo goes to the server to be read; a typed number, or a code the camera read
     (with its symbology), is sent as the code. */
  async function scan(photo, code, symbology = SYMBOLOGY_BY_LENGTH[code && code.length] || "ean13") {
    const store = chosenStore();
    const result = $("scan-result");
    if (!store) return;
    const request = { method: "POST" };
    if (photo) {
      request.form = new FormData();
      request.form.append("store_id", String(store.id));
      request.form.append("photo", photo);
    } else {
      request.json = { store_id: store.id, code, symbology };
    }
    result.textContent = t("Scanning…");
    result.dataset.kind = "";
    try {
      const answer = await signedIn("/v1/me/scans", request);
      const points = answer.awards.map((a) => `+${number(a.points)} ${programName(a.program)}`);
      result.textContent = `${answer.product.name}: ${points.join(", ")}.`;
      result.dataset.kind = "ok";
      const kept = waitingScan();
      if (kept && code && kept.storeId === store.id && kept.code === code) stopWaiting();  // scanned again by hand
      await Promise.all([loadMe(), loadHistory(), loadScanProducts(), loadVisit()]);
    } catch (error) {
      result.textContent = describe(error);
      result.dataset.kind = "error";
      if (error.code === "not_in_store") {
        waitFor(store.id, photo, code, symbology);
        const kept = t("The store has not seen you walk in yet. The app keeps this scan and sends it again by itself as soon as it does: keep Bluetooth on.");
        result.textContent = `${kept} (${error.code})`;
      }
    }
  }

  function updateHelpButton() {
    $("help-button").disabled = !(me && me.assist_opt_in && chosenStore());
  }

  async function setOptIn(event) {
    const wanted = event.target.checked;
    try {
      me = await signedIn("/v1/me", { method: "PATCH", json: { assist_opt_in: wanted } });
      renderMe();
      say(wanted ? t("Staff can now see when you ask for help.") : t("Staff will not see you in their help list."));
    } catch (error) {
      event.target.checked = !wanted;
      say(describe(error), "error");
    }
  }

  async function askForHelp() {
    const result = $("help-result");
    try {
      await signedIn("/v1/me/help-requests", { method: "POST", json: { store_id: chosenStore().id } });
      result.textContent = t("Staff have been told. Someone will come to you.");
      result.dataset.kind = "ok";
    } catch (error) {
      result.textContent = describe(error);
      result.dataset.kind = "error";
    }
  }

  /* ---- card, export, delete ---------------------------------------------------- */

  async function linkCard(event) {
    event.preventDefault();
    const result = $("card-result");
    try {
      const account = await signedIn("/v1/me/memberships", { method: "POST",
        json: { program: $("card-program").value, membership_number: $("card-number").value.trim() } });
      result.textContent = t("Card linked to %(program)s.", { program: account.program_name });
      result.dataset.kind = "ok";
      await loadMe();
    } catch (error) {
      result.textContent = describe(error);
      result.dataset.kind = "error";
    }
  }

  async function exportData() {
    try {
      const data = await signedIn("/v1/me/export");
      const link = $("export-link");
      URL.revokeObjectURL(link.href);
      link.href = URL.createObjectURL(new Blob([JSON.stringify(data, null, 2)], { type: "application/json" }));
      link.hidden = false;
      link.click();
    } catch (error) {
      say(describe(error), "error");
    }
  }

  async function confirmDelete() {
    if ($("delete-dialog").returnValue !== "delete") return;
    try {
      await signedIn("/v1/me", { method: "DELETE" });
      localStorage.removeItem(SAVED);
      stopWaiting();
      showSignUp(t("Your data was deleted. Thank you for shopping with us."));
    } catch (error) {
      say(describe(error), "error");
    }
  }

  /* ---- live: points as they are credited, the register's question -------------- */

  /* One line per credit; lines arriving together (a walk-in earns in both programs)
     stay together. */
  function toast(text) {
    const box = $("toast");
    box.textContent = box.hidden ? text : `${box.textContent}\n${text}`;
    box.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(() => { box.hidden = true; }, 8000);
  }

  async function pointsArrived(entry) {
    if (entry.amount > 0) {
      const why = entry.kind === "walk_in" && entry.where ? t("welcome to %(store)s", { store: entry.where })
        : entry.what && entry.where ? t("%(what)s at %(store)s", { what: entry.what, store: entry.where })
          : entry.what || entry.where || "";
      toast(`+${number(entry.amount)} ${programName(entry.program)}: ${why}`);
    }
    await Promise.all([loadMe(), loadHistory(), loadVisit()])
      .catch((error) => say(describe(error), "error"));
  }

  function followLive() {
    if (live) return;
    // Without a stream, the app asks for the checkout and, while a scan waits, the visit.
    const fallback = () => Promise.all([Consent.ask(), waitingScan() && loadVisit().catch(() => {})]);
    live = Live.follow("/v1/live/me", { auth: token, fallback, on: {
      points: pointsArrived,
      checkout: (answer) => Consent.show(answer.checkout),
      visit: (answer) => showVisit(answer.visit).catch((error) => say(describe(error), "error")),
    } });
  }

  async function start() {
    if (!saved()) {
      showSignUp();
      return;
    }
    try {
      await loadMe();
    } catch (error) {
      if (error.status === 401) {
        localStorage.removeItem(SAVED);
        stopWaiting();  // whoever signs in next may be someone else
        showSignIn(t("This phone is no longer signed in; sign in again. Your points are safe."));
        return;
      }
      say(describe(error), "error");
      return;
    }
    $("signup").hidden = true;
    $("signin").hidden = true;
    $("signed-in").hidden = false;
    $("passkey-add").hidden = !Passkeys.available();
    refreshCode();
    await Promise.all([loadHistory(), loadStores()]);
    await Promise.all([loadVisit(), loadSignInMethods()])
      .catch((error) => say(describe(error), "error"));
    followLive();
  }

  $("signup-form").addEventListener("submit", signUp);
  $("to-signin").addEventListener("click", () => showSignIn());
  $("to-signup").addEventListener("click", () => showSignUp());
  $("signin-email-form").addEventListener("submit", askForSignInCode);
  $("signin-code-form").addEventListener("submit", signInWithCode);
  $("passkey-signin").addEventListener("click", signInWithPasskey);
  $("email-form").addEventListener("submit", addEmail);
  $("email-code-form").addEventListener("submit", confirmEmail);
  $("passkey-add").addEventListener("click", addPasskey);
  $("history-more").addEventListener("click", () => loadHistory(true));
  $("store-select").addEventListener("change", loadScanProducts);
  $("camera-open").hidden = !Camera.available();
  $("camera-open").addEventListener("click", openCamera);
  $("camera-close").addEventListener("click", closeCamera);
  $("scan-photo").addEventListener("change", (event) => {
    const file = event.target.files[0];
    if (file) scan(file, null).finally(() => { event.target.value = ""; });
  });
  $("scan-code-form").addEventListener("submit", (event) => {
    event.preventDefault();
    scan(null, $("scan-code").value.replace(/\s/g, ""));
  });
  $("assist-opt-in").addEventListener("change", setOptIn);
  $("help-button").addEventListener("click", askForHelp);
  $("card-form").addEventListener("submit", linkCard);
  $("export-button").addEventListener("click", exportData);
  $("delete-button").addEventListener("click", () => $("delete-dialog").showModal());
  $("delete-dialog").addEventListener("close", confirmDelete);
  start();
})();
