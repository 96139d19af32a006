// Follows a rescore set while the workers judge it, and reloads the page when it is ready.
(function () {
  "use strict";
  var root = document.getElementById("rescore");
  if (!root || root.getAttribute("data-status") !== "judging") { return; }
  var url = root.getAttribute("data-progress");

  function set(id, value) {
    var node = document.getElementById(id);
    if (node) { node.textContent = String(value); }
  }

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (data === null) { window.setTimeout(poll, 5000); return; }
        var judged = data.counts.scored + data.counts.failed;
        set("rescore-judged", judged);
        set("rescore-scored", data.counts.scored);
        set("rescore-failed", data.counts.failed);
        set("rescore-status", data.status);
        var bar = document.getElementById("rescore-bar");
        if (bar) { bar.value = judged; }
        if (data.status !== "judging") { window.location.reload(); return; }
        window.setTimeout(poll, 2000);
      })
      .catch(function () { window.setTimeout(poll, 5000); });
  }

  window.setTimeout(poll, 2000);
}());
