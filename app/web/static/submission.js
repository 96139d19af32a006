// Follows a submission's status live (Server-Sent Events) and shows the result when final;
// while it waits or runs, the waiting facts (position, elapsed time, estimate) are refreshed
// on every change of status and every REFRESH_MS.
(function () {
  "use strict";
  var root = document.getElementById("submission");
  if (!root || !window.EventSource) { return; }
  var label = document.getElementById("submission-status");
  var FINAL = { scored: true, failed: true, cancelled: true };
  // The label is in the page's language; the code and the words for each code are attributes.
  var labels = JSON.parse(label.getAttribute("data-labels") || "{}");
  if (FINAL[label.getAttribute("data-status")]) { return; }
  var source = new EventSource(root.getAttribute("data-events"));
  var REFRESH_MS = 5000;
  var timer = window.setInterval(function () {
    if (document.querySelector("#submission-result details[open]")) { return; }  // a confirmation being read
    showResult();
  }, REFRESH_MS);

  function showResult() {
    fetch(root.getAttribute("data-result"), { credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        if (html === null) { return; }
        var holder = document.createElement("div");
        holder.innerHTML = html;
        var fresh = holder.querySelector("#submission-result");
        var old = document.getElementById("submission-result");
        if (fresh && old) { old.replaceWith(fresh); }
      });
  }

  source.addEventListener("status", function (event) {
    var data = JSON.parse(event.data);
    label.textContent = labels[data.status] || data.status;
    label.setAttribute("data-status", data.status);
    label.className = "status status-" + data.status;
    if (FINAL[data.status]) {
      source.close();
      window.clearInterval(timer);
    }
    showResult();
  });
}());
