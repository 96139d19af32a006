// Drag and drop plus an upload progress bar for the submission form.
// Without this script the form still works as a plain multipart POST.
(function () {
  "use strict";
  var form = document.getElementById("submit-form");
  if (!form) { return; }
  var input = document.getElementById("file");
  var zone = document.getElementById("dropzone");
  var bar = document.getElementById("upload-progress");
  var status = document.getElementById("upload-status");
  var maxBytes = parseInt(form.getAttribute("data-max-bytes"), 10);
  var dropped = null;

  function say(text) { status.textContent = text; }

  ["dragenter", "dragover"].forEach(function (name) {
    zone.addEventListener(name, function (event) {
      event.preventDefault();
      zone.classList.add("dragging");
    });
  });
  ["dragleave", "drop"].forEach(function (name) {
    zone.addEventListener(name, function (event) {
      event.preventDefault();
      zone.classList.remove("dragging");
    });
  });
  zone.addEventListener("drop", function (event) {
    var files = event.dataTransfer && event.dataTransfer.files;
    if (!files || files.length === 0) { return; }
    dropped = files[0];
    input.required = false;
    say(dropped.name);
  });
  input.addEventListener("change", function () { dropped = null; });

  form.addEventListener("submit", function (event) {
    var file = dropped || (input.files && input.files[0]);
    if (!file) { return; }
    event.preventDefault();
    if (maxBytes && file.size > maxBytes) {
      say(form.getAttribute("data-too-large"));
      return;
    }
    // FormData keeps the fields in document order, so the CSRF token stays first.
    var data = new FormData(form);
    data.set("file", file, file.name);
    var xhr = new XMLHttpRequest();
    xhr.open("POST", form.action);
    xhr.setRequestHeader("Accept", "application/json");
    bar.hidden = false;
    bar.value = 0;
    xhr.upload.addEventListener("progress", function (e) {
      if (e.lengthComputable) {
        bar.value = Math.round((e.loaded / e.total) * 100);
        say(bar.value + "%");
      }
    });
    xhr.addEventListener("load", function () {
      var body = null;
      try { body = JSON.parse(xhr.responseText); } catch (err) { body = null; }
      if (xhr.status === 201 && body && body.redirect) {
        window.location.assign(body.redirect);
        return;
      }
      bar.hidden = true;
      say(body && body.error ? body.error.message : "Upload failed (" + xhr.status + ").");
    });
    xhr.addEventListener("error", function () {
      bar.hidden = true;
      say("The connection was lost during the upload; try again.");
    });
    form.querySelector("button[type=submit]").disabled = true;
    xhr.addEventListener("loadend", function () {
      form.querySelector("button[type=submit]").disabled = false;
    });
    xhr.send(data);
  });
}());
