// Keeps a page's questions and answers live (Server-Sent Events): on each `questions` event
// the page is fetched again and every list marked data-live-questions is replaced by its
// fresh copy. On the organisers' page (data-keep-typing) a list with an answer being typed,
// or a confirmation open, is left alone: a notice says there is something new instead.
(function () {
  "use strict";
  var root = document.getElementById("questions-live");
  if (!root || !window.EventSource || !window.fetch) { return; }
  var keepTyping = root.hasAttribute("data-keep-typing");
  var stale = document.getElementById("questions-stale");
  var source = new EventSource(root.getAttribute("data-events"));

  function busy(list) {
    if (!keepTyping) { return false; }
    if (list.querySelector("details[open]")) { return true; }
    var fields = list.querySelectorAll("textarea");
    for (var i = 0; i < fields.length; i += 1) {
      if (fields[i].value !== fields[i].defaultValue || fields[i] === document.activeElement) {
        return true;
      }
    }
    return false;
  }

  function refresh() {
    fetch(window.location.pathname + window.location.search, { credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        if (html === null) { return; }
        var fresh = new DOMParser().parseFromString(html, "text/html");
        var lists = document.querySelectorAll("[data-live-questions]");
        for (var i = 0; i < lists.length; i += 1) {
          var old = lists[i];
          var copy = fresh.getElementById(old.id);
          if (!copy) { continue; }
          if (busy(old)) {
            if (stale) { stale.hidden = false; }
            continue;
          }
          old.replaceWith(document.importNode(copy, true));
        }
      })
      .catch(function () { /* the next event, or a reload, brings the page up to date */ });
  }

  source.addEventListener("questions", refresh);
}());
