// New announcements appear live at the top of a challenge's, an event's or a team's page, and
// deleted ones disappear (Server-Sent Events from /announcements/events). The stream sends a
// reader only what they may read; the title is set as text, never as markup.
(function () {
  "use strict";
  var box = document.getElementById("announcements-live");
  if (!box || !window.EventSource || box.getAttribute("data-started")) { return; }
  box.setAttribute("data-started", "yes");
  var source = new EventSource(box.getAttribute("data-events"));

  source.addEventListener("announcement", function (event) {
    var data = JSON.parse(event.data);
    var id = "announcement-live-" + data.id;
    var item = document.getElementById(id);
    if (!item) {
      item = document.createElement("p");
      item.id = id;
      item.className = "notice announcement-banner";
      box.insertBefore(item, box.firstChild);
    }
    item.textContent = "";
    var label = document.createElement("strong");
    label.textContent = box.getAttribute("data-new") + " ";
    var link = document.createElement("a");
    link.href = data.url;
    link.textContent = data.title;
    item.appendChild(label);
    item.appendChild(link);
  });

  source.addEventListener("announcement_removed", function (event) {
    var data = JSON.parse(event.data);
    ["announcement-live-" + data.id, "announcement-" + data.id].forEach(function (id) {
      var gone = document.getElementById(id);
      if (gone) { gone.remove(); }
    });
  });
}());
