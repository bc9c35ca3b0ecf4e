// Gallery editor: uploads straight to storage (presigned POST) with progress, drag-to-reorder, delete;
// and private document uploads. Needs vehicles.js (window.vehiclesApi).
(function () {
  "use strict";
  const api = window.vehiclesApi;
  const editor = document.getElementById("gallery-editor");
  if (!editor || !api) return;

  const grid = editor.querySelector("[data-photo-grid]");
  const uploads = editor.querySelector("[data-upload-list]");
  const status = editor.querySelector("[data-gallery-status]");
  const empty = editor.querySelector("[data-photo-empty]");
  const input = editor.querySelector("[data-photo-input]");
  const dropzone = editor.querySelector("[data-dropzone]");
  const PHOTO_TYPES = ["image/jpeg", "image/png", "image/webp"];
  const maxBytes = parseInt(editor.dataset.maxBytes, 10) * 1024 * 1024;
  let photos = JSON.parse(document.getElementById("initial-photos").textContent);

  function say(text, kind) {
    status.className = "small " + (kind === "error" ? "text-danger" : "text-success");
    status.textContent = text;
  }

  // Upload one file to wherever the ticket says (S3 bucket or the local stand-in), reporting progress.
  function sendToStorage(ticket, file, onProgress) {
    return new Promise(function (resolve, reject) {
      const form = new FormData();
      Object.keys(ticket.fields).forEach(function (name) { form.append(name, ticket.fields[name]); });
      form.append("file", file);
      const xhr = new XMLHttpRequest();
      xhr.open("POST", ticket.url);
      xhr.upload.addEventListener("progress", function (event) {
        if (event.lengthComputable) onProgress(Math.round((event.loaded / event.total) * 100));
      });
      xhr.addEventListener("load", function () {
        if (xhr.status >= 200 && xhr.status < 300) resolve();
        else reject(new Error(xhr.status === 413 || /EntityTooLarge/.test(xhr.responseText) ? "The file is too large." : "The upload was refused (" + xhr.status + ")."));
      });
      xhr.addEventListener("error", function () { reject(new Error("The upload failed; check your connection and try again.")); });
      xhr.send(form);
    });
  }
  window.vehiclesSendToStorage = sendToStorage;

  function progressItem(file) {
    const li = document.createElement("li");
    li.className = "mb-2";
    li.innerHTML = '<div class="small"><span data-name></span> <span data-state class="text-muted">waiting…</span></div>' +
      '<div class="progress" role="progressbar" aria-valuemin="0" aria-valuemax="100" aria-valuenow="0"><div class="progress-bar" style="width:0%"></div></div>';
    li.querySelector("[data-name]").textContent = file.name;
    li.querySelector(".progress").setAttribute("aria-label", "Uploading " + file.name);
    uploads.appendChild(li);
    return {
      progress: function (pct) {
        li.querySelector(".progress-bar").style.width = pct + "%";
        li.querySelector(".progress").setAttribute("aria-valuenow", String(pct));
        li.querySelector("[data-state]").textContent = pct + "%";
      },
      state: function (text, kind) {
        const el = li.querySelector("[data-state]");
        el.textContent = text;
        el.className = kind === "error" ? "text-danger" : kind === "ok" ? "text-success" : "text-muted";
        if (kind === "error") {
          // A failed upload shows its error, not a (possibly full) progress bar.
          li.querySelector(".progress").remove();
          li.setAttribute("data-upload-failed", "");
          el.setAttribute("role", "alert");
          el.textContent = "Not added: " + text;
        }
        if (kind === "ok") {
          li.querySelector(".progress-bar").style.width = "100%";
          window.setTimeout(function () { li.remove(); }, 1500);
        }
      },
    };
  }

  async function uploadPhoto(file) {
    const item = progressItem(file);
    if (PHOTO_TYPES.indexOf(file.type) === -1) { item.state(file.name + " is not a JPEG, PNG or WebP photo.", "error"); return; }
    if (file.size > maxBytes) { item.state("Larger than " + editor.dataset.maxBytes + " MB.", "error"); return; }
    try {
      const ticket = (await api("POST", editor.dataset.uploadsUrl, {
        kind: "photo", filename: file.name, content_type: file.type, size: file.size,
      })).data;
      await sendToStorage(ticket, file, item.progress);
      item.state("checking…");
      const photo = (await api("POST", editor.dataset.photosUrl, { upload_token: ticket.token })).data;
      photos.push(photo);
      render();
      item.state("added", "ok");
      say(file.name + " added.");
    } catch (error) {
      item.state(error.message, "error");
    }
  }

  async function uploadAll(files) {
    for (const file of Array.from(files)) { await uploadPhoto(file); }  // one at a time keeps order
  }

  async function saveOrder() {
    try {
      photos = (await api("PUT", editor.dataset.orderUrl, { photo_ids: photos.map(function (p) { return p.id; }) })).data;
      render();
      say("Order saved. The first photo is the primary one.");
    } catch (error) {
      say(error.message, "error");
    }
  }

  function move(index, to) {
    if (to < 0 || to >= photos.length || to === index) return;
    const moved = photos.splice(index, 1)[0];
    photos.splice(to, 0, moved);
    render();
    saveOrder();
  }

  async function remove(index) {
    const photo = photos[index];
    if (!window.confirm("Remove this photo?")) return;
    try {
      await api("DELETE", editor.dataset.photosUrl + "/" + photo.id);
      photos.splice(index, 1);
      render();
      say("Photo removed.");
    } catch (error) { say(error.message, "error"); }
  }

  let dragIndex = null;
  function render() {
    grid.innerHTML = "";
    empty.hidden = photos.length > 0;
    photos.forEach(function (photo, index) {
      const li = document.createElement("li");
      li.className = "photo-tile card" + (index === 0 ? " primary" : "");
      li.draggable = true;
      li.dataset.photoId = photo.id;
      li.innerHTML = '<img alt="" width="240" height="180">' +
        '<div class="card-body p-2 small d-flex flex-wrap gap-1 align-items-center">' +
        '<span class="me-auto fw-semibold" data-position></span>' +
        '<button type="button" class="btn btn-sm btn-outline-secondary" data-act="earlier">←</button>' +
        '<button type="button" class="btn btn-sm btn-outline-secondary" data-act="later">→</button>' +
        '<button type="button" class="btn btn-sm btn-outline-secondary" data-act="primary">Make primary</button>' +
        '<button type="button" class="btn btn-sm btn-outline-danger" data-act="delete">Delete</button></div>';
      li.querySelector("img").src = photo.thumbnail_url;
      li.querySelector("img").alt = "Photo " + (index + 1);
      li.querySelector("[data-position]").textContent = index === 0 ? "1 · Primary" : String(index + 1);
      li.querySelector('[data-act="earlier"]').setAttribute("aria-label", "Move photo " + (index + 1) + " earlier");
      li.querySelector('[data-act="later"]').setAttribute("aria-label", "Move photo " + (index + 1) + " later");
      li.querySelector('[data-act="primary"]').setAttribute("aria-label", "Make photo " + (index + 1) + " the primary photo");
      li.querySelector('[data-act="delete"]').setAttribute("aria-label", "Delete photo " + (index + 1));
      li.querySelector('[data-act="earlier"]').disabled = index === 0;
      li.querySelector('[data-act="primary"]').hidden = index === 0;
      li.querySelector('[data-act="later"]').disabled = index === photos.length - 1;
      li.addEventListener("click", function (event) {
        const act = event.target.closest("[data-act]");
        if (!act) return;
        if (act.dataset.act === "earlier") move(index, index - 1);
        if (act.dataset.act === "later") move(index, index + 1);
        if (act.dataset.act === "primary") move(index, 0);
        if (act.dataset.act === "delete") remove(index);
      });
      li.addEventListener("dragstart", function (event) {
        dragIndex = index;
        li.classList.add("dragging");
        event.dataTransfer.effectAllowed = "move";
        event.dataTransfer.setData("text/plain", String(photo.id));
      });
      li.addEventListener("dragend", function () { li.classList.remove("dragging"); });
      li.addEventListener("dragover", function (event) { event.preventDefault(); li.classList.add("drop-target"); });
      li.addEventListener("dragleave", function () { li.classList.remove("drop-target"); });
      li.addEventListener("drop", function (event) {
        event.preventDefault();
        li.classList.remove("drop-target");
        if (dragIndex !== null && dragIndex !== index) move(dragIndex, index);
        dragIndex = null;
      });
      grid.appendChild(li);
    });
  }

  input.addEventListener("change", function () { uploadAll(input.files).then(function () { input.value = ""; }); });
  ["dragenter", "dragover"].forEach(function (name) {
    dropzone.addEventListener(name, function (event) {
      if (event.dataTransfer && Array.from(event.dataTransfer.types).indexOf("Files") !== -1) {
        event.preventDefault(); dropzone.classList.add("active");
      }
    });
  });
  dropzone.addEventListener("dragleave", function () { dropzone.classList.remove("active"); });
  dropzone.addEventListener("drop", function (event) {
    event.preventDefault(); dropzone.classList.remove("active");
    if (event.dataTransfer.files.length) uploadAll(event.dataTransfer.files);
  });
  render();

  // --- documents ------------------------------------------------------------------------------------
  const documents = document.getElementById("document-editor");
  if (documents) {
    const docInput = documents.querySelector("[data-document-input]");
    const docStatus = documents.querySelector("[data-document-status]");
    docInput.addEventListener("change", async function () {
      const file = docInput.files[0];
      if (!file) return;
      docStatus.className = "small mt-1 text-muted";
      docStatus.textContent = "Uploading " + file.name + "…";
      try {
        const ticket = (await api("POST", documents.dataset.uploadsUrl, {
          kind: "document", filename: file.name, content_type: file.type || "application/octet-stream", size: file.size,
        })).data;
        await sendToStorage(ticket, file, function (pct) { docStatus.textContent = "Uploading " + file.name + "… " + pct + "%"; });
        const doc = (await api("POST", documents.dataset.documentsUrl, {
          upload_token: ticket.token,
          kind: documents.querySelector("[data-document-kind]").value,
          is_public: documents.querySelector("[data-document-public]").checked,
        })).data;
        const li = document.createElement("li");
        li.className = "list-group-item";
        li.dataset.documentId = doc.id;
        const link = document.createElement("a");
        link.href = doc.url; link.textContent = doc.name;
        li.append(doc.kind_label + " · ", link);
        if (!doc.is_public) { const badge = document.createElement("span"); badge.className = "badge text-bg-secondary ms-1"; badge.textContent = "Private"; li.append(badge); }
        documents.querySelector("[data-document-list]").appendChild(li);
        docStatus.className = "small mt-1 text-success";
        docStatus.textContent = file.name + " added.";
      } catch (error) {
        docStatus.className = "small mt-1 text-danger";
        docStatus.textContent = error.message;
      } finally {
        docInput.value = "";
      }
    });
  }
})();
