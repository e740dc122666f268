/* Shared by the pages: calls to the rewards API, the page's language and small DOM
   helpers. Every call that changes something carries an Idempotency-Key (the API
   requires it); a call that failed on the network is sent once more with the same key,
   so a retry never counts twice. Every call asks for the page's language, so the API's
   error messages match the page. */
"use strict";

const Api = (() => {
  // The page's language and its scripts' texts, translated by the server from the
  // catalogs (rewards_api/pages/views.py): t("English source", {name: value}).
  const language = document.documentElement.lang || "en";
  const TEXTS = JSON.parse(document.getElementById("texts").textContent);
  function t(source, values = {}) {
    return (TEXTS[source] || source).replace(/%\((\w+)\)s/g, (_, name) => String(values[name]));
  }
  const numbers = new Intl.NumberFormat(language);
  const amounts = new Intl.NumberFormat(language, { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  /** A count (points) and money in minor units, as the page's language writes them. */
  const number = (value) => numbers.format(value);
  const amount = (minor) => amounts.format(minor / 100);

  function newKey() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  class CallError extends Error {
    constructor(status, code, message, details) {
      super(message);
      this.status = status;
      this.code = code;
      this.details = details;
    }
  }

  async function send(method, path, headers, body) {
    try {
      return await fetch(path, { method, headers, body, credentials: "omit" });
    } catch (_) {
      return null;
    }
  }

  /** Call the API; resolves to the JSON answer or rejects with a CallError. */
  async function call(method, path, { json, form, auth, key } = {}) {
    const headers = { Accept: "application/json", "Accept-Language": language };
    if (auth) headers.Authorization = "Bearer " + auth;
    if (method !== "GET") headers["Idempotency-Key"] = key || newKey();
    let body;
    if (form) {
      body = form;
    } else if (json !== undefined) {
      headers["Content-Type"] = "application/json";
      body = JSON.stringify(json);
    }
    let response = await send(method, path, headers, body);
    if (response === null && method !== "GET") response = await send(method, path, headers, body);
    if (response === null) {
      throw new CallError(0, "offline", t("No connection to the rewards service. Try again in a moment."));
    }
    const type = response.headers.get("Content-Type") || "";
    const answer = type.includes("json") ? await response.json() : await response.text();
    if (!response.ok) {
      const error = (answer && answer.error) || {};
      throw new CallError(response.status, error.code || "internal_error",
        error.message || t("Something went wrong; try again in a moment."), error.details);
    }
    return answer;
  }

  /** Build an element; children are nodes or text (never parsed as HTML). */
  function el(tag, attrs = {}, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs)) {
      if (value === null || value === undefined || value === false) continue;
      if (name === "text") node.textContent = value;
      else node.setAttribute(name, value === true ? "" : value);
    }
    for (const child of children) {
      if (child !== null && child !== undefined) node.append(child);
    }
    return node;
  }

  /** Parse a server-made or locally made SVG document into a node for the page. */
  function svgNode(svgText, label) {
    const doc = new DOMParser().parseFromString(svgText, "image/svg+xml");
    const svg = document.importNode(doc.documentElement, true);
    svg.querySelectorAll("script").forEach((s) => s.remove());
    svg.setAttribute("role", "img");
    svg.setAttribute("aria-label", label);
    svg.removeAttribute("aria-labelledby");
    return svg;
  }

  function say(text, kind = "info") {
    const status = document.getElementById("status");
    status.textContent = text;
    status.dataset.kind = kind;
  }

  function describe(error) {
    return error.code && error.code !== "offline" && error.code !== "internal_error"
      ? `${error.message} (${error.code})` : error.message;
  }

  /* Staff pages: the key lives in sessionStorage (this tab only), the chosen store
     beside it (pages without a store choice have no #store-select). ``show(key,
     storeId)`` draws the page; it runs on submit and, when the tab already has a key,
     on load. */
  async function staffAccess(show) {
    const KEY = "rewards.staff-key";
    const STORE = "rewards.staff-store";
    const form = document.getElementById("access-form");
    const keyInput = document.getElementById("staff-key");
    const select = document.getElementById("store-select");
    if (select) {
      const { stores } = await call("GET", "/v1/stores");
      const remembered = Number(sessionStorage.getItem(STORE));
      select.replaceChildren(...stores.map((store) =>
        el("option", { value: store.id, selected: store.id === remembered, text: store.name })));
    }
    const run = async () => {
      try {
        const key = keyInput.value.trim();
        // A store's own key opens its pages in the store's language, unless this
        // browser chose one (an admin key belongs to no store: the page stays as it is).
        const mine = await call("GET", "/v1/stores/mine", { auth: key }).catch(() => null);
        if (mine && mine.language !== language && !languageChosen()) {
          sessionStorage.setItem(KEY, key);
          if (select) sessionStorage.setItem(STORE, select.value);
          useLanguage(mine.language);
          return;
        }
        await show(key, select ? Number(select.value) : null);
        sessionStorage.setItem(KEY, key);
        if (select) sessionStorage.setItem(STORE, select.value);
        say("");
      } catch (error) {
        say(describe(error), "error");
      }
    };
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      run();
    });
    const forget = document.getElementById("forget-key");
    if (forget) {
      forget.addEventListener("click", () => {
        sessionStorage.removeItem(KEY);
        keyInput.value = "";
        say(t("The key is forgotten in this tab."));
      });
    }
    if (sessionStorage.getItem(KEY)) {
      keyInput.value = sessionStorage.getItem(KEY);
      await run();
    }
  }

  /* The language switch in the header: a choice is remembered in this browser (and,
     in the app, on the shopper's account: ``beforeLanguageChange``), then the page
     loads again in that language. Without ?lang= the remembered choice wins over the
     browser's language. */
  const LANGUAGE = "rewards.language";
  const beforeChange = [];
  function beforeLanguageChange(hook) { beforeChange.push(hook); }
  function useLanguage(chosen) {
    localStorage.setItem(LANGUAGE, chosen);
    const url = new URL(location.href);
    url.searchParams.set("lang", chosen);
    location.replace(url.toString());
  }
  const explicit = new URL(location.href).searchParams.get("lang");
  if (explicit) localStorage.setItem(LANGUAGE, language);
  else if (localStorage.getItem(LANGUAGE) && localStorage.getItem(LANGUAGE) !== language) {
    useLanguage(localStorage.getItem(LANGUAGE));
  }
  const languageSelect = document.getElementById("language-select");
  languageSelect.addEventListener("change", async () => {
    for (const hook of beforeChange) {
      try { await hook(languageSelect.value); } catch (_) { /* the page still switches */ }
    }
    useLanguage(languageSelect.value);
  });

  /* A file made by the API needs the key, so it is fetched and handed to the browser. */
  async function download(key, path, fallbackName) {
    const response = await fetch(path, { headers: { Authorization: "Bearer " + key,
      "Accept-Language": language }, credentials: "omit" });
    if (!response.ok) {
      const answer = await response.json().catch(() => ({}));
      throw new Error((answer.error && answer.error.message) || t("The file could not be made."));
    }
    const disposition = response.headers.get("Content-Disposition") || "";
    const name = (disposition.match(/filename="([^"]+)"/) || [])[1] || fallbackName;
    const link = el("a", { href: URL.createObjectURL(await response.blob()), download: name });
    document.body.append(link);
    link.click();
    link.remove();
  }

  function languageChosen() { return !!explicit || !!localStorage.getItem(LANGUAGE); }

  return { call, newKey, CallError, el, svgNode, say, describe, staffAccess, t, language,
    number, amount, download, beforeLanguageChange, useLanguage, languageChosen };
})();
