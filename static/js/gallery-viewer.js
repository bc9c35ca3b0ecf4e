// Vehicle page gallery: thumbnails, previous/next, arrow keys, full screen (Escape leaves it).
(function () {
  "use strict";
  const gallery = document.querySelector("[data-gallery]");
  if (!gallery) return;
  const main = gallery.querySelector("[data-gallery-main]");
  const caption = gallery.querySelector("[data-gallery-caption]");
  const thumbs = Array.from(gallery.querySelectorAll("[data-gallery-thumb]"));
  const total = Math.max(thumbs.length, 1);
  const title = main.alt.replace(/, photo \d+ of \d+$/, "");
  let index = 0;
  // Touch screens browse by swiping; keyboards by arrow keys: the hint names the one this device has.
  const hint = window.matchMedia && window.matchMedia("(pointer: coarse)").matches ? "swipe to browse" : "use ← and → to browse";
  function captionText() { return "Photo " + (index + 1) + " of " + total + " · " + hint; }

  function show(next) {
    if (!thumbs.length) return;
    index = (next + total) % total;
    main.src = thumbs[index].dataset.full;
    main.alt = title + ", photo " + (index + 1) + " of " + total;
    caption.textContent = captionText();
    thumbs.forEach(function (thumb, i) {
      thumb.classList.toggle("active", i === index);
      if (i === index) thumb.setAttribute("aria-current", "true"); else thumb.removeAttribute("aria-current");
    });
  }

  thumbs.forEach(function (thumb, i) { thumb.addEventListener("click", function () { show(i); }); });
  const prev = gallery.querySelector("[data-gallery-prev]");
  const next = gallery.querySelector("[data-gallery-next]");
  if (prev) prev.addEventListener("click", function () { show(index - 1); });
  if (next) next.addEventListener("click", function () { show(index + 1); });
  gallery.addEventListener("keydown", function (event) {
    if (event.key === "ArrowLeft") { event.preventDefault(); show(index - 1); }
    if (event.key === "ArrowRight") { event.preventDefault(); show(index + 1); }
    if (event.key === "Home") { event.preventDefault(); show(0); }
    if (event.key === "End") { event.preventDefault(); show(total - 1); }
  });
  let touchX = null;
  gallery.addEventListener("touchstart", function (event) { touchX = event.touches[0].clientX; }, { passive: true });
  gallery.addEventListener("touchend", function (event) {
    if (touchX === null) return;
    const dx = event.changedTouches[0].clientX - touchX;
    touchX = null;
    if (Math.abs(dx) > 40) show(index + (dx < 0 ? 1 : -1));
  });
  if (thumbs.length && caption.textContent.indexOf(hint) === -1) caption.textContent = captionText();
    const full = gallery.querySelector("[data-gallery-fullscreen]");
  full.addEventListener("click", function () {
    if (document.fullscreenElement) { document.exitFullscreen(); return; }
    if (gallery.requestFullscreen) gallery.requestFullscreen().then(function () { gallery.focus(); }).catch(function () {
      gallery.classList.toggle("pseudo-fullscreen");
    });
    else gallery.classList.toggle("pseudo-fullscreen");
  });
  document.addEventListener("fullscreenchange", function () {
    const on = document.fullscreenElement === gallery;
    gallery.classList.toggle("is-fullscreen", on);
    full.textContent = on ? "Exit full screen" : "Full screen";
    full.setAttribute("aria-label", on ? "Exit full screen" : "View photos full screen");
  });
})();
