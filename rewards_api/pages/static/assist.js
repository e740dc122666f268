/* Staff assist view: shoppers who opted in and asked for help while checked in, with
   the campaign products they scanned during this visit. */
"use strict";

(() => {
  const { call, el, say, describe, staffAccess, t } = Api;
  const $ = (id) => document.getElementById(id);
  let current = null;

  function minutes(n) {
    return n < 1 ? t("asked just now") : t("asked %(minutes)s min ago", { minutes: Api.number(n) });
  }

  function person(shopper, key, storeId) {
    const tried = shopper.scans.map((scan) => el("li", {},
      el("span", { text: scan.product }),
      el("span", { class: "hint", text: `${scan.refused ? t("refused: %(code)s", { code: scan.refused.replaceAll("_", " ") }) : `+${Api.number(scan.points)}`}${scan.aisle ? ` · ${scan.aisle}` : ""}` })));
    const helped = el("button", { type: "button", text: t("Helped") });
    helped.addEventListener("click", async () => {
      try {
        await call("POST", `/v1/stores/${storeId}/assist/${shopper.help_request_id}/helped`, { auth: key });
        say(t("%(name)s is off the list.", { name: shopper.display_name }));
        await show(key, storeId);
      } catch (error) {
        say(describe(error), "error");
      }
    });
    return el("li", { "data-help-request": shopper.help_request_id },
      el("span", { class: "name", text: shopper.display_name }),
      el("span", { class: "hint", text: minutes(shopper.waiting_minutes) }),
      el("div", { class: "hint" },
        tried.length ? t("Tried to scan this visit:") : t("No products scanned yet this visit.")),
      tried.length ? el("ul", { class: "tried" }, ...tried) : null,
      helped);
  }

  async function show(key, storeId) {
    const answer = await call("GET", `/v1/stores/${storeId}/assist`, { auth: key });
    current = { key, storeId };
    $("waiting").hidden = false;
    $("waiting-title").textContent = t("Waiting for help in %(store)s", { store: answer.store_name });
    $("people").replaceChildren(...answer.shoppers.map((s) => person(s, key, storeId)));
    if (answer.shoppers.length === 0) {
      $("people").append(el("li", { class: "hint", text: t("Nobody is asking for help right now.") }));
    }
    $("as-of").textContent = t("As of %(time)s", { time: new Date(answer.as_of).toLocaleTimeString(Api.language) });
    await showScanProducts(key, storeId);
  }

  /* The staff view of "what to scan": today's campaign products with their aisles. */
  async function showScanProducts(key, storeId) {
    const answer = await call("GET", `/v1/stores/${storeId}/scan-products`, { auth: key });
    const rows = answer.products.map((item) => el("tr", {},
      el("td", { text: item.product.name }),
      el("td", { text: `+${Api.number(item.points)} ${item.program}` }),
      el("td", { text: item.aisle || t("ask the manager") })));
    if (rows.length === 0) {
      rows.push(el("tr", {}, el("td", { colspan: "3", text: t("No scan offers here today.") })));
    }
    $("today-products").tBodies[0].replaceChildren(...rows);
    $("today").hidden = false;
  }

  /* A new help request chimes (unless muted) and redraws the list; the store's stream
     brings it. Without a stream the list is asked for every 10 seconds. The chime is
     made here (Web Audio), no sound file; browsers let a page sound only after a tap
     on it, which the "Show who needs help" button is. */
  const MUTED = "rewards.assist-muted";
  let audio = null;
  let waitingCount = null;

  function chime() {
    const times = Number($("chime").dataset.chimed || 0) + 1;
    $("chime").dataset.chimed = String(times);
    if ($("chime-on").checked === false) return;
    audio = audio || new AudioContext();
    $("chime").dataset.sounded = String(Number($("chime").dataset.sounded || 0) + 1);
    const now = audio.currentTime;
    [880, 1320].forEach((pitch, i) => {
      const tone = audio.createOscillator();
      const volume = audio.createGain();
      tone.frequency.value = pitch;
      volume.gain.setValueAtTime(0.25, now + i * 0.18);
      volume.gain.exponentialRampToValueAtTime(0.001, now + i * 0.18 + 0.35);
      tone.connect(volume).connect(audio.destination);
      tone.start(now + i * 0.18);
      tone.stop(now + i * 0.18 + 0.4);
    });
  }

  async function showLive(key, storeId) {
    if (audio === null && $("chime-on").checked) audio = new AudioContext();  // on the tap
    await show(key, storeId);
    Live.followStore(key, storeId, {
      fallback: () => show(key, storeId).catch((e) => say(describe(e), "error")), fallbackMs: 10000,
      on: {
        help: () => {
          chime();
          say(t("A shopper is asking for help."));
          show(key, storeId).catch((e) => say(describe(e), "error"));
        },
        store: (pulse) => {
          if (waitingCount !== null && pulse.waiting !== waitingCount) {
            show(key, storeId).catch((e) => say(describe(e), "error"));
          }
          waitingCount = pulse.waiting;
        },
      },
    });
  }

  $("chime-on").checked = localStorage.getItem(MUTED) !== "yes";
  $("chime-on").addEventListener("change", () => {
    localStorage.setItem(MUTED, $("chime-on").checked ? "no" : "yes");
  });
  $("reload").addEventListener("click", () => current && show(current.key, current.storeId).catch((e) => say(describe(e), "error")));
  staffAccess(showLive);
})();
