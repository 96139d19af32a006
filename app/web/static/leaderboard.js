// Live leaderboard: on each "board" event, re-fetch the JSON and re-render the table body.
// The JSON is the shared, cached board; what the page adds per reader (the reader's own team)
// or from other tables (entries, last submission, the move from the public rank) is kept from
// the page as the server rendered it, by team, so the live refresh costs no extra request.
(function () {
  "use strict";
  var table = document.getElementById("board");
  if (!table || !window.EventSource || !window.fetch) { return; }
  var status = document.getElementById("board-status");
  var phaseId = parseInt(table.getAttribute("data-phase-id"), 10);
  var split = table.getAttribute("data-split");
  var mine = parseInt(table.getAttribute("data-mine") || "0", 10);
  var lang = table.getAttribute("data-lang");
  var teamUrl = table.getAttribute("data-team-url");
  var phaseName = table.getAttribute("data-phase");

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

  function words(name, values) {
    var text = table.getAttribute("data-" + name) || "";
    Object.keys(values).forEach(function (key) { text = text.split("%(" + key + ")s").join(String(values[key])); });
    return text;
  }

  // What the server wrote per team that the JSON does not carry: entries, last submission,
  // and the public rank the move is measured from.
  function kept() {
    var byTeam = {};
    Array.prototype.forEach.call(table.tBodies[0].rows, function (tr) {
      var id = tr.getAttribute("data-team");
      if (!id) { return; }
      byTeam[id] = {
        entries: tr.querySelector("td.entries"),
        last: tr.querySelector("td.last"),
        publicRank: tr.getAttribute("data-public-rank")
      };
    });
    return byTeam;
  }

  function moveCell(publicRank, rank) {
    var td = document.createElement("td");
    td.className = "move";
    var arrow = document.createElement("span");
    arrow.setAttribute("aria-hidden", "true");
    var said = document.createElement("span");
    said.className = "visually-hidden";
    var from = parseInt(publicRank || "0", 10);
    if (!from) {
      arrow.textContent = "•"; said.textContent = words("move-new", {});
    } else if (from > rank) {
      arrow.textContent = "▲" + (from - rank); said.textContent = words("move-up", { by: from - rank, "public": from });
    } else if (from < rank) {
      arrow.textContent = "▼" + (rank - from); said.textContent = words("move-down", { by: rank - from, "public": from });
    } else {
      arrow.textContent = "="; said.textContent = words("move-same", {});
    }
    td.appendChild(arrow);
    td.appendChild(document.createTextNode(" "));
    td.appendChild(said);
    return td;
  }

  function render(board) {
    var before = kept();
    var body = document.createElement("tbody");
    board.rows.forEach(function (row) {
      var tr = document.createElement("tr");
      var old = before[String(row.team.id)];
      tr.setAttribute("data-team", String(row.team.id));
      if (row.team.id === mine) { tr.className = "mine"; tr.setAttribute("aria-current", "true"); }
      tr.appendChild(cell(String(row.rank), "rank"));
      var name = document.createElement("td");
      name.className = "team";
      var link = document.createElement("a");
      link.href = teamUrl + row.team.id + "?phase=" + encodeURIComponent(phaseName);
      link.title = words("history", { team: row.team.name });
      link.textContent = row.team.name;
      name.appendChild(link);
      if (row.team.id === mine) {
        var you = document.createElement("span");
        you.className = "you";
        you.textContent = words("you", {});
        name.appendChild(document.createTextNode(" "));
        name.appendChild(you);
      }
      tr.appendChild(name);
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
      tr.appendChild(old && old.entries ? old.entries.cloneNode(true) : cell("—", "entries"));
      tr.appendChild(old && old.last ? old.last.cloneNode(true) : cell("—", "last"));
      if (split === "private") {
        var publicRank = old ? old.publicRank : null;
        if (publicRank !== null) { tr.setAttribute("data-public-rank", publicRank); }
        tr.appendChild(moveCell(publicRank, row.rank));
      }
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

// A team's score history: when its public board moves, the page is fetched again and its
// history (chart, entries, last submission) swapped in place. Only readers of this page pay.
(function () {
  "use strict";
  var box = document.getElementById("team-history");
  if (!box || !window.EventSource || !window.fetch || !window.DOMParser) { return; }
  var status = document.getElementById("board-status");
  var phaseId = parseInt(box.getAttribute("data-phase-id"), 10);

  function refresh() {
    fetch(window.location.href, { credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        if (!html) { return; }
        var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("team-history");
        if (!fresh) { return; }
        box.innerHTML = fresh.innerHTML;
        status.textContent = box.getAttribute("data-updated");
      });
  }

  var source = new EventSource(box.getAttribute("data-events"));
  source.addEventListener("board", function (event) {
    var data = JSON.parse(event.data);
    var phaseMatches = data.phase_id === null || data.phase_id === phaseId;
    if (phaseMatches && (!data.split || data.split === "public")) { refresh(); }
  });
}());
