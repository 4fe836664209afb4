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

  // Forms of the JSON APIs (review verdicts, alert feedback): posted with the session's CSRF
  // token in the X-CSRF-Token header, then the page reloads with the form's notice.
  async function submitApi(event) {
    const form = event.target.closest("form.api-form");
    if (form === null) return;
    event.preventDefault();
    const fields = new FormData(form);
    const csrf = fields.get("csrf_token");
    fields.delete("csrf_token");
    const body = {};
    for (const [name, value] of fields.entries()) {
      if (value !== "") body[name] = value;
    }
    const error = form.querySelector(".api-error");
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    try {
      const response = await fetch(form.dataset.url, {
        method: "POST", credentials: "same-origin", cache: "no-store",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
        body: JSON.stringify(body),
      });
      if (response.ok) {
        window.location.assign(`/worklist?done=${encodeURIComponent(form.dataset.done)}`);
        return;
      }
      let message = `refused (${response.status})`;
      try { message = (await response.json()).error || message; } catch (_err) { /* not JSON */ }
      if (error !== null) error.textContent = message;
    } catch (_err) {
      if (error !== null) error.textContent = "the worker did not answer: try again";
    }
    button.disabled = false;
  }

  document.addEventListener("submit", submitApi);

  // One feedback form per page: a copy goes under the alert whose Feedback button was pressed.
  document.addEventListener("click", function (event) {
    const button = event.target.closest("button.feedback-open");
    if (button === null) return;
    const template = document.getElementById("feedback-template");
    const form = template.content.firstElementChild.cloneNode(true);
    form.dataset.url = `/api/alerts/${encodeURIComponent(button.dataset.alertId)}/feedback`;
    button.replaceWith(form);
    form.querySelector("select").focus();
  });

  document.addEventListener("DOMContentLoaded", function () {
    tick();
    window.setInterval(tick, 1000);
    window.setInterval(poll, POLL_MS);
  });
})();
