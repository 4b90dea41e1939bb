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
  // The scoring grid: Tab goes from score to score (the comment is out of the Tab order);
  // Shift+F2 opens the current cell's comment, Esc goes back to the cell's score.
  document.addEventListener("keydown", function (event) {
    var target = event.target;
    if (!target || !target.closest) {
      return;
    }
    var cell = target.closest("td");
    if (!cell) {
      return;
    }
    if (event.key === "F2" && event.shiftKey && target.hasAttribute("data-grid-score")) {
      var details = cell.querySelector("details");
      var comment = cell.querySelector("[data-grid-comment]");
      if (details && comment) {
        event.preventDefault();
        details.open = true;
        comment.focus();
      }
    } else if (event.key === "Escape" && target.hasAttribute("data-grid-comment")) {
      var score = cell.querySelector("[data-grid-score]");
      if (score) {
        event.preventDefault();
        score.focus();
      }
    }
  });
})();
