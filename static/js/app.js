// Project script. No inline scripts anywhere (Content-Security-Policy: script-src 'self').
(function () {
  "use strict";
  // Forms that ask for confirmation carry data-confirm="message".
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var message = form.getAttribute && form.getAttribute("data-confirm");
    if (message && !window.confirm(message)) {
      event.preventDefault();
    }
  });
})();
