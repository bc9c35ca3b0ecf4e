// The vehicle page's "Delivery to your door" box: ask GET /api/transport/quote without leaving the page.
// Without JavaScript the same form reloads the page with ?delivery_zip= and the server renders the quote.
(function () {
  "use strict";
  function money(value) {
    const n = Number(value);
    return isNaN(n) ? value : n.toLocaleString("en-US", { style: "currency", currency: "USD" });
  }

  function render(result, quote) {
    result.replaceChildren();
    const p = document.createElement("p");
    p.className = "mb-1";
    p.dataset.testid = "transport-quote-price";
    const strong = document.createElement("strong");
    strong.textContent = money(quote.price);
    const d = quote.destination;
    p.append(strong, " to " + d.zip + " (" + d.city + ", " + d.state + "), about " + quote.days_min + "–" +
      quote.days_max + " days door to door.");
    const details = document.createElement("details");
    const summary = document.createElement("summary");
    summary.textContent = "How we priced it";
    const table = document.createElement("table");
    table.className = "table table-sm small mb-0";
    const body = document.createElement("tbody");
    quote.lines.concat([{ label: "Total", amount: quote.price, total: true }]).forEach(function (line) {
      const tr = document.createElement("tr");
      if (line.total) tr.className = "fw-semibold";
      const th = document.createElement("th");
      th.scope = "row";
      if (!line.total) th.className = "fw-normal";
      th.textContent = line.label;
      const td = document.createElement("td");
      td.className = "text-end";
      td.textContent = money(line.amount);
      tr.append(th, td);
      body.append(tr);
    });
    table.append(body);
    const note = document.createElement("p");
    note.className = "text-muted mb-0";
    note.textContent = quote.road_miles + " road miles (" + quote.straight_miles + " in a straight line). " +
      "You choose transport or pickup after the sale; transport is paid then.";
    details.append(summary, table, note);
    result.append(p, details);
  }

  function start(box) {
    const form = box.querySelector("[data-transport-quote-form]");
    if (!form) return;
    const input = form.querySelector("[name=delivery_zip]");
    const enclosed = form.querySelector("[name=enclosed]");
    const error = box.querySelector("[data-transport-error]");
    const result = box.querySelector("[data-transport-result]");
    const button = form.querySelector("button[type=submit]");
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      const params = new URLSearchParams({ vehicle: box.dataset.vehicleId, zip: input.value.trim(),
        enclosed: enclosed && enclosed.checked ? "true" : "false" });
      button.disabled = true;
      fetch(box.dataset.apiUrl + "?" + params.toString(), { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (r) { return r.json().then(function (b) { return { ok: r.ok, body: b }; }); })
        .then(function (res) {
          button.disabled = false;
          if (!res.ok) {
            error.textContent = res.body.error || "No quote right now. Try again.";
            input.classList.add("is-invalid");
            input.setAttribute("aria-invalid", "true");
            result.replaceChildren();
            input.focus();
            return;
          }
          error.textContent = "";
          input.classList.remove("is-invalid");
          input.removeAttribute("aria-invalid");
          render(result, res.body.data);
        })
        .catch(function () { button.disabled = false; error.textContent = "Could not reach the server. Try again."; });
    });
  }

  document.querySelectorAll("[data-transport-quote]").forEach(start);
})();
