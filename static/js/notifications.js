// The navigation bell: unread count kept live over the user's socket (ws/notifications/),
// a dropdown of recent notifications from GET /api/notifications, and "mark all read".
(function () {
  "use strict";
  const bell = document.getElementById("notification-bell");
  if (!bell || bell.dataset.ready) return;
  bell.dataset.ready = "1";

  const badge = bell.querySelector("[data-unread-badge]");
  const toggle = bell.querySelector("#notification-bell-toggle");
  const list = bell.querySelector("[data-notification-items]");
  const announcer = bell.querySelector("[data-bell-announcer]");
  const markAll = bell.querySelector("[data-mark-all-read]");
  const RECENT = 6;
  let loaded = false;
  let socket = null;
  let retryMs = 1000;

  function setCount(count) {
    const n = Math.max(0, Number(count) || 0);
    bell.dataset.unread = String(n);
    badge.textContent = n > 99 ? "99+" : String(n);
    badge.hidden = n === 0;
    toggle.setAttribute("aria-label", "Notifications, " + n + " unread");
    document.dispatchEvent(new CustomEvent("notifications:count", { detail: { count: n } }));
  }

  function csrfToken() {
    const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  function when(iso) {
    const date = new Date(iso);
    // In the marketplace's zone with its name, as the notifications page shows it ("Dec 6, 2026, 3:57 PM CST").
    return isNaN(date) ? "" : date.toLocaleString("en-US", {
      timeZone: "America/Chicago", year: "numeric", month: "short", day: "numeric",
      hour: "numeric", minute: "2-digit", timeZoneName: "short",
    });
  }

  function item(notification) {
    const li = document.createElement("li");
    li.className = "border-bottom";
    li.dataset.notificationId = notification.id;
    const link = document.createElement("a");
    link.className = "dropdown-item text-wrap py-2" + (notification.is_read ? " text-muted" : "");
    link.href = "/notifications/" + notification.id + "/open/";
    const title = document.createElement("div");
    title.className = notification.is_read ? "" : "fw-semibold";
    title.textContent = notification.title;  // textContent: titles carry user-written words
    const body = document.createElement("div");
    body.className = "small";
    body.textContent = notification.body;
    const time = document.createElement("time");
    time.className = "small text-muted";
    time.dateTime = notification.created_at;
    time.textContent = when(notification.created_at);
    link.append(title, body, time);
    if (!notification.is_read) {
      const dot = document.createElement("span");
      dot.className = "visually-hidden";
      dot.textContent = " (unread)";
      title.append(dot);
    }
    li.append(link);
    return li;
  }

  function renderList(notifications) {
    list.replaceChildren();
    if (!notifications.length) {
      const empty = document.createElement("li");
      empty.className = "px-3 py-3 text-muted small";
      empty.textContent = "You have no notifications yet.";
      list.append(empty);
      return;
    }
    notifications.forEach(function (n) { list.append(item(n)); });
  }

  function load() {
    return fetch(bell.dataset.apiUrl + "?page_size=" + RECENT, {
      credentials: "same-origin", headers: { Accept: "application/json" },
    }).then(function (response) {
      if (!response.ok) throw new Error("HTTP " + response.status);
      return response.json();
    }).then(function (body) {
      loaded = true;
      renderList(body.results || []);
      setCount(body.unread_count);
    }).catch(function () {
      list.replaceChildren();
      const failed = document.createElement("li");
      failed.className = "px-3 py-3 text-danger small";
      failed.textContent = "Notifications could not be loaded. Try again in a moment.";
      list.append(failed);
    });
  }

  toggle.addEventListener("show.bs.dropdown", load);
  markAll.addEventListener("click", function () {
    fetch(bell.dataset.readAllUrl, {
      method: "POST", credentials: "same-origin",
      headers: { Accept: "application/json", "X-CSRFToken": csrfToken() },
    }).then(function (response) {
      if (!response.ok) throw new Error("HTTP " + response.status);
      return response.json();
    }).then(function (body) {
      setCount(body.data ? body.data.unread_count : 0);
      if (loaded) load();
    }).catch(function () { announcer.textContent = "Could not mark notifications as read."; });
  });

  function onMessage(event) {
    let data;
    try { data = JSON.parse(event.data); } catch (e) { return; }
    if (data.type === "unread_count") {
      setCount(data.unread_count);
      bell.dataset.live = "connected";
    } else if (data.type === "notification") {
      setCount(data.unread_count);
      announcer.textContent = "New notification: " + data.notification.title;
      if (loaded) {
        const empty = list.querySelector("li:not([data-notification-id])");
        if (empty) empty.remove();
        list.prepend(item(data.notification));
        while (list.children.length > RECENT) list.lastElementChild.remove();
      }
      document.dispatchEvent(new CustomEvent("notifications:new", { detail: data.notification }));
    } else if (data.type === "event") {
      // a change one of this user's open pages may show (an offer thread moved, ...): pages refetch on it
      document.dispatchEvent(new CustomEvent("notifications:event", { detail: data.event }));
    }
  }

  function connect() {
    const scheme = window.location.protocol === "https:" ? "wss:" : "ws:";
    socket = new WebSocket(scheme + "//" + window.location.host + bell.dataset.wsPath);
    socket.addEventListener("open", function () { retryMs = 1000; });
    socket.addEventListener("message", onMessage);
    socket.addEventListener("close", function (event) {
      bell.dataset.live = "disconnected";
      if (event.code === 4401) return;  // not logged in any more: stop trying
      setTimeout(connect, retryMs);  // on reconnect the server re-sends the unread count
      retryMs = Math.min(retryMs * 2, 30000);
    });
  }

  if ("WebSocket" in window) connect();
})();
