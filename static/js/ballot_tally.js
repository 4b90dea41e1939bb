// The live tally of an online ballot (民主测评): polls the meeting's tally.json every 3 s while
// the ballot is open. No inline script (CSP); no library.
(function () {
  "use strict";
  var box = document.querySelector("[data-tally-url]");
  if (!box || !window.fetch) {
    return;
  }
  var url = box.getAttribute("data-tally-url");
  var timer = null;
  function update() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data) { return; }
        ["satisfied", "basically", "dissatisfied", "ballots"].forEach(function (key) {
          var el = box.querySelector('[data-tally="' + key + '"]');
          if (el) { el.textContent = data[key]; }
        });
        var field = document.querySelector('[data-tally-field="ballots"]');
        if (field) { field.value = data.ballots; }
        if (data.closed && timer) { clearInterval(timer); window.location.reload(); }
      })
      .catch(function () {});
  }
  timer = setInterval(update, 3000);
})();
