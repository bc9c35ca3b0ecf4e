// The live auction panel: server-synced countdown, live updates over ws/auctions/<id>/, gap refetch, reconnect.
// Without JavaScript the panel still works: the bid form is a plain POST.
(function () {
  "use strict";
  const site = window.site;
  const money = new Intl.NumberFormat("en-US", { style: "currency", currency: "USD" });
  const STATUS_TEXT = {
    leading: "You're the high bidder", outbid: "Outbid — bid again", won: "You won", lost: "You lost",
    high_bidder: "High bidder — the seller is deciding", seller: "Your auction", anonymous: "Not logged in",
    not_bid: "Not bid yet",
  };

  function fmt(value) { return value == null ? "—" : money.format(Number(value)); }

  function csrfToken(root) {
    const input = root.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function Room(root) {
    this.root = root;
    this.id = root.dataset.auctionId;
    this.seq = Number(root.dataset.seq || 0);
    this.version = Number(root.dataset.version || 0);
    this.endsAt = Date.parse(root.dataset.endsAt);
    this.status = root.dataset.status;
    this.price = null;
    this.retries = 0;
    this.pending = {};
    this.requestCounter = 0;
    // With JavaScript a dialog asks for confirmation only when needed (submitBid); the checkbox is the no-JS way.
    root.querySelectorAll("[data-nojs-confirm]").forEach(function (el) { el.hidden = true; });
    site.learnServerTime(root.dataset.serverTime, performance.timing ? performance.timing.requestStart : null);
    this.tick();
    this.timer = setInterval(this.tick.bind(this), 250);
    this.bindForms();
    this.connect();
  }

  Room.prototype.field = function (name) { return this.root.querySelector('[data-field="' + name + '"]'); };
  Room.prototype.setText = function (name, text) { const el = this.field(name); if (el) el.textContent = text; };

  Room.prototype.tick = function () {
    const el = this.field("countdown");
    if (!el) return;
    const open = this.status === "live" || this.status === "scheduled";
    const left = this.endsAt - site.serverNow();
    el.textContent = open ? site.formatRemaining(left) : "Ended";
    el.classList.toggle("ending", open && left > 0 && left < 120000);
    // Past the end but not closed yet: ask the server every few seconds (the close broadcast may not reach us).
    if (open && left < -3000 && (!this.lastPoll || Date.now() - this.lastPoll > 5000)) {
      this.lastPoll = Date.now();
      this.refetch();
    }
  };

  Room.prototype.notice = function (text, kind) {
    const el = this.field("notice");
    if (!el) return;
    el.className = "alert small py-2 alert-" + (kind || "info");
    el.textContent = text;
  };

  // --- state -------------------------------------------------------------------------------
  Room.prototype.applyState = function (s) {
    if (!s) return;
    if (typeof s.seq === "number" && s.seq < this.seq) return; // older than what we show
    if (typeof s.seq === "number") this.seq = s.seq;
    if (typeof s.version === "number") this.version = Math.max(this.version, s.version);
    if (s.ends_at) this.endsAt = Date.parse(s.ends_at);
    if (s.status) this.status = s.status;
    this.price = s.price;
    this.setText("price", fmt(s.price));
    this.setText("price_caption", s.bid_count ? "Current bid" : "Starting bid");
    this.setText("bid_count", String(s.bid_count));
    this.setText("leader_alias", s.leader_alias || "—");
    if (s.minimum_next_bid) {
      this.setText("minimum_next_bid", fmt(s.minimum_next_bid));
      const amount = this.field("amount");
      if (amount && document.activeElement !== amount && Number(amount.value) < Number(s.minimum_next_bid)) {
        amount.value = Number(s.minimum_next_bid).toFixed(2);
      }
    }
    const reserve = this.field("reserve_label");
    if (reserve && s.reserve_label) {
      reserve.textContent = s.reserve_label;
      const met = s.reserve_status !== "not_met";
      reserve.classList.toggle("badge-reserve-met", met);
      reserve.classList.toggle("badge-reserve-not-met", !met);
    }
    if (s.ends_at) this.setText("ends_at_text", new Date(s.ends_at).toLocaleString());
    const badge = this.field("extended_badge");
    if (badge && s.extended_count) { badge.classList.remove("d-none"); badge.textContent = "Extended ×" + s.extended_count; }
    this.setText("status_label", this.statusLabel(s));
    const buyNow = this.root.querySelector("[data-buy-now-form]");
    if (buyNow && !s.buy_now_available) buyNow.remove();
    if (s.status !== "live" && s.status !== "scheduled") {
      const form = this.root.querySelector("[data-bid-form]");
      if (form) form.remove();
    }
    this.root.dataset.seq = String(this.seq);
    this.tick();
  };

  Room.prototype.statusLabel = function (s) {
    if (s.status === "live") return "Live";
    if (s.status === "scheduled") return "Scheduled";
    if (s.status === "cancelled") return "Cancelled";
    if (s.outcome === "sold") return "Sold for " + fmt(s.final_price);
    if (s.outcome === "reserve_not_met") return "Ended — seller deciding";
    return "Ended — not sold";
  };

  Room.prototype.applyViewer = function (viewer) {
    if (!viewer) return;
    const el = this.field("my_status");
    if (el) { el.dataset.status = viewer.my_status; el.textContent = STATUS_TEXT[viewer.my_status] || viewer.my_status; }
  };

  Room.prototype.refetch = function () {
    const self = this;
    return fetch("/api/auctions/" + this.id, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (body) {
        if (!body) return;
        self.seq = Math.min(self.seq, body.data.seq); // the server's state is the truth
        self.applyState(body.data);
        self.applyViewer(body.data.viewer);
        if (typeof body.data.watchers === "number") self.setText("watchers", String(body.data.watchers));
      })
      .catch(function () { /* the next message or reconnect tries again */ });
  };

  // Sequence check: a jump means we missed something, so the current state is fetched instead.
  Room.prototype.inSequence = function (msg) {
    if (typeof msg.seq !== "number") return true;
    if (msg.seq > this.seq + 1) { this.refetch(); return false; }
    return msg.seq >= this.seq;
  };

  // --- socket ----------------------------------------------------------------------------------
  Room.prototype.connect = function () {
    const self = this;
    const started = Date.now();
    let ws;
    try { ws = new WebSocket(site.wsUrl("/ws/auctions/" + this.id + "/")); } catch (e) { return this.reconnect(); }
    this.ws = ws;
    ws.onopen = function () {
      self.retries = 0;
      self.root.dataset.connected = "true";
      self.pinger = setInterval(function () { self.send({ type: "ping", sent: Date.now() }); }, 25000);
    };
    ws.onmessage = function (event) {
      let msg;
      try { msg = JSON.parse(event.data); } catch (e) { return; }
      self.handle(msg, started);
    };
    ws.onclose = function () {
      self.root.dataset.connected = "false";
      clearInterval(self.pinger);
      self.reconnect();
    };
  };

  Room.prototype.reconnect = function () {
    const delay = Math.min(30000, 1000 * Math.pow(2, this.retries)) * (0.5 + Math.random() / 2);
    this.retries += 1;
    setTimeout(this.connect.bind(this), delay);
  };

  Room.prototype.send = function (msg) {
    if (this.ws && this.ws.readyState === WebSocket.OPEN) { this.ws.send(JSON.stringify(msg)); return true; }
    return false;
  };

  Room.prototype.handle = function (msg, connectedAt) {
    switch (msg.type) {
      case "connection_response":
        site.learnServerTime(msg.server_time, connectedAt);
        break;
      case "pong":
        site.learnServerTime(msg.server_time, msg.sent);
        break;
      case "auction_joined":
      case "auction_left":
        if (typeof msg.watchers === "number") this.setText("watchers", String(msg.watchers));
        if (msg.state) { this.seq = Math.min(this.seq, msg.state.seq); this.applyState(msg.state); this.applyViewer(msg.state.viewer); }
        break;
      case "new_bid":
        if (this.inSequence(msg)) {
          this.applyState(msg);
          this.prependHistory(msg);
        }
        break;
      case "timer_extended":
        if (this.inSequence(msg)) {
          this.endsAt = Date.parse(msg.ends_at);
          const badge = this.field("extended_badge");
          if (badge) { badge.classList.remove("d-none"); badge.textContent = "Extended ×" + msg.extended_count; }
          this.setText("ends_at_text", new Date(msg.ends_at).toLocaleString());
          this.notice("A late bid extended the auction by two minutes.", "warning");
          this.tick();
        }
        break;
      case "status_changed":
      case "auction_closed":
        this.applyState(msg);
        this.refetch(); // your own status (won / lost) comes with the full state
        break;
      case "bid_update":
        this.onBidUpdate(msg);
        break;
      case "user_typing":
        this.showTyping(msg.name);
        break;
      case "comment_posted":
      case "comment_hidden":
        this.showComment(msg.comment);
        break;
      default:
        break;
    }
  };

  Room.prototype.onBidUpdate = function (msg) {
    if (msg.request_id && this.pending[msg.request_id]) { this.pending[msg.request_id](); delete this.pending[msg.request_id]; }
    if (msg.status === "rejected") { this.notice(msg.error || "Your bid was not accepted.", "danger"); return; }
    const status = msg.status === "outbid" || msg.result === "outbid" ? "outbid" : "leading";
    this.applyViewer({ my_status: status });
    this.notice(msg.message || (status === "leading" ? "You're the high bidder." : "You were outbid."), status === "leading" ? "success" : "warning");
  };

  Room.prototype.prependHistory = function (msg) {
    const list = this.field("history");
    if (!list) return;
    const empty = list.querySelector("[data-empty]");
    if (empty) empty.remove();
    const li = document.createElement("li");
    li.textContent = (msg.bidder_alias || "A bidder") + " · " + fmt(msg.price);
    list.insertBefore(li, list.firstChild);
  };

  Room.prototype.showTyping = function (name) {
    const el = this.field("typing");
    if (!el) return;
    el.textContent = name + " is typing…";
    el.classList.remove("d-none");
    clearTimeout(this.typingTimer);
    this.typingTimer = setTimeout(function () { el.classList.add("d-none"); }, 3000);
  };

  Room.prototype.showComment = function (c) {
    const list = this.field("comments");
    if (!list || !c) return;
    const empty = list.querySelector("[data-empty]");
    if (empty) empty.remove();
    let li = list.querySelector('[data-comment-id="' + c.id + '"]');
    if (!li) { li = document.createElement("li"); li.dataset.commentId = c.id; li.className = "mb-2" + (c.parent_id ? " ms-3" : ""); list.appendChild(li); }
    li.textContent = "";
    if (c.hidden) { const em = document.createElement("em"); em.className = "text-muted"; em.textContent = "Comment hidden by staff."; li.appendChild(em); return; }
    const who = document.createElement("strong");
    who.textContent = c.author + " ";
    if (c.is_seller) { const b = document.createElement("span"); b.className = "badge bg-primary"; b.textContent = "Seller"; who.appendChild(b); }
    const body = document.createElement("span");
    body.className = "comment-body";
    body.textContent = " " + c.body;
    li.appendChild(who);
    li.appendChild(body);
  };

  // --- forms ---------------------------------------------------------------------------------------
  Room.prototype.bindForms = function () {
    const self = this;
    const form = this.root.querySelector("[data-bid-form]");
    if (form) {
      const amount = form.querySelector("[name=amount]");
      let previewTimer;
      amount.addEventListener("input", function () {
        clearTimeout(previewTimer);
        previewTimer = setTimeout(function () { self.preview(amount.value); }, 300);
      });
      form.addEventListener("submit", function (event) {
        event.preventDefault();
        self.submitBid(form, amount.value.trim());
      });
    }
    const comment = this.root.querySelector("[data-comment-form]");
    if (comment) {
      const body = comment.querySelector("[name=body]");
      body.addEventListener("input", function () { self.send({ type: "typing" }); });
    }
  };

  Room.prototype.preview = function (value) {
    const self = this;
    if (!value) return;
    fetch("/api/auctions/" + this.id + "/price-preview?max=" + encodeURIComponent(value), { credentials: "same-origin" })
      .then(function (r) { return r.json().then(function (b) { return { ok: r.ok, body: b }; }); })
      .then(function (res) {
        const el = self.field("preview");
        if (!el) return;
        if (!res.ok) { el.textContent = res.body.error || ""; return; }
        const d = res.body.data;
        el.textContent = "If you win at " + fmt(d.vehicle_price) + " you pay " + fmt(d.total) + " in total (buyer fee " +
          fmt(d.buyer_fee) + ", documentation " + fmt(d.documentation_fee) +
          (Number(d.title_fee) ? ", title " + fmt(d.title_fee) : "") + (Number(d.sales_tax) ? ", tax " + fmt(d.sales_tax) : "") + ").";
      })
      .catch(function () {});
  };

  Room.prototype.submitBid = function (form, value) {
    const self = this;
    const current = Number(this.price || this.root.dataset.confirmAbove / 3);
    if (Number(value) > current * 3 && !window.confirm("Your max of " + fmt(value) + " is more than three times the current price. Place it?")) return;
    const button = form.querySelector("[data-bid-submit]");
    if (button) button.disabled = true;
    const done = function () { if (button) button.disabled = false; };
    const requestId = "b" + Date.now() + "-" + (this.requestCounter += 1);
    this.pending[requestId] = done;
    if (this.send({ type: "bid_placed", amount: value, request_id: requestId })) {
      setTimeout(done, 8000);
      return;
    }
    // no socket: the same service over HTTP
    fetch("/api/auctions/" + this.id + "/bid", {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken(this.root), "Idempotency-Key": requestId },
      body: JSON.stringify({ amount: value }),
    })
      .then(function (r) { return r.json(); })
      .then(function (body) {
        done();
        if (body.error) { self.notice(body.error, "danger"); return; }
        self.applyState(body.data.auction);
        self.onBidUpdate({ status: "accepted", result: body.data.result, message: body.message });
      })
      .catch(function () { done(); self.notice("Could not reach the server. Try again.", "danger"); });
  };

  function start() {
    document.querySelectorAll("[data-auction-room]").forEach(function (root) {
      if (!root.dataset.started) { root.dataset.started = "1"; root.auctionRoom = new Room(root); }
    });
    // countdowns on cards (live auctions, my bids)
    const cards = document.querySelectorAll("[data-countdown-ends]");
    if (cards.length) {
      setInterval(function () {
        cards.forEach(function (el) { el.textContent = site.formatRemaining(Date.parse(el.dataset.countdownEnds) - site.serverNow()); });
      }, 1000);
    }
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start); else start();
})();
