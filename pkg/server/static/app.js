// Recap: the little JavaScript the pages use. Everything works without
// it except live progress, the drop zone, copying and the player jumps.
"use strict";

(function () {
  function $(sel, root) { return (root || document).querySelector(sel); }

  // Progress page: follow the job over server-sent events. When the job
  // ends, the page leaves for the recap, or reloads to show how it ended
  // (the server renders the failed stage, the error and what to do).
  var job = $("#job");
  if (job && job.dataset.events && !["done", "failed", "cancelled"].includes(job.dataset.status)) {
    var es = new EventSource(job.dataset.events);
    var show = function (ev) {
      var st = JSON.parse(ev.data);
      job.dataset.status = st.status;
      if (st.status === "done") {
        es.close();
        location.replace("/recaps/" + encodeURIComponent(st.recap_id));
        return;
      }
      if (st.status === "failed" || st.status === "cancelled") {
        es.close();
        location.replace(location.pathname);
        return;
      }
      $("#progress").value = st.percent;
      $("#progress").textContent = st.percent + "%";
      if (st.message) { $("#message").textContent = st.message; }
      var seen = false;
      job.querySelectorAll(".stages li").forEach(function (li) {
        var note = li.querySelector(".sr-only");
        if (note) { note.remove(); }
        if (li.dataset.stage === st.stage) { li.className = "current"; seen = true; }
        else { li.className = seen ? "todo" : "done"; }
      });
      if (!seen) {
        job.querySelectorAll(".stages li").forEach(function (li, i) { li.className = i === 0 ? "current" : "todo"; });
      }
    };
    ["progress", "done", "failed", "cancelled"].forEach(function (name) { es.addEventListener(name, show); });
  }

  // Home page: drop a file on the drop zone.
  var drop = $("#drop"), file = $("#file");
  if (drop && file) {
    ["dragenter", "dragover"].forEach(function (t) {
      drop.addEventListener(t, function (e) { e.preventDefault(); drop.classList.add("over"); });
    });
    ["dragleave", "drop"].forEach(function (t) {
      drop.addEventListener(t, function () { drop.classList.remove("over"); });
    });
    drop.addEventListener("drop", function (e) {
      e.preventDefault();
      if (e.dataTransfer && e.dataTransfer.files.length) { file.files = e.dataTransfer.files; }
    });
  }

  // Recap page: timestamps jump the embedded player, or open the
  // transcript at that line.
  var player = $("#player");
  var transcript = $("#transcript");
  document.addEventListener("click", function (e) {
    var a = e.target.closest && e.target.closest("a.ts");
    if (!a) { return; }
    if (player) {
      e.preventDefault();
      player.src = player.dataset.base + "?start=" + a.dataset.t + "&autoplay=1";
      player.scrollIntoView({ behavior: "smooth", block: "center" });
      return;
    }
    if (transcript && a.getAttribute("href").indexOf("#t=") === 0) { transcript.open = true; }
  });
  if (transcript && location.hash.indexOf("#t=") === 0) { transcript.open = true; }

  // Recap page: copy the Markdown rendering.
  var copy = $("#copy-md");
  if (copy) {
    copy.hidden = false;
    copy.addEventListener("click", function () {
      var status = $("#copy-status");
      fetch(copy.dataset.src, { credentials: "same-origin" })
        .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.text(); })
        .then(function (md) {
          if (navigator.clipboard && window.isSecureContext) { return navigator.clipboard.writeText(md); }
          var ta = document.createElement("textarea");
          ta.value = md; document.body.appendChild(ta); ta.select();
          document.execCommand("copy"); ta.remove();
        })
        .then(function () { status.textContent = "Copied as Markdown."; })
        .catch(function () { status.textContent = "Could not copy; use Export Markdown instead."; });
    });
  }
})();
