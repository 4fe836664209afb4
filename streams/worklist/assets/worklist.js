// The worklist's live parts, no build step: a countdown per running clock, redrawn every second,
// and a poll of /worklist/stamp every 10 s that reloads the page when an alert, a delivery, an
// acknowledgement or a clock changed (unless someone is typing in one of the page's forms).
"use strict";

(function () {
  const POLL_MS = 10000;

  function span(ms) {
    const minutes = Math.floor(Math.abs(ms) / 60000);
    const seconds = Math.floor((Math.abs(ms) % 60000) / 1000);
    const h = Math.floor(minutes / 60);
    const m = String(minutes % 60).padStart(2, "0");
    const s = String(seconds).padStart(2, "0");
    return h > 0 ? `${h} h ${m} min ${s} s` : `${minutes % 60} min ${s} s`;
  }

  function tick() {
    const now = Date.now();
    for (const el of document.querySelectorAll(".countdown[data-due]")) {
      const left = Date.parse(el.dataset.due) - now;
      el.textContent = left >= 0 ? `${span(left)} left` : `overdue by ${span(left)}`;
      el.classList.toggle("late", left < 0);
      el.classList.toggle("soon", left >= 0 && left < 3600000);
    }
  }

  function typing() {
    const el = document.activeElement;
    return el !== null && el.closest("form") !== null && el.tagName !== "BUTTON";
  }

  async function poll() {
    const known = document.body.dataset.stamp;
    if (!known) return;
    try {
      const response = await fetch("/worklist/stamp", {
        credentials: "same-origin", headers: { Accept: "application/json" }, cache: "no-store",
      });
      if (response.status === 401) { window.location.assign("/signin"); return; }
      if (!response.ok) return;
      const body = await response.json();
      if (body.stamp !== known && !typing()) window.location.reload();
    } catch (_err) {
      // The worker restarting: try again at the next poll.
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    tick();
    window.setInterval(tick, 1000);
    window.setInterval(poll, POLL_MS);
  });
})();
