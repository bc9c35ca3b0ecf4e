// The server's clock as the page was rendered (`<script src=".../server_time.js" data-server-time="ISO">`):
// countdowns start from it before the socket says more. A file, not an inline script, under the site's CSP.
(function () {
  "use strict";
  const stamp = document.currentScript && document.currentScript.dataset.serverTime;
  if (stamp && window.site) window.site.learnServerTime(stamp);
})();
