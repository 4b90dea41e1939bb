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

// A background job's progress (the year's written results): a <progress data-progress-url>
// polls its JSON every 3 s while the job is queued or running. A page that knew the job was
// running reloads when it ends; a page that did not know (data-state="") just shows the state.
(function () {
  "use strict";
  var bar = document.querySelector("progress[data-progress-url]");
  if (!bar || bar.dataset.state === "done" || bar.dataset.state === "failed") {
    return;
  }
  var knewRunning = bar.dataset.state !== "";
  var box = bar.closest("[data-progress-box]");
  var label = document.querySelector("[data-progress-label]");
  function poll() {
    fetch(bar.dataset.progressUrl, { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (d) {
        if (!d.state) {
          return;
        }
        if (box) {
          box.hidden = false;
        }
        bar.max = d.total || 1;
        bar.value = d.state === "done" ? bar.max : d.done;
        if (label) {
          label.textContent = d.label + " " + d.done + "/" + d.total;
        }
        if (d.state === "done" || d.state === "failed") {
          if (knewRunning) {
            window.location.reload();
          }
          return;
        }
        setTimeout(poll, 3000);
      });
  }
  if (knewRunning) {
    setTimeout(poll, 3000);
  } else {
    poll();
  }
})();
