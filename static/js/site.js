// Server clock offset, shared by every countdown: serverNow() = Date.now() + offset.
(function () {
  "use strict";
  const site = (window.site = window.site || {});
  site.clockOffsetMs = 0;
  site.serverNow = function () { return Date.now() + site.clockOffsetMs; };
  site.learnServerTime = function (isoTime, sentAtMs) {
    // Assume the server stamped the time halfway through the round trip.
    const receivedAt = Date.now();
    const midpoint = sentAtMs ? (sentAtMs + receivedAt) / 2 : receivedAt;
    site.clockOffsetMs = Date.parse(isoTime) - midpoint;
  };
  site.wsUrl = function (path) {
    const scheme = window.location.protocol === "https:" ? "wss:" : "ws:";
    return scheme + "//" + window.location.host + path;
  };
  site.formatRemaining = function (ms) {
    if (ms <= 0) return "Ended";
    const s = Math.floor(ms / 1000), d = Math.floor(s / 86400), h = Math.floor((s % 86400) / 3600);
    const m = Math.floor((s % 3600) / 60), sec = s % 60;
    if (d > 0) return d + "d " + h + "h " + m + "m";
    if (h > 0) return h + "h " + m + "m " + sec + "s";
    return m + "m " + String(sec).padStart(2, "0") + "s";
  };
})();

// In the "My account" tabs (a scrolling row on phones), bring the current page's tab into view.
document.addEventListener("DOMContentLoaded", function () {
  "use strict";
  const current = document.querySelector(".account-nav .active");
  if (current && current.parentElement.scrollWidth > current.parentElement.clientWidth) {
    current.parentElement.scrollLeft = current.offsetLeft - current.parentElement.offsetLeft - 16;
  }
});

// Forms that ask before they submit (`data-confirm="Question?"`): no inline handlers under the site's CSP.
document.addEventListener("submit", function (event) {
  "use strict";
  const question = event.target instanceof HTMLFormElement ? event.target.dataset.confirm : undefined;
  if (question && !window.confirm(question)) event.preventDefault();
});

// A form that came back with errors: focus goes to its error summary, or else to the first field in error
// (WCAG 2.4.3, 3.3.1), so a keyboard or screen reader user starts where the problem is.
document.addEventListener("DOMContentLoaded", function () {
  "use strict";
  const target = document.querySelector("main form [data-form-errors], main [data-form-errors]") ||
    document.querySelector('main form [aria-invalid="true"]');
  if (target && (!document.activeElement || document.activeElement === document.body)) target.focus();
});
