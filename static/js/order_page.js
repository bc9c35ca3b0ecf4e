// The order page: live updates (ws/orders/<id>/, plus a slow refresh as the safety net), one submit per form,
// the viewer's local time beside Central times, and title document uploads straight to storage.
// Without JavaScript every form posts and the page reloads (POST-redirect-GET).
(function () {
  "use strict";
  const root = document.querySelector("[data-order-live]");
  if (!root) return;
  const CENTRAL = "America/Chicago";
  const REFRESH_MS = 20000;
  let pending = false;
  let socket = null;
  let retryMs = 1000;

  function csrfToken() {
    const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    if (match) return decodeURIComponent(match[1]);
    const input = root.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  // --- local time beside Central time --------------------------------------------------------------------------
  function localTimes(scope) {
    const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (!zone || zone === CENTRAL) return;
    scope.querySelectorAll("time[data-local-time]").forEach(function (el) {
      if (el.dataset.localDone) return;
      const date = new Date(el.getAttribute("datetime"));
      if (isNaN(date)) return;
      el.dataset.localDone = "1";
      const span = document.createElement("span");
      span.className = "text-muted small";
      span.textContent = " (" + date.toLocaleString([], { weekday: "short", hour: "numeric", minute: "2-digit", timeZoneName: "short" }) + " your time)";
      el.after(span);
    });
  }

  // --- forms ---------------------------------------------------------------------------------------------------
  function bindForms(scope) {
    scope.querySelectorAll("form[data-pay-form], form[data-once-form]").forEach(function (form) {
      form.addEventListener("submit", function () {
        const button = form.querySelector("button[type=submit]");
        if (button) setTimeout(function () { button.disabled = true; }, 0);
      });
    });
    scope.querySelectorAll("form[data-title-upload]").forEach(bindUpload);
  }

  function bindUpload(form) {
    const error = form.querySelector("[data-upload-error]");
    const progress = form.querySelector("[data-upload-progress]");
    form.addEventListener("submit", function (event) {
      const file = form.querySelector("input[type=file]").files[0];
      if (!file || !window.FormData || !window.fetch) return;  // the server takes the plain form
      event.preventDefault();
      const kind = form.querySelector("[name=kind]").value;
      const api = form.dataset.api;
      const headers = { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrfToken() };
      const fail = function (message) { error.textContent = message; progress.textContent = ""; };
      error.textContent = "";
      progress.textContent = "Uploading…";
      fetch(api + "/uploads", {
        method: "POST", credentials: "same-origin", headers: headers,
        body: JSON.stringify({ kind: kind, filename: file.name, content_type: file.type, size: file.size }),
      })
        .then(function (r) { return r.json().then(function (b) { return { ok: r.ok, body: b }; }); })
        .then(function (res) {
          if (!res.ok) throw new Error(res.body.error || "The upload was refused.");
          const ticket = res.body.data;
          const data = new FormData();
          Object.keys(ticket.fields).forEach(function (name) { data.append(name, ticket.fields[name]); });
          data.append("file", file);
          return fetch(ticket.url, { method: "POST", body: data, credentials: "same-origin" }).then(function (r) {
            if (!r.ok) throw new Error("The file could not be stored. Try again.");
            return fetch(api, {
              method: "POST", credentials: "same-origin", headers: headers,
              body: JSON.stringify({ upload_token: ticket.token, kind: kind }),
            });
          });
        })
        .then(function (r) { return r.json().then(function (b) { return { ok: r.ok, body: b }; }); })
        .then(function (res) {
          if (!res.ok) throw new Error(res.body.error || "The document was refused.");
          form.reset();
          progress.textContent = "Uploaded.";
          refresh(true);
        })
        .catch(function (e) { fail(e.message || "Could not reach the server. Try again."); });
    });
  }

  // --- live ----------------------------------------------------------------------------------------------------
  // A field someone has changed and not yet sent (a chosen document kind, a picked file, a typed code).
  function edited(el) {
    if (el.tagName === "SELECT") {
      return Array.prototype.some.call(el.options, function (o) { return o.selected !== o.defaultSelected; });
    }
    if (el.type === "checkbox" || el.type === "radio") return el.checked !== el.defaultChecked;
    if (el.type === "hidden" || el.type === "submit" || el.type === "button") return false;
    return el.value !== el.defaultValue;
  }

  // A live refresh waits while the person is in a field, or has picked a file, typed a pickup code or chosen a
  // document kind they have not sent yet, so it never wipes that input.
  function busy() {
    const active = document.activeElement;
    if (active && root.contains(active) && /^(INPUT|TEXTAREA|SELECT)$/.test(active.tagName)) return true;
    const pending = root.querySelectorAll("input[type=file], input[name=code], form[data-title-upload] select");
    return Array.prototype.some.call(pending, edited);
  }

  function refresh(force) {
    if (!force && busy()) { pending = true; return; }
    pending = false;
    fetch(window.location.pathname + window.location.search, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (r) { return r.ok ? r.text() : Promise.reject(new Error("HTTP " + r.status)); })
      .then(function (html) {
        const next = new DOMParser().parseFromString(html, "text/html").querySelector("[data-order-live]");
        if (!next) return;
        if (busy()) { pending = true; return; }  // they started on a field while the page was on its way
        root.innerHTML = next.innerHTML;
        root.dataset.refreshedAt = String(Date.now());
        bindForms(root);
        localTimes(root);
      })
      .catch(function () {});
  }

  function connect() {
    if (!("WebSocket" in window)) return;
    socket = new WebSocket(window.site.wsUrl(root.dataset.wsPath));
    socket.addEventListener("open", function () { retryMs = 1000; root.dataset.live = "connected"; });
    socket.addEventListener("message", function (event) {
      let data;
      try { data = JSON.parse(event.data); } catch (e) { return; }
      if (data.type === "order_changed") refresh(false);
    });
    socket.addEventListener("close", function (event) {
      root.dataset.live = "disconnected";
      if (event.code === 4401 || event.code === 4404) return;
      setTimeout(connect, retryMs);
      retryMs = Math.min(retryMs * 2, 30000);
    });
  }

  root.addEventListener("focusout", function () { if (pending) setTimeout(function () { refresh(false); }, 200); });
  bindForms(root);
  localTimes(root);
  connect();
  setInterval(function () { refresh(false); }, REFRESH_MS);
})();
