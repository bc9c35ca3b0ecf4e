// Vehicles: watchlist hearts, filters, countdowns, VIN decoding and AI description drafts.
(function () {
  "use strict";

  function csrfToken() {
    const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  async function api(method, url, body) {
    const response = await fetch(url, {
      method: method,
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken(), Accept: "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    let payload = null;
    try { payload = await response.json(); } catch (e) { payload = null; }
    if (!response.ok) {
      const error = new Error((payload && payload.error) || "Something went wrong (" + response.status + "). Please try again.");
      error.details = payload && payload.details;
      error.status = response.status;
      throw error;
    }
    return payload;
  }
  window.vehiclesApi = api;
  window.vehiclesCsrfToken = csrfToken;

  // --- watchlist hearts ------------------------------------------------------------------------
  document.addEventListener("click", async function (event) {
    const button = event.target.closest("button[data-favorite-vehicle]");
    if (!button) return;
    event.preventDefault();
    const id = button.dataset.favoriteVehicle;
    const active = button.dataset.active === "true";
    button.disabled = true;
    try {
      await api(active ? "DELETE" : "POST", "/api/favorites/vehicle/" + id);
      document.querySelectorAll('button[data-favorite-vehicle="' + id + '"]').forEach(function (b) {
        b.dataset.active = active ? "false" : "true";
        b.classList.toggle("active", !active);
        const label = active ? b.dataset.labelAdd : b.dataset.labelRemove; // the page's words (_favorite_button.html)
        b.setAttribute("aria-label", label);
        b.title = label;
        b.querySelector(".heart").textContent = active ? "♡" : "♥";
      });
    } catch (error) {
      window.alert(error.message);
    } finally {
      button.disabled = false;
    }
  });

  // --- filters and confirmations -------------------------------------------------------------------
  // Choosing a make clears the model; nothing submits on change (WCAG 3.2.2: an arrow key in a select must
  // not reload the page and drop focus): "Apply filters" and "Sort" submit.
  document.querySelectorAll('select[name="make"][data-filter-make]').forEach(function (select) {
    select.addEventListener("change", function () {
      const model = select.form.querySelector('[name="model"]');
      if (model) model.value = "";
    });
  });
  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.dataset.confirm)) event.preventDefault();
    });
  });

  // --- countdowns (server clock offset from site.js when an auction page learned it) ---------------
  const countdowns = document.querySelectorAll(".countdown[data-ends-at]");
  if (countdowns.length && window.site) {
    const tick = function () {
      countdowns.forEach(function (el) {
        const remaining = Date.parse(el.dataset.endsAt) - window.site.serverNow();
        el.textContent = window.site.formatRemaining(remaining);
        el.classList.toggle("ending", remaining > 0 && remaining < 3600 * 1000);
      });
    };
    tick();
    window.setInterval(tick, 1000);
  }

  // --- VIN decoding (listing step 1) -----------------------------------------------------------------
  const specsForm = document.getElementById("specs-form");
  if (specsForm) {
    const status = specsForm.querySelector("[data-decode-status]");
    const vinInput = specsForm.querySelector('[name="vin"]');
    const decodeButton = specsForm.querySelector("[data-decode-vin]");
    const sources = { clearvin: "ClearVIN", vpic: "NHTSA vPIC", offline: "the VIN itself (offline)" };
    const decode = async function () {
      const vin = vinInput.value.trim().toUpperCase();
      vinInput.value = vin;
      status.className = "small mb-3 text-muted";
      status.textContent = "Decoding " + vin + "…";
      decodeButton.disabled = true;
      try {
        const result = (await api("POST", specsForm.dataset.decodeUrl, { vin: vin })).data;
        const filled = [];
        Object.keys(result.specs).forEach(function (name) {
          const field = specsForm.querySelector('[name="' + name + '"]');
          const value = result.specs[name];
          if (!field || value === null || value === "" || value === undefined) return;
          field.value = value;
          field.classList.add("decoded");
          filled.push(name);
        });
        status.className = "small mb-3 text-success";
        status.textContent = "Decoded from " + (sources[result.source] || result.source) + ": " +
          [result.specs.year, result.specs.make, result.specs.model, result.specs.trim].filter(Boolean).join(" ") +
          ". Please check the fields below." + (result.warnings.length ? " " + result.warnings.join(" ") : "");
      } catch (error) {
        status.className = "small mb-3 text-danger";
        status.textContent = error.message;
        vinInput.focus();
      } finally {
        decodeButton.disabled = false;
      }
    };
    decodeButton.addEventListener("click", decode);
    vinInput.addEventListener("keydown", function (event) {
      if (event.key === "Enter") { event.preventDefault(); decode(); }
    });
  }

  // --- AI description draft (listing step 3) -------------------------------------------------------------
  const conditionForm = document.getElementById("condition-form");
  if (conditionForm) {
    const status = conditionForm.querySelector("[data-draft-status]");
    const button = conditionForm.querySelector("[data-draft-description]");
    const textarea = conditionForm.querySelector('[name="description"]');
    button.addEventListener("click", async function () {
      // The form as it is now, saved or not: notes and the structured condition report (damage by panel too).
      const body = {};
      ["condition_grade", "condition_notes", "title_type", "title_state", "features", "starts", "drives",
        "keys_count", "odometer_brand", "airbags_deployed", "announcements"].forEach(function (name) {
        const field = conditionForm.querySelector('[name="' + name + '"]');
        if (field) body[name] = field.value;
      });
      body.damage = [];
      conditionForm.querySelectorAll('select[name^="damage_"][name$="_type"]').forEach(function (kind) {
        const panel = kind.name.slice("damage_".length, -"_type".length);
        const severity = conditionForm.querySelector('[name="damage_' + panel + '_severity"]');
        // a half-filled row is left out (saving would ask for the rest)
        if (kind.value && severity && severity.value) body.damage.push({ panel: panel, type: kind.value, severity: severity.value });
      });
      status.className = "small mb-2 text-muted";
      status.textContent = "Writing a draft… this can take a few seconds.";
      button.disabled = true;
      try {
        const draft = (await api("POST", conditionForm.dataset.draftUrl, body)).data;
        const previous = textarea.value;
        textarea.value = draft.text;
        status.className = "small mb-2 text-success";
        status.textContent = "Draft written. Read it carefully and edit anything that is not exactly right.";
        if (previous.trim()) {
          const undo = document.createElement("button");
          undo.type = "button";
          undo.className = "btn btn-link btn-sm p-0 ms-2";
          undo.textContent = "Undo";
          undo.addEventListener("click", function () { textarea.value = previous; status.textContent = "Your previous text is back."; });
          status.appendChild(undo);
        }
        textarea.focus();
      } catch (error) {
        status.className = "small mb-2 text-danger";
        status.textContent = error.message;
      } finally {
        button.disabled = false;
      }
    });
  }
})();
