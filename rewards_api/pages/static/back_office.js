/* What the rewards, rules, products and campaigns pages of the back office share: their
   tables, the programs the key reads (and may pay out of or change), CSV downloads with
   the key, a sentence asked of the API again while a form changes, and names per language. */
"use strict";

const BackOffice = (() => {
  const { call, el, t } = Api;

  /* A table; headings ending in "#" are numbers (right-aligned). Each row is an
     element built by the page (a <tr>); ``empty`` says there is nothing yet. */
  function table(caption, headings, rows, empty) {
    return el("table", {},
      el("caption", { class: "visually-hidden", text: caption }),
      el("thead", {}, el("tr", {}, ...headings.map((h) =>
        el("th", { scope: "col", class: h.endsWith("#") ? "num" : null, text: h.replace(/#$/, "") })))),
      el("tbody", {}, ...(rows.length ? rows
        : [el("tr", {}, el("td", { colspan: headings.length, text: empty }))])));
  }

  /** The programs the key reads: [{code, name, currency, pays, catalog}]. */
  async function programs(key) {
    return (await call("GET", "/v1/admin/programs", { auth: key })).programs;
  }

  /** Fill a <select> with programs; false when there is none to choose. */
  function choose(select, programs) {
    select.replaceChildren(...programs.map((p) => el("option", { value: p.code, text: p.name })));
    return programs.length > 0;
  }

  /* Under a form, what it would do, in the API's words: asked again on every change
     (the last question's answer wins), refused fields said in the same place. */
  function preview(form, output, ask) {
    let asked = 0;
    const update = async () => {
      const mine = ++asked;
      try {
        const { preview: sentence } = await ask();
        if (mine !== asked) return;
        output.textContent = sentence;
        output.dataset.kind = "ok";
      } catch (error) {
        if (mine !== asked) return;
        output.textContent = Api.describe(error);
        output.dataset.kind = "error";
      }
    };
    form.addEventListener("input", update);
    form.addEventListener("change", update);
    return update;
  }

  /* A name per language: the inputs "<prefix>-de", "<prefix>-pt" beside a name's input
     "<prefix>". Sent as ``names`` (every language, the empty ones left out: the API
     replaces the translations), shown again when changing, and listed under the name. */
  const LANGUAGES = ["de", "pt"];
  const input = (prefix, language) => document.getElementById(`${prefix}-${language}`);

  function namesOf(prefix) {
    return Object.fromEntries(LANGUAGES.map((language) => [language, input(prefix, language).value.trim()])
      .filter(([, name]) => name));
  }

  function fillNames(prefix, names) {
    for (const language of LANGUAGES) input(prefix, language).value = (names || {})[language] || "";
  }

  function names(given) {
    const known = LANGUAGES.filter((language) => given && given[language]);
    if (!known.length) return null;
    return el("span", { class: "hint names" }, ...known.map((language) =>
      el("span", { lang: language, text: `${language.toUpperCase()}: ${given[language]}` })));
  }

  return { table, programs, choose, preview, namesOf, fillNames, names };
})();
