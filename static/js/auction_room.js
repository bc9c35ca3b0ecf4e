// The live auction panel: server-synced countdown, live updates over ws/auctions/<id>/, gap refetch, reconnect.
// Without JavaScript the panel still works: the bid form is a plain POST.
(function () {
  "use strict";
  const site = window.site;
  const money = new Intl.NumberFormat("en-US", { style: "currency", currency: "USD" });
  // Labels and the confirmation threshold come from the server (auctions/state.py): no copy of them here.

  const HISTORY_SIZE = 15; // bids the page shows (auctions.panels.panel_context renders the same number)
  const JSON_GET = { credentials: "same-origin", headers: { Accept: "application/json" } };

  function fmt(value) { return value == null ? "—" : money.format(Number(value)); }

  // When the page's request left, on Date.now()'s clock: measured with the monotonic clock, so a skewed or
  // changed wall clock cannot shift it (the offset learnt from it would be off by half the skew).
  function requestStartedAt() {
    const nav = performance.getEntriesByType ? performance.getEntriesByType("navigation")[0] : null;
    if (!nav || !nav.requestStart) return null;
    return Date.now() - (performance.now() - nav.requestStart);
  }

  // A persistent live region (present, empty, from page load) that speaks each event once: the messages of
  // one event (those within QUIET_MS of each other: a bid, its extension, its outbid) are combined into one
  // line, and a later event adds a line below instead of overwriting the last one; lines older than
  // STALE_MS are cleared when the next event arrives (removals are not announced).
  const QUIET_MS = 200;
  const STALE_MS = 8000;
  function Announcer(region, lineClass) {
    this.region = region;
    this.lineClass = lineClass || "";
    this.pending = [];
    this.kind = null;
    this.flushedAt = 0;
    this.timer = null;
  }
  // `key` lets a later message of the same event replace an earlier one (the extension, once we learn
  // it was this person's own bid); `kind` is the look (success, warning, danger, info).
  Announcer.prototype.say = function (text, kind, key) {
    if (!this.region || !text) return;
    const same = key && this.pending.find(function (m) { return m.key === key; });
    if (same) same.text = text; else this.pending.push({ text: text, key: key });
    if (kind && (kind === "danger" || kind === "warning" || !this.kind)) this.kind = kind;
    if (!this.timer) this.timer = setTimeout(this.flush.bind(this), QUIET_MS);
  };
  Announcer.prototype.replace = function (key, text) {
    const same = this.pending.find(function (m) { return m.key === key; });
    if (same) { same.text = text; return true; }
    return false;
  };
  Announcer.prototype.flush = function () {
    this.timer = null;
    if (!this.pending.length) return;
    if (Date.now() - this.flushedAt > STALE_MS) this.region.replaceChildren();
    const line = document.createElement("p");
    line.className = this.lineClass + (this.kind ? " alert-" + this.kind : "");
    line.textContent = this.pending.map(function (m) { return m.text; }).join(" ");
    this.region.appendChild(line);
    this.pending = [];
    this.kind = null;
    this.flushedAt = Date.now();
  };

  // The end time in words, in the viewer's zone ("3:42:10 PM CST").
  function clockTime(ms) {
    return new Date(ms).toLocaleTimeString("en-US", { hour: "numeric", minute: "2-digit", second: "2-digit", timeZoneName: "short" });
  }

  // Threshold announcements (the countdown itself is not live: it would speak every second).
  const THRESHOLDS = [
    { ms: 5 * 60000, text: "5 minutes left." },
    { ms: 60000, text: "1 minute left." },
    { ms: 30000, text: "30 seconds left." },
  ];

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
    this.confirmAbove = root.dataset.confirmAbove; // the server's threshold (Auction.confirmation_threshold)
    // The page's caption is this viewer's (viewer.price_caption) for the public one it was rendered with.
    const caption = this.field("price_caption");
    if (caption) this.viewerCaption = { public: root.dataset.priceCaption, mine: caption.textContent };
    this.retries = 0;
    this.pending = {};
    this.requestCounter = 0;
    this.mine = {}; // seq -> max of this user's own bids seen in bid_update, for the own-bid badge
    this.notices = new Announcer(this.field("notice"), "alert small py-2 mb-1");
    this.times = new Announcer(this.field("time_notice"), "mb-0");
    // Thresholds already behind us at load are not announced; each is spoken once, and again after an
    // extension takes the time left back above it.
    this.spoken = {};
    const leftAtLoad = this.endsAt - Date.now();
    THRESHOLDS.forEach(function (t) { if (leftAtLoad <= t.ms) this.spoken[t.ms] = true; }, this);
    this.opened = false; // the socket was open once: the next open is a reconnect
    // With JavaScript a dialog asks for confirmation only when needed (submitBid); the checkbox is the no-JS way.
    root.querySelectorAll("[data-nojs-confirm]").forEach(function (el) { el.hidden = true; });
    site.learnServerTime(root.dataset.serverTime, requestStartedAt());
    this.tick();
    if (root.dataset.endsAt) this.showEndsAt(root.dataset.endsAt);
    this.timer = setInterval(this.tick.bind(this), 250);
    this.bindForms();
    this.connect();
  }

  Room.prototype.field = function (name) { return this.root.querySelector('[data-field="' + name + '"]'); };
  Room.prototype.setText = function (name, text) { const el = this.field(name); if (el) el.textContent = text; };
  Room.prototype.setChanged = function (name, text) { const el = this.field(name); if (el && el.textContent !== text) el.textContent = text; };

  Room.prototype.tick = function () {
    const el = this.field("countdown");
    if (!el) return;
    const open = this.status === "live" || this.status === "scheduled";
    const left = this.endsAt - site.serverNow();
    const text = open ? site.formatRemaining(left) : "Ended";
    this.root.querySelectorAll('[data-field="countdown"], [data-field="sticky_countdown"]').forEach(function (c) {
      c.textContent = text;
      c.classList.toggle("ending", open && left > 0 && left < 120000);
    });
    if (this.status === "live") this.announceThresholds(left);
    // Past the end but not closed yet: ask the server every few seconds (the close broadcast may not reach us).
    if (open && left < -3000 && (!this.lastPoll || Date.now() - this.lastPoll > 5000)) {
      this.lastPoll = Date.now();
      this.refetch();
    }
  };

  Room.prototype.announceThresholds = function (left) {
    THRESHOLDS.forEach(function (t) {
      if (left > t.ms) { this.spoken[t.ms] = false; return; } // above it again (an extension): speak it next time
      if (!this.spoken[t.ms] && left > 0) {
        this.spoken[t.ms] = true;
        // Only the most urgent of the thresholds crossed at once is spoken.
        if (!THRESHOLDS.some(function (u) { return u.ms < t.ms && left <= u.ms; })) this.times.say(t.text, null, "threshold");
      }
    }, this);
  };

  Room.prototype.notice = function (text, kind) { this.notices.say(text, kind); };

  // A refusal: in the form's role=alert region, linked to the field (aria-invalid, aria-describedby).
  Room.prototype.refuse = function (text) {
    const error = this.field("bid_error");
    const amount = this.field("amount");
    if (!error) { this.notice(text, "danger"); return; }
    error.textContent = "";
    error.textContent = text;
    error.classList.remove("d-none-empty");
    if (amount) {
      amount.setAttribute("aria-invalid", "true");
      // Focus in the field to correct it (its description now starts with the refusal).
      if (!document.activeElement || document.activeElement === document.body || document.activeElement.matches("[data-bid-submit]")) amount.focus();
    }
    const preview = this.field("preview");
    if (preview) preview.textContent = ""; // never a total at a refused amount
  };

  Room.prototype.clearRefusal = function () {
    const error = this.field("bid_error");
    const amount = this.field("amount");
    if (error) error.textContent = "";
    if (amount) amount.removeAttribute("aria-invalid");
  };

  // --- state -------------------------------------------------------------------------------
  // Applies a state at least as new as the one shown; returns whether it did.
  Room.prototype.applyState = function (s) {
    if (!s) return false;
    if (typeof s.seq === "number" && s.seq < this.seq) return false; // older than what we show
    if (typeof s.seq === "number") this.seq = s.seq;
    if (typeof s.version === "number") this.version = Math.max(this.version, s.version);
    if (s.ends_at) this.endsAt = Date.parse(s.ends_at);
    if (s.status) this.status = s.status;
    this.price = s.price;
    this.lastState = s;
    // Rewritten only when changed: the same text written again can be spoken again.
    const caption = this.captionFor(s);
    this.setChanged("price", fmt(s.price));
    this.setChanged("sticky_price", fmt(s.price));
    if (caption) { this.setChanged("price_caption", caption); this.setChanged("sticky_caption", caption); }
    this.setChanged("bid_count", String(s.bid_count));
    this.setChanged("leader_alias", s.leader_alias || "—");
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
    if (s.ends_at) this.showEndsAt(s.ends_at);
    const badge = this.field("extended_badge");
    if (badge && s.extended_label) { badge.classList.remove("d-none"); badge.textContent = s.extended_label; }
    if (s.status_label) this.setChanged("status_label", s.status_label);
    if (s.confirm_above) this.confirmAbove = s.confirm_above;
    const buyNow = this.root.querySelector("[data-buy-now-form]");
    if (buyNow && !s.buy_now_available) buyNow.remove();
    if (s.status !== "live" && s.status !== "scheduled") this.closeForms();
    this.root.dataset.seq = String(this.seq);
    this.tick();
    return true;
  };

  // The auction is over: the forms go, and focus (if it was in them, or lost with them) moves to the
  // outcome, which says what happened; the outcome for this person is announced once the server tells it.
  Room.prototype.closeForms = function () {
    const forms = this.root.querySelectorAll("[data-bid-form], [data-buy-now-form], [data-sticky-bid]");
    if (!forms.length) return;
    const active = document.activeElement;
    const hadFocus = Array.prototype.some.call(forms, function (f) { return f.contains(active); });
    forms.forEach(function (f) { f.remove(); });
    this.awaitingOutcome = true;
    const outcome = this.field("outcome");
    if (outcome) {
      outcome.hidden = false;
      outcome.textContent = this.field("status_label") ? this.field("status_label").textContent : "Auction ended.";
      if (hadFocus || document.activeElement === document.body || !document.activeElement) outcome.focus();
    }
  };

  Room.prototype.applyViewer = function (viewer) {
    if (!viewer) return;
    const el = this.field("my_status");
    if (el && viewer.my_status_label) { el.dataset.status = viewer.my_status; el.textContent = viewer.my_status_label; }
    if ("my_max" in viewer) this.showMyMax(viewer.my_max);
    if (viewer.outcome_message && this.status !== "live" && this.status !== "scheduled") {
      const outcome = this.field("outcome");
      if (outcome && outcome.textContent !== viewer.outcome_message) { outcome.hidden = false; outcome.textContent = viewer.outcome_message; }
      if (this.awaitingOutcome) { this.awaitingOutcome = false; this.times.say(viewer.outcome_message, null, "outcome"); }
    }
    const pay = this.field("pay_now");
    if (pay) pay.classList.toggle("d-none", viewer.my_status !== "won");
    // This viewer's own caption (the winner's differs), from the same read as the state it came with.
    if (viewer.price_caption && this.lastState) {
      this.viewerCaption = { public: this.lastState.price_caption, mine: viewer.price_caption };
      this.setChanged("price_caption", this.captionFor(this.lastState));
      this.setChanged("sticky_caption", this.captionFor(this.lastState));
    }
  };

  // The words above the price are the server's (auctions.state.price_caption): everyone's from the state, or
  // this viewer's own when the server gave one for the same public caption (a later state moves past it).
  Room.prototype.captionFor = function (s) {
    const own = this.viewerCaption;
    return own && own.public === s.price_caption ? own.mine : s.price_caption;
  };

  Room.prototype.showMyMax = function (value) {
    const el = this.field("my_max");
    if (!el) return;
    el.hidden = !value;
    const amount = el.querySelector("[data-my-max-amount]");
    if (amount && value) amount.textContent = fmt(value);
  };

  // The end in the marketplace's time (Central), and the viewer's own time beside it when their zone differs.
  const CENTRAL = "America/Chicago";
  const TIME_PARTS = { month: "short", day: "numeric", hour: "numeric", minute: "2-digit", second: "2-digit", timeZoneName: "short" };
  Room.prototype.showEndsAt = function (iso) {
    const when = new Date(iso);
    if (isNaN(when.getTime())) return;
    this.setChanged("ends_at_text", when.toLocaleString("en-US", Object.assign({ timeZone: CENTRAL }, TIME_PARTS)));
    const mine = Intl.DateTimeFormat().resolvedOptions().timeZone;
    this.setChanged("ends_at_local", mine && mine !== CENTRAL ? "(your time " + when.toLocaleString("en-US", TIME_PARTS) + ")" : "");
  };

  // Once the auction is over: no stale "bid accepted" notice, no comment box.
  Room.prototype.showClosed = function () {
    const notice = this.field("notice");
    if (notice) notice.replaceChildren();
    const form = this.root.querySelector("[data-comment-form]");
    if (form) form.classList.add("d-none");
    this.root.querySelectorAll(".comment-reply").forEach(function (el) { el.classList.add("d-none"); });
    const closed = this.field("comments_closed");
    if (closed) closed.classList.remove("d-none");
  };

  // The state and the bid history from the server, after a gap in `seq`, a reconnect or a change without a bid.
  // One at a time: asked again meanwhile, it runs once more when the current one ends.
  Room.prototype.refetch = function () {
    const self = this;
    if (this.refetching) { this.refetchAgain = true; return this.refetching; }
    this.refetchAgain = false;
    this.refetching = fetch("/api/auctions/" + this.id, JSON_GET)
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (body) {
        if (!body) return;
        // An answer older than a broadcast applied meanwhile is skipped (applyState); seq never goes back.
        if (self.applyState(body.data)) self.applyViewer(body.data.viewer);
        if (typeof body.data.watchers === "number") self.setText("watchers", String(body.data.watchers));
        // Read after the state, so the history holds every bid the state counts.
        return self.reloadHistory();
      })
      .catch(function () { /* the next message or reconnect tries again */ })
      .then(function () {
        self.refetching = null;
        if (self.refetchAgain) self.refetch();
      });
    return this.refetching;
  };

  // A room message that is not a bid carries the auction's current seq without advancing ours:
  // a higher one means a bid went by unseen.
  Room.prototype.catchUp = function (msg) {
    if (typeof msg.seq === "number" && msg.seq > this.seq) this.refetch();
  };

  // --- bid history ---------------------------------------------------------------------------------
  Room.prototype.reloadHistory = function () {
    const self = this;
    if (!this.field("history")) return null;
    return fetch("/api/bids/auction/" + this.id + "?page_size=" + HISTORY_SIZE, JSON_GET)
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (body) { if (body && Array.isArray(body.results)) self.renderHistory(body.results); });
  };

  // The server's list (newest first), as the page renders it; bids broadcast after it was read stay on top.
  Room.prototype.renderHistory = function (bids) {
    const list = this.field("history");
    if (!list) return;
    const newest = bids.length ? bids[0].seq : 0;
    const newer = Array.prototype.filter.call(list.querySelectorAll("li[data-seq]"), function (li) {
      return Number(li.dataset.seq) > newest;
    });
    const wasEmpty = !list.querySelector("li:not([data-empty])");
    const items = newer.concat(bids.map(this.historyItem, this));
    if (!items.length) return; // no bids: keep the page's "no bids yet" line
    list.replaceChildren.apply(list, items);
    if (wasEmpty) this.openHistory(list);
  };

  Room.prototype.historyItem = function (bid) {
    const li = document.createElement("li");
    if (typeof bid.seq === "number") li.dataset.seq = String(bid.seq);
    if (bid.voided) li.className = "text-decoration-line-through text-muted";
    const who = document.createElement("span");
    who.textContent = (bid.bidder && bid.bidder.name) || bid.bidder_alias || "A bidder";
    li.appendChild(who);
    li.appendChild(document.createTextNode(" · " + fmt(bid.price)));
    if (bid.raised_own_max) li.appendChild(this.tag(this.field("history").dataset.labelRaised, "text-muted"));
    if (bid.mine || this.mine[bid.seq]) this.markMine(li, bid.max_amount || this.mine[bid.seq]);
    return li;
  };

  Room.prototype.tag = function (text, className) {
    const span = document.createElement("span");
    span.className = "small " + className;
    span.textContent = " (" + text + ")";
    return span;
  };

  // This person's own row: the own-bid badge, with the max they set (the row's amount is the price it produced); the
  // words are the page's (the history list's data-label-* attributes).
  Room.prototype.markMine = function (li, max) {
    const words = this.field("history").dataset;
    const shown = li.querySelector("[data-mine]");
    if (shown) { if (max && max !== true) shown.textContent = words.labelYourMax + " " + fmt(max); return; }
    const badge = document.createElement("span");
    badge.className = "badge badge-you";
    badge.dataset.mine = "";
    badge.textContent = max && max !== true ? words.labelYourMax + " " + fmt(max) : words.labelYou;
    li.appendChild(document.createTextNode(" "));
    li.appendChild(badge);
  };

  Room.prototype.openHistory = function (list) {
    const details = list.closest("details");
    if (details) details.open = true;
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
      if (self.opened) { // messages sent while we were away are lost: fetch what they changed
        self.refetch();
        self.reloadComments();
      }
      self.opened = true;
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
        this.catchUp(msg); // before the state below moves this.seq: the history needs the missed bids too
        if (typeof msg.watchers === "number") this.setText("watchers", String(msg.watchers));
        if (msg.state && this.applyState(msg.state)) this.applyViewer(msg.state.viewer);
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
          if (badge && msg.extended_label) { badge.classList.remove("d-none"); badge.textContent = msg.extended_label; }
          this.showEndsAt(msg.ends_at);
          this.extendedSeq = msg.seq;
          // Worded for everyone; this person's own bid rewords it when its bid_update follows (onBidUpdate).
          const text = this.mine[msg.seq] ? this.extensionText(true) : this.extensionText(false);
          this.times.say(text, null, "extension");
          this.tick();
        }
        break;
      case "status_changed":
      case "auction_closed":
        this.applyState(msg);
        if (msg.status === "ended" || msg.status === "cancelled") this.showClosed();
        this.refetch(); // your own status (won / lost) comes with the full state
        break;
      case "bid_update":
        this.onBidUpdate(msg);
        break;
      case "user_typing":
        this.catchUp(msg);
        this.showTyping(msg.name);
        break;
      case "comment_posted":
      case "comment_hidden":
        this.catchUp(msg);
        this.showComment(msg.comment);
        break;
      default:
        break;
    }
  };

  Room.prototype.extensionText = function (own) {
    return (own ? "Your bid extended the auction by two minutes." : "A bid in the last two minutes extended the auction.") +
      " It now ends at " + clockTime(this.endsAt) + ".";
  };

  Room.prototype.onBidUpdate = function (msg) {
    if (msg.request_id && this.pending[msg.request_id]) { this.pending[msg.request_id](); delete this.pending[msg.request_id]; }
    if (msg.status === "rejected") { this.refuse(msg.error || "Your bid was not accepted."); return; }
    if (msg.status === "accepted") this.clearRefusal();
    if (msg.status === "accepted" && msg.bid_id && typeof msg.seq === "number") { // our own bid: badge it
      this.mine[msg.seq] = msg.your_max || true;
      const list = this.field("history");
      const li = list && list.querySelector('li[data-seq="' + msg.seq + '"]');
      if (li) this.markMine(li, msg.your_max);
      if (this.extendedSeq === msg.seq) this.times.replace("extension", this.extensionText(true));
    }
    const status = msg.status === "outbid" || msg.result === "outbid" ? "outbid" : "leading";
    // your max: this person's own bid sets it; an outbid leaves it as it was (the max that was beaten)
    this.applyViewer({ my_status: status, my_status_label: msg.my_status_label, my_max: msg.your_max || null });
    this.notice(msg.message || (status === "leading" ? "You're the high bidder." : "You were outbid."), status === "leading" ? "success" : "warning");
  };

  // A broadcast bid, in seq order; one the list already holds (a refetch read it first) is not added twice.
  Room.prototype.prependHistory = function (msg) {
    const list = this.field("history");
    if (!list) return;
    if (typeof msg.seq === "number" && list.querySelector('li[data-seq="' + msg.seq + '"]')) return;
    const empty = list.querySelector("[data-empty]");
    if (empty) empty.remove();
    const li = this.historyItem({ seq: msg.seq, bidder_alias: msg.bidder_alias, price: msg.price, raised_own_max: msg.raised_own_max });
    let before = list.firstElementChild;
    while (before && before.dataset.seq && typeof msg.seq === "number" && Number(before.dataset.seq) > msg.seq) {
      before = before.nextElementSibling;
    }
    list.insertBefore(li, before);
    if (empty) this.openHistory(list);
  };

  Room.prototype.showTyping = function (name) {
    const el = this.field("typing");
    if (!el) return;
    el.textContent = name + " is typing…";
    el.classList.remove("d-none");
    clearTimeout(this.typingTimer);
    this.typingTimer = setTimeout(function () { el.classList.add("d-none"); }, 3000);
  };

  // After a reconnect: comments posted or hidden meanwhile (those already shown keep their reply forms).
  Room.prototype.reloadComments = function () {
    const self = this;
    const list = this.field("comments");
    if (!list) return null;
    return fetch("/api/auctions/" + this.id + "/comments", JSON_GET)
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (body) {
        if (!body || !Array.isArray(body.data)) return;
        // Older comments the page left out (it shows the newest 200) stay out; newer ones are added.
        const newest = Array.prototype.reduce.call(list.querySelectorAll("[data-comment-id]"), function (top, li) {
          return Math.max(top, Number(li.dataset.commentId));
        }, 0);
        body.data.forEach(function (c) {
          const shown = list.querySelector('[data-comment-id="' + c.id + '"]');
          if (shown ? c.hidden && !shown.querySelector("em") : c.id > newest) self.showComment(c);
        });
      })
      .catch(function () { /* the next reconnect tries again */ });
  };

  // Where a new comment goes: a reply after the last reply to its question, anything else at the end.
  Room.prototype.afterThread = function (list, parentId) {
    const parent = parentId && list.querySelector('[data-comment-id="' + parentId + '"]');
    if (!parent) return null;
    let next = parent.nextElementSibling;
    while (next && next.dataset.parentId === String(parentId)) next = next.nextElementSibling;
    return next;
  };

  Room.prototype.showComment = function (c) {
    const list = this.field("comments");
    if (!list || !c) return;
    const empty = list.querySelector("[data-empty]");
    if (empty) empty.remove();
    let li = list.querySelector('[data-comment-id="' + c.id + '"]');
    if (!li) {
      li = document.createElement("li");
      li.dataset.commentId = c.id;
      li.className = "mb-2" + (c.parent_id ? " ms-3" : "");
      if (c.parent_id) li.dataset.parentId = c.parent_id;
      list.insertBefore(li, this.afterThread(list, c.parent_id));
    }
    li.textContent = "";
    if (c.hidden) { const em = document.createElement("em"); em.className = "text-muted"; em.textContent = list.dataset.labelHidden; li.appendChild(em); return; }
    const who = document.createElement("strong");
    who.textContent = c.author + " ";
    if (c.is_seller) { const b = document.createElement("span"); b.className = "badge bg-primary"; b.textContent = list.dataset.labelSeller; who.appendChild(b); }
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
        self.clearRefusal();
        previewTimer = setTimeout(function () { self.preview(amount.value.trim()); }, 300);
      });
      form.addEventListener("submit", function (event) {
        event.preventDefault();
        self.submitBid(form, amount.value.trim());
      });
    }
    // Phones: the sticky bar's Bid button brings the bid form into view and puts the cursor in the amount.
    const stickyBid = this.root.querySelector("[data-sticky-bid-button]");
    if (stickyBid && form) {
      stickyBid.addEventListener("click", function (event) {
        event.preventDefault();
        const amount = form.querySelector("[name=amount]");
        form.scrollIntoView({ block: "center" });
        amount.focus();
        amount.select();
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
    const el = this.field("preview");
    const minimum = this.field("minimum_next_bid");
    const below = minimum && Number(value) < Number(minimum.textContent.replace(/[^0-9.]/g, ""));
    if (!value || !/^[0-9]{1,10}(\.[0-9]{1,2})?$/.test(value) || below) {
      // no total at an amount the server would refuse; why it would is said once, on submit
      if (el) el.textContent = "";
      return;
    }
    fetch("/api/auctions/" + this.id + "/price-preview?max=" + encodeURIComponent(value), { credentials: "same-origin" })
      .then(function (r) { return r.json().then(function (b) { return { ok: r.ok, body: b }; }); })
      .then(function (res) {
        if (!el) return;
        if (!res.ok) { el.textContent = ""; return; }
        const d = res.body.data;
        el.textContent = "If you win at " + fmt(d.vehicle_price) + " you pay " + fmt(d.total) + " in total (buyer fee " +
          fmt(d.buyer_fee) + ", documentation " + fmt(d.documentation_fee) +
          (Number(d.title_fee) ? ", title " + fmt(d.title_fee) : "") + (Number(d.sales_tax) ? ", tax " + fmt(d.sales_tax) : "") + ").";
      })
      .catch(function () {});
  };

  Room.prototype.submitBid = function (form, value) {
    const self = this;
    // The one rule (Auction.needs_confirmation): above the server's threshold, ask before sending.
    if (Number(value) > Number(this.confirmAbove) && !window.confirm("Your max of " + fmt(value) + " is more than three times the current price. Place it?")) return;
    const button = form.querySelector("[data-bid-submit]");
    const focused = document.activeElement;
    if (button) button.disabled = true;
    // Disabling the focused button drops focus to <body>: it goes back where it was when the answer comes.
    const done = function () {
      if (button) button.disabled = false;
      if (focused && focused.isConnected && (!document.activeElement || document.activeElement === document.body)) focused.focus();
    };
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
        if (body.error) { self.refuse(body.error); return; }
        self.applyState(body.data.auction);
        self.onBidUpdate({ status: "accepted", result: body.data.result, message: body.message });
      })
      .catch(function () { done(); self.refuse("We could not reach the server. Check your connection and try again."); });
  };

  function start() {
    document.querySelectorAll("[data-auction-room]").forEach(function (root) {
      if (!root.dataset.started) { root.dataset.started = "1"; root.auctionRoom = new Room(root); }
    });
    // countdowns on cards (live auctions, my bids)
    const cards = document.querySelectorAll("[data-countdown-ends]");
    if (cards.length) {
      const tickCards = function () {
        cards.forEach(function (el) { el.textContent = site.formatRemaining(Date.parse(el.dataset.countdownEnds) - site.serverNow()); });
      };
      tickCards();
      setInterval(tickCards, 1000);
    }
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start); else start();
})();
