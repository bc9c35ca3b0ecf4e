// Staff live monitor: listens to the auction rooms' broadcasts through ws/console/monitor/ and keeps the
// table (or one auction's bid feed) current. Without JavaScript the pages are plain, reloadable tables.
(function () {
  "use strict";
  const CENTRAL = "America/Chicago";
  const money = new Intl.NumberFormat("en-US", { style: "currency", currency: "USD" });
  const when = new Intl.DateTimeFormat("en-US", { timeZone: CENTRAL, month: "short", day: "numeric", hour: "numeric", minute: "2-digit", second: "2-digit", timeZoneName: "short" });

  function dollars(value) { return value === null || value === undefined ? "—" : money.format(Number(value)); }
  function timeNode(iso) {
    const node = document.createElement("time");
    node.setAttribute("datetime", iso);
    node.setAttribute("data-local-time", "");
    node.textContent = when.format(new Date(iso));
    return node;
  }
  function setText(row, field, text) {
    const cell = row.querySelector('[data-field="' + field + '"]');
    if (cell && cell.textContent !== String(text)) {
      cell.textContent = text;
      cell.classList.remove("console-flash");
      void cell.offsetWidth;
      cell.classList.add("console-flash");
    }
  }
  function connect(path, onMessage, status) {
    let delay = 1000;
    function open() {
      const scheme = location.protocol === "https:" ? "wss://" : "ws://";
      const socket = new WebSocket(scheme + location.host + path);
      socket.addEventListener("open", function () { delay = 1000; status.textContent = "Live: updating as bids arrive."; status.setAttribute("data-live", "1"); });
      socket.addEventListener("message", function (event) {
        let data;
        try { data = JSON.parse(event.data); } catch (e) { return; }
        onMessage(data);
      });
      socket.addEventListener("close", function () {
        status.textContent = "Connection lost; reconnecting…";
        status.removeAttribute("data-live");
        setTimeout(open, delay);
        delay = Math.min(delay * 2, 30000);
      });
    }
    open();
  }

  // --- the overview -----------------------------------------------------------------------------
  const table = document.getElementById("monitor-table");
  if (table) {
    const status = document.getElementById("monitor-status");
    const rowsUrl = status.getAttribute("data-rows-url");
    const auctionBase = status.getAttribute("data-auction-url");
    const recent = {};  // auction id -> bids in the rate window, as last read plus seen since

    function renderRows(rows) {
      const body = table.tBodies[0];
      body.textContent = "";
      if (!rows.length) {
        const tr = body.insertRow();
        tr.setAttribute("data-empty", "");
        const td = tr.insertCell();
        td.colSpan = 10;
        td.textContent = "No live auctions right now.";
      }
      rows.forEach(function (row) {
        recent[row.auction_id] = row.bids_recent;
        const tr = body.insertRow();
        tr.setAttribute("data-auction", row.auction_id);
        const link = document.createElement("a");
        link.href = auctionBase + row.auction_id + "/";
        link.textContent = "#" + row.auction_id + " " + row.vehicle;
        tr.insertCell().appendChild(link);
        tr.insertCell().textContent = row.seller;
        const cells = [["price", dollars(row.price)], ["bid_count", row.bid_count], ["bids_per_minute", row.bids_per_minute],
          ["watchers", row.watchers], ["extended_count", row.extended_count], ["reserve_label", row.reserve_label], ["open_flags", row.open_flags]];
        cells.forEach(function (pair) { const td = tr.insertCell(); td.setAttribute("data-field", pair[0]); td.textContent = pair[1]; });
        const ends = tr.insertCell();
        ends.setAttribute("data-field", "ends_at");
        ends.appendChild(timeNode(row.ends_at));
      });
      if (window.consoleAddLocalTimes) window.consoleAddLocalTimes(table);
    }
    function refresh() {
      fetch(rowsUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (data) { if (data) renderRows(data.rows); })
        .catch(function () {});
    }
    table.querySelectorAll("tbody time[data-local-time]").forEach(function (node) {
      node.textContent = when.format(new Date(node.getAttribute("datetime")));
    });
    setInterval(refresh, 30000);
    connect("/ws/console/monitor/", function (data) {
      if (data.type === "fraud_flag") {
        const row = table.querySelector('tr[data-auction="' + data.auction_id + '"]');
        if (row) {
          const cell = row.querySelector('[data-field="open_flags"]');
          setText(row, "open_flags", (parseInt(cell.textContent, 10) || 0) + 1);
        }
        return;
      }
      const row = table.querySelector('tr[data-auction="' + data.auction_id + '"]');
      if (!row) { if (data.type === "new_bid" || data.type === "status_changed") refresh(); return; }
      if (data.type === "new_bid") {
        recent[data.auction_id] = (recent[data.auction_id] || 0) + 1;
        setText(row, "price", dollars(data.price));
        setText(row, "bid_count", data.bid_count);
        setText(row, "bids_per_minute", (recent[data.auction_id] / 5).toFixed(1));
        setText(row, "reserve_label", data.reserve_label);
        setText(row, "extended_count", data.extended_count);
      } else if (data.type === "timer_extended") {
        setText(row, "extended_count", data.extended_count);
        const ends = row.querySelector('[data-field="ends_at"]');
        ends.textContent = "";
        ends.appendChild(timeNode(data.ends_at));
        if (window.consoleAddLocalTimes) window.consoleAddLocalTimes(row);
      } else if (data.type === "auction_joined" || data.type === "auction_left") {
        setText(row, "watchers", data.watchers);
      } else if (data.type === "status_changed" || data.type === "auction_closed") {
        if (data.price !== undefined) setText(row, "price", dollars(data.price));
        if (data.bid_count !== undefined) setText(row, "bid_count", data.bid_count);
        if (data.status && data.status !== "live") refresh();
      }
    }, status);
  }

  // --- one auction's bid feed ----------------------------------------------------------------------
  const feed = document.getElementById("auction-feed");
  if (feed) {
    const status = document.getElementById("feed-status");
    const bidsUrl = feed.getAttribute("data-bids-url");
    const tbody = document.querySelector("#bid-feed tbody");
    const voidAction = (document.querySelector('form[action$="/void/"]') || {}).action;
    const csrf = (document.querySelector('input[name="csrfmiddlewaretoken"]') || {}).value;
    const flagged = document.querySelectorAll("#bid-feed thead th").length;

    function voidCell(bid) {
      const td = document.createElement("td");
      if (bid.voided) { td.textContent = "Voided: " + bid.void_reason; return td; }
      const form = document.createElement("form");
      form.method = "post"; form.action = voidAction; form.className = "console-form";
      [["csrfmiddlewaretoken", csrf], ["bid_id", bid.id]].forEach(function (pair) {
        const input = document.createElement("input"); input.type = "hidden"; input.name = pair[0]; input.value = pair[1]; form.appendChild(input);
      });
      const label = document.createElement("label"); label.htmlFor = "void-" + bid.id; label.textContent = "Reason";
      const reason = document.createElement("input"); reason.type = "text"; reason.id = "void-" + bid.id; reason.name = "reason"; reason.required = true; reason.maxLength = 500;
      const submit = document.createElement("input"); submit.type = "submit"; submit.value = "Void bid " + bid.seq;
      form.append(label, reason, submit);
      td.appendChild(form);
      return td;
    }
    function render(data) {
      const price = feed.querySelector('[data-field="price"]');
      if (price && data.price) price.textContent = dollars(data.price);
      tbody.textContent = "";
      data.bids.forEach(function (bid) {
        const tr = tbody.insertRow();
        tr.setAttribute("data-seq", bid.seq);
        tr.insertCell().textContent = bid.seq;
        const who = tr.insertCell();
        const link = document.createElement("a"); link.href = "../../people/" + bid.bidder_id + "/"; link.textContent = bid.name;
        who.append(link, " (" + bid.alias + ")");
        tr.insertCell().textContent = dollars(bid.max_amount);
        tr.insertCell().textContent = dollars(bid.resulting_price);
        tr.insertCell().appendChild(timeNode(bid.placed_at));
        const ip = tr.insertCell(); ip.append(bid.ip || "—", document.createElement("br"));
        const agent = document.createElement("small"); agent.textContent = (bid.user_agent || "").slice(0, 60); ip.appendChild(agent);
        const flags = tr.insertCell();
        bid.flags.forEach(function (f) { const b = document.createElement("span"); b.className = "console-badge alert"; b.textContent = f; flags.append(b, " "); });
        if (flagged === 8 && voidAction) tr.appendChild(voidCell(bid));
      });
      if (window.consoleAddLocalTimes) window.consoleAddLocalTimes(tbody);
    }
    function refresh() {
      fetch(bidsUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (data) { if (data) render(data); })
        .catch(function () {});
    }
    tbody.querySelectorAll("time[data-local-time]").forEach(function (node) {
      node.textContent = when.format(new Date(node.getAttribute("datetime")));
    });
    connect("/ws/console/monitor/?auction=" + feed.getAttribute("data-auction"), function (data) {
      if (["new_bid", "status_changed", "auction_closed", "timer_extended"].indexOf(data.type) >= 0) refresh();
    }, status);
  }
})();
