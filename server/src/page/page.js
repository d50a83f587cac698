"use strict";
(function () {
  var $ = function (id) { return document.getElementById(id); };
  var files = [];
  var last = { json: null, md: null };
  var drop = $("drop"), picker = $("files"), go = $("go"), status = $("status");

  function say(msg, bad) {
    status.textContent = msg;
    status.className = bad ? "error" : "";
  }
  function setFiles(list) {
    files = Array.prototype.slice.call(list);
    var ul = $("chosen");
    ul.textContent = "";
    files.forEach(function (f) {
      var li = document.createElement("li");
      li.textContent = (f.webkitRelativePath || f.name) + " (" + f.size + " bytes)";
      ul.appendChild(li);
    });
    go.disabled = files.length === 0;
  }
  function form() {
    var fd = new FormData();
    files.forEach(function (f) { fd.append("file", f, f.webkitRelativePath || f.name); });
    return fd;
  }
  // XMLHttpRequest, not fetch: only it reports upload progress.
  function post(url, responseType, onDone) {
    var xhr = new XMLHttpRequest();
    xhr.open("POST", url);
    xhr.responseType = responseType;
    var token = $("token").value.trim();
    if (token) { xhr.setRequestHeader("Authorization", "Bearer " + token); }
    var bar = $("progress");
    bar.hidden = false; bar.value = 0;
    xhr.upload.onprogress = function (e) {
      if (e.lengthComputable) { bar.value = Math.round(100 * e.loaded / e.total); }
    };
    xhr.upload.onload = function () { bar.value = 100; say("Uploaded; analysing..."); };
    xhr.onerror = function () { say("The server could not be reached.", true); };
    xhr.onload = function () {
      if (xhr.status === 200) { onDone(xhr.response); return; }
      var why = { 401: "The token was not accepted.", 413: "The upload is too large.",
        408: "The upload took too long.", 503: "The server is busy; try again shortly." }[xhr.status];
      if (responseType === "blob") { say(why || ("Error " + xhr.status), true); return; }
      say((why || ("Error " + xhr.status)) + " " + (xhr.response || ""), true);
    };
    xhr.send(form());
  }
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (text !== undefined) { e.textContent = text; }
    return e;
  }
  // Every string from the report goes in through textContent: never as markup.
  function cards(report) {
    var box = $("cards");
    box.textContent = "";
    var ds = report.diagnoses || [];
    if (ds.length === 0) {
      var ok = el("div", "card ok");
      ok.appendChild(el("h3", "", "No diagnosis"));
      ok.appendChild(el("p", "", (report.checked || []).length + " checks found nothing wrong."));
      box.appendChild(ok);
    }
    ds.forEach(function (d) {
      var c = el("div", "card");
      c.setAttribute("data-code", d.code);
      var h = el("h3");
      h.appendChild(el("span", "code", d.code));
      h.appendChild(document.createTextNode(" " + d.title));
      c.appendChild(h);
      c.appendChild(el("p", "", "Confidence: " + d.confidence));
      if (d.remediation && d.remediation.summary) { c.appendChild(el("p", "", "Fix: " + d.remediation.summary)); }
      box.appendChild(c);
    });
    (report.inputs || []).forEach(function (i) {
      if (i.error) { box.appendChild(el("p", "card", "Input not fully read: " + i.path + ": " + (i.error.message || JSON.stringify(i.error)))); }
    });
  }
  function save(data, name, type) {
    var a = document.createElement("a");
    a.href = URL.createObjectURL(data instanceof Blob ? data : new Blob([data], { type: type }));
    a.download = name;
    // Out of the Tab order and gone at once: left in the page it was an
    // empty, off-screen stop for Tab. The download keeps the URL alive
    // only once it started, hence the late revoke.
    a.hidden = true;
    a.tabIndex = -1;
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(function () { URL.revokeObjectURL(a.href); }, 1000);
  }

  drop.addEventListener("dragover", function (e) { e.preventDefault(); drop.classList.add("over"); });
  drop.addEventListener("dragleave", function () { drop.classList.remove("over"); });
  drop.addEventListener("drop", function (e) {
    e.preventDefault(); drop.classList.remove("over");
    setFiles(e.dataTransfer.files);
  });
  drop.addEventListener("keydown", function (e) {
    if (e.key === "Enter" || e.key === " ") { e.preventDefault(); picker.click(); }
  });
  picker.addEventListener("change", function () { setFiles(picker.files); });
  go.addEventListener("click", function () {
    say("Uploading...");
    post("/api/v1/analyze", "text", function (text) {
      last.json = text;
      var report = JSON.parse(text);
      cards(report);
      $("result").hidden = false;
      say("Done: " + (report.diagnoses || []).length + " diagnoses.");
      post("/api/v1/analyze?format=markdown", "text", function (md) { last.md = md; $("md").textContent = md; });
    });
  });
  $("dl-json").addEventListener("click", function () { if (last.json) { save(last.json, "batchdiag-report.json", "application/json"); } });
  $("dl-md").addEventListener("click", function () { if (last.md) { save(last.md, "batchdiag-report.md", "text/markdown"); } });
  $("dl-clean").addEventListener("click", function () {
    if (files.length === 0) { return; }
    var keep = files;
    // One copy per file: the copier takes one input at a time.
    keep.forEach(function (f) {
      files = [f];
      post("/api/v1/redact", "blob", function (blob) { save(blob, "sanitized-" + f.name, "application/octet-stream"); say("Sanitized copy saved."); });
    });
    files = keep;
  });
})();
