/* Glue around django-otp-webauthn's registration script on the security page. Loaded
   from a file (strict CSP). The package's script fires these events on the button;
   they bubble up to the document. */
(function () {
  "use strict";

  function registerBox() {
    return document.querySelector("[data-step-up-url]");
  }

  // A new key is on the server: show it in the list.
  document.addEventListener("otp_webauthn.register_complete", function () {
    window.location.reload();
  });

  // 401: adding a key needs a fresh one-time code first. Go and give it; the step-up
  // page brings the person back here to press the button again.
  document.addEventListener("otp_webauthn.register_failed", function (event) {
    var response = event.detail && event.detail.response;
    var box = registerBox();
    if (response && response.status === 401 && box) {
      window.location.assign(box.getAttribute("data-step-up-url"));
    }
  });
})();
