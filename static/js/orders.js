// Order page: disable the pay button on submit. The server refuses a second attempt anyway; this avoids the confusion.
document.addEventListener("DOMContentLoaded", function () {
  "use strict";
  document.querySelectorAll("[data-pay-form]").forEach(function (form) {
    form.addEventListener("submit", function () { form.querySelector("button[type=submit]").disabled = true; });
  });
});
