// Card form with Accept.js: the card number and CVV go from the browser straight to Authorize.Net;
// our server receives only the one-time payment nonce, the expiry and the last four digits.
(function () {
  "use strict";
  const form = document.getElementById("card-form");
  if (!form || !form.dataset.acceptJs) return;
  const errorBox = document.getElementById("card-js-error");
  const field = (name) => form.querySelector('[name="' + name + '"]');

  function showError(text) {
    errorBox.textContent = text;
    errorBox.classList.remove("d-none");
    errorBox.focus();
  }

  form.addEventListener("submit", function (event) {
    if (field("data_value").value) return; // nonce already attached: let the form go
    event.preventDefault();
    if (typeof window.Accept === "undefined") {
      showError("The secure card form could not load. Check your connection and reload the page.");
      return;
    }
    const number = field("card_number").value.replace(/\D/g, "");
    const secureData = {
      authData: { apiLoginID: form.dataset.apiLoginId, clientKey: form.dataset.clientKey },
      cardData: {
        cardNumber: number,
        month: String(field("exp_month").value).padStart(2, "0"),
        year: String(field("exp_year").value),
        cardCode: field("cvv").value,
      },
    };
    window.Accept.dispatchData(secureData, function (response) {
      if (response.messages.resultCode === "Error") {
        showError(response.messages.message.map((m) => m.text).join(" "));
        return;
      }
      field("data_descriptor").value = response.opaqueData.dataDescriptor;
      field("data_value").value = response.opaqueData.dataValue;
      field("last4").value = number.slice(-4);
      // Never post the card number or CVV to our server.
      field("card_number").removeAttribute("name");
      field("cvv").removeAttribute("name");
      form.submit();
    });
  });
})();
