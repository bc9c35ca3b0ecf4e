// Notifications page: a notification that arrives live (the bell's socket) shows the "new notifications" link.
document.addEventListener("notifications:new", function () {
  "use strict";
  const notice = document.querySelector("[data-new-notifications]");
  if (notice) notice.hidden = false;
});
