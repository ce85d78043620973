// The claim review page: a "select all" box ticks or clears every listing checkbox it names (data-picks).
// Loaded as a file, since the Content-Security-Policy refuses inline handlers.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  for (const toggle of document.querySelectorAll("input.pick-all[data-picks]")) {
    toggle.addEventListener("change", () => {
      for (const box of document.querySelectorAll(toggle.dataset.picks)) {
        box.checked = toggle.checked;
      }
    });
  }
});
