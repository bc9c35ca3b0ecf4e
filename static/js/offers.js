// Offer pages: the total you would pay as you type an amount, times in your own zone beside Central time,
// countdowns driven from the server's clock, and live refresh when the user's socket says an offer thread
// moved (notifications.js re-dispatches it as a "notifications:event" DOM event). Every form works without this.
(function () {
  "use strict";
  if (window.offersReady) return;
  window.offersReady = true;
  const site = window.site || {};
  const AMOUNT = /^[0-9]{1,10}(\.[0-9]{1,2})?$/;
  const localZone = (Intl.DateTimeFormat().resolvedOptions() || {}).timeZone;

  function money(text) {
    const value = Number(text);
    return "$" + value.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  }

  function localTimes(root) {
    if (!localZone || localZone === "America/Chicago") return;
    root.querySelectorAll("time[data-local-time]:not([data-local-done])").forEach(function (el) {
      const date = new Date(el.getAttribute("datetime"));
      if (isNaN(date)) return;
      el.dataset.localDone = "1";
      const span = document.createElement("span");
      span.className = "text-muted";
      span.textContent = " (your time: " + date.toLocaleString([], { dateStyle: "medium", timeStyle: "short" }) + ")";
      el.after(span);
    });
  }

  function tickCountdowns() {
    const now = site.serverNow ? site.serverNow() : Date.now();
    document.querySelectorAll("[data-countdown-ends]").forEach(function (el) {
      const ends = Date.parse(el.dataset.countdownEnds);
      if (!isNaN(ends) && site.formatRemaining) el.textContent = site.formatRemaining(ends - now);
    });
  }

  function previewFor(input) {
    const form = input.closest("form");
    const out = form && form.querySelector("[data-offer-preview]");
    if (!out) return;
    let timer = null;
    input.addEventListener("input", function () {
      clearTimeout(timer);
      const raw = input.value.trim();
      if (!AMOUNT.test(raw) || Number(raw) <= 0) { out.textContent = ""; return; }
      timer = setTimeout(function () {
        const vehicle = input.dataset.vehicleId ? "&vehicle=" + encodeURIComponent(input.dataset.vehicleId) : "";
        fetch("/api/offers/price-preview?amount=" + encodeURIComponent(raw) + vehicle, {
          credentials: "same-origin", headers: { Accept: "application/json" },
        }).then(function (r) { return r.ok ? r.json() : null; }).then(function (body) {
          if (!body || input.value.trim() !== raw) return;
          const t = body.total;
          let text = "At " + money(t.vehicle_price) + " you would pay " + money(t.total) + " in total (buyer fee " +
            money(t.buyer_fee) + ", documentation " + money(t.documentation_fee);
          if (Number(t.title_fee)) text += ", title " + money(t.title_fee);
          if (Number(t.sales_tax)) text += ", tax " + money(t.sales_tax);
          text += ").";
          if (Number(t.transport_fee)) {
            text += " With delivery to " + t.delivery_zip + ": " + money(t.total_with_delivery) + ".";
          }
          out.textContent = text;
        }).catch(function () { out.textContent = ""; });
      }, 250);
    });
  }

  function init(root) {
    localTimes(root);
    root.querySelectorAll("[data-offer-amount]").forEach(previewFor);
  }

  function swap(target, html, selector) {
    const holder = document.createElement("div");
    holder.innerHTML = html;
    const fresh = selector ? holder.querySelector(selector) : null;
    if (selector && !fresh) return null;
    if (fresh) { target.replaceWith(fresh); init(fresh); return fresh; }
    target.innerHTML = html;
    init(target);
    return target;
  }

  function get(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (r) { if (!r.ok) throw new Error("HTTP " + r.status); return r.text(); });
  }

  function announce(text) {
    const live = document.querySelector("[data-offer-announcer]");
    if (live) live.textContent = text;
  }

  // Someone is typing an amount or a message here: a live update must not wipe it (they are told instead;
  // the server refuses a stale answer with its reason).
  function typing(root) {
    return Array.prototype.some.call(root.querySelectorAll("input:not([type=hidden]):not([type=checkbox]), textarea"), function (el) {
      return el.value !== el.defaultValue;
    });
  }

  function refresh(event) {
    const detail = event.detail || {};
    if (detail.name !== "offer_thread") return;
    const thread = document.querySelector("[data-offer-thread]");
    if (thread && String(detail.thread_id) === thread.dataset.threadId) {
      const body = thread.querySelector("[data-thread-body]");
      if (body && Number(body.dataset.version) >= Number(detail.version)) return;
      if (typing(thread)) { announce("This offer was updated. Send or clear your entry to see the change."); return; }
      get(thread.dataset.fragmentUrl).then(function (html) {
        swap(thread, html, null);
        announce("This offer was updated.");
      }).catch(function () {});
    }
    const list = document.querySelector("[data-offer-list]");
    if (list) {
      get(window.location.href).then(function (html) { swap(list, html, "[data-offer-list]"); }).catch(function () {});
    }
    const panel = document.querySelector("[data-offer-panel]");
    if (panel && String(detail.vehicle_id) === panel.dataset.vehicleId && !typing(panel)) {
      get(panel.dataset.panelUrl).then(function (html) { if (html.trim()) swap(panel, html, "[data-offer-panel]"); }).catch(function () {});
    }
  }

  function start() {
    init(document);
    tickCountdowns();
    setInterval(tickCountdowns, 1000);
    document.addEventListener("notifications:event", refresh);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
