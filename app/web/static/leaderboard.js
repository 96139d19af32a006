// Live leaderboard: on each "board" event, re-fetch the JSON and re-render the table body.
(function () {
  "use strict";
  var table = document.getElementById("board");
  if (!table || !window.EventSource || !window.fetch) { return; }
  var status = document.getElementById("board-status");
  var phaseId = parseInt(table.getAttribute("data-phase-id"), 10);
  var split = table.getAttribute("data-split");
  var mine = parseInt(table.getAttribute("data-mine") || "0", 10);
  var lang = table.getAttribute("data-lang");

  function cell(text, className) {
    var td = document.createElement("td");
    td.textContent = text;
    if (className) { td.className = className; }
    return td;
  }

  function when(iso) {
    var d = new Date(iso);
    return d.toISOString().slice(0, 16).replace("T", " ") + " UTC";
  }

  function render(board) {
    var body = document.createElement("tbody");
    board.rows.forEach(function (row) {
      var tr = document.createElement("tr");
      if (row.team.id === mine) { tr.className = "mine"; tr.setAttribute("aria-current", "true"); }
      tr.appendChild(cell(String(row.rank), "rank"));
      tr.appendChild(cell(row.team.name));
      board.columns.forEach(function (c) {
        var v = row.scores[c.key];
        tr.appendChild(cell(v === null || v === undefined ? "—" : Number(v).toFixed(c.precision), "score"));
      });
      var td = document.createElement("td");
      var time = document.createElement("time");
      time.setAttribute("datetime", row.submitted_at);
      time.textContent = when(row.submitted_at);
      td.appendChild(time);
      tr.appendChild(td);
      body.appendChild(tr);
    });
    if (board.rows.length > 0) {
      table.replaceChild(body, table.tBodies[0]);
    }
    status.textContent = lang === "it" ? "Classifica aggiornata." : "Leaderboard updated.";
  }

  function refresh() {
    fetch(table.getAttribute("data-json"), { credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (board) { if (board) { render(board); } });
  }

  var source = new EventSource(table.getAttribute("data-events"));
  source.addEventListener("board", function (event) {
    var data = JSON.parse(event.data);
    // phase_id null: the organisers changed the challenge, so every board may have changed.
    var phaseMatches = data.phase_id === null || data.phase_id === phaseId;
    var splitMatches = !data.split || data.split === split;
    if (phaseMatches && splitMatches) { refresh(); }
  });
}());
