// Progressive enhancement for every portal page; each page works the same without it.
// - A form being sent disables its submit buttons and says so, so that nobody clicks twice or wonders. A button
//   that fetches something without leaving the page (a download) carries data-no-wait and is left alone; if the
//   page is somehow still here after WAIT_MS, the buttons come back.
// - A form's error summary gets the focus when the page loads, so it is read first.
// - Deadlines counted down in the markup (<span data-countdown="ISO time">) tick.
// Labels come from data attributes on <body> (translated in the template); numbers and units from Intl in the
// page's language. Loaded as a file: the Content-Security-Policy refuses inline scripts.
"use strict";

(() => {
  const body = document.body;
  const WAIT_MS = 20000;
  const lang = document.documentElement.lang || "en";

  // --- Forms: one submission at a time --------------------------------------------------------------------------
  document.addEventListener("submit", (event) => {
    const form = event.target;
    if (!(form instanceof HTMLFormElement) || event.defaultPrevented || form.dataset.noWait !== undefined) return;
    if (event.submitter && event.submitter.dataset.noWait !== undefined) return;
    const buttons = form.querySelectorAll("button[type=submit], button:not([type]), input[type=submit]");
    // After the event: the browser has then taken the clicked button's name and value into the form's data (a
    // button disabled during the event would be left out of it).
    window.setTimeout(() => {
      for (const button of buttons) {
        button.disabled = true;
        button.setAttribute("aria-busy", "true");
        if (button === event.submitter && button.tagName === "BUTTON") {
          button.dataset.label = button.textContent;
          button.textContent = body.dataset.working || "Working…";
        }
      }
      form.setAttribute("aria-busy", "true");
    }, 0);
    window.setTimeout(() => release(form), WAIT_MS);
  });
  function release(scope) {
    for (const node of scope.querySelectorAll("[aria-busy=true]")) {
      node.removeAttribute("aria-busy");
      if (node.tagName === "FORM") continue;
      node.disabled = false;
      if (node.dataset.label !== undefined) node.textContent = node.dataset.label;
    }
    scope.removeAttribute?.("aria-busy");
  }
  // Back from the next page (the browser's page cache keeps the disabled state): usable again.
  window.addEventListener("pageshow", (event) => {
    if (event.persisted) release(document);
  });

  // --- Error summary: focused on load (autofocus does it where the browser honours it on a non-field element) ---
  const summary = document.querySelector("[data-error-summary]");
  if (summary && document.activeElement !== summary) summary.focus();

  // --- Countdowns -------------------------------------------------------------------------------------------------
  const unit = (value, name) =>
    new Intl.NumberFormat(lang, { style: "unit", unit: name, unitDisplay: "long" }).format(value);
  const list = (parts) =>
    typeof Intl.ListFormat === "function"
      ? new Intl.ListFormat(lang, { style: "narrow", type: "unit" }).format(parts)
      : parts.join(" ");

  function remaining(ms) {
    const minutes = Math.floor(ms / 60000);
    const days = Math.floor(minutes / 1440);
    const hours = Math.floor((minutes % 1440) / 60);
    if (days > 0) return list([unit(days, "day"), ...(hours ? [unit(hours, "hour")] : [])]);
    if (hours > 0) return list([unit(hours, "hour"), ...(minutes % 60 ? [unit(minutes % 60, "minute")] : [])]);
    return unit(Math.max(minutes, 0), "minute");
  }

  const clocks = [...document.querySelectorAll("[data-countdown]")];
  function tick() {
    const now = Date.now();
    let soonest = Infinity;
    for (const node of clocks) {
      const due = Date.parse(node.dataset.countdown);
      if (Number.isNaN(due)) continue;
      const left = due - now;
      node.textContent = left > 0 ? remaining(left) : body.dataset.passed || "time is up";
      if (left > 0) soonest = Math.min(soonest, left);
    }
    // Every second in the last hour, every half minute before.
    if (soonest !== Infinity) window.setTimeout(tick, soonest < 3600000 ? 1000 : 30000);
  }
  if (clocks.length) tick();
})();
