// Staff console reports: a bar chart drawn as inline SVG from the page's json_script data (no CDN, no library).
(function () {
  "use strict";
  const NS = "http://www.w3.org/2000/svg";
  function el(name, attrs, text) {
    const node = document.createElementNS(NS, name);
    Object.keys(attrs).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined) node.textContent = text;
    return node;
  }
  function draw(svg, points) {
    const width = svg.clientWidth || 800, height = 240, left = 70, bottom = 40, top = 10;
    svg.setAttribute("viewBox", "0 0 " + width + " " + height);
    const max = Math.max.apply(null, points.map(function (p) { return p[1]; }).concat([0]));
    const plotW = width - left - 10, plotH = height - top - bottom;
    svg.appendChild(el("line", { x1: left, y1: top + plotH, x2: left + plotW, y2: top + plotH, class: "axis" }));
    svg.appendChild(el("text", { x: 4, y: top + 10 }, max.toLocaleString("en-US", { maximumFractionDigits: 1 })));
    svg.appendChild(el("text", { x: 4, y: top + plotH }, "0"));
    const step = plotW / Math.max(points.length, 1);
    const every = Math.ceil(points.length / 12);
    points.forEach(function (p, i) {
      const h = max > 0 ? (p[1] / max) * plotH : 0;
      const bar = el("rect", { x: left + i * step + 1, y: top + plotH - h, width: Math.max(step - 2, 1), height: h, class: "bar" });
      bar.appendChild(el("title", {}, p[0] + ": " + p[1].toLocaleString("en-US")));
      svg.appendChild(bar);
      if (i % every === 0) svg.appendChild(el("text", { x: left + i * step + 2, y: height - 22 }, String(p[0]).slice(0, 14)));
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("svg[data-chart]").forEach(function (svg) {
      const data = document.getElementById(svg.getAttribute("data-chart"));
      if (data) draw(svg, JSON.parse(data.textContent));
    });
  });
})();
