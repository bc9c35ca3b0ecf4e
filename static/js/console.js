// Staff console: the viewer's local time beside each Central time (<time data-local-time>).
(function () {
  "use strict";
  const central = "America/Chicago";
  const here = Intl.DateTimeFormat().resolvedOptions().timeZone;
  function addLocal(root) {
    if (!here || here === central) return;
    root.querySelectorAll("time[data-local-time]:not([data-local-done])").forEach(function (node) {
      const moment = new Date(node.getAttribute("datetime"));
      if (isNaN(moment)) return;
      const local = moment.toLocaleString(undefined, { month: "short", day: "numeric", hour: "numeric", minute: "2-digit", timeZoneName: "short" });
      const span = document.createElement("span");
      span.className = "console-local-time";
      span.textContent = " (your time " + local + ")";
      node.after(span);
      node.setAttribute("data-local-done", "1");
    });
  }
  window.consoleAddLocalTimes = addLocal;
  document.addEventListener("DOMContentLoaded", function () { addLocal(document); });
})();
