// Recap: the order page follows its payment. It asks the server for the
// order every few seconds (same origin, so the page's CSP allows it),
// shows the status the server words, hides the invoice once it can no
// longer be paid, counts down to the invoice's expiry, and copies the
// invoice. Without JavaScript the page is the same, and a refresh shows
// the current status.
(function () {
  "use strict";
  function $(sel) { return document.querySelector(sel); }
  var order = $("#order");
  if (!order) { return; }
  var pollEvery = 2000;

  var copy = $("#copy-invoice");
  if (copy && navigator.clipboard) {
    copy.hidden = false;
    copy.addEventListener("click", function () {
      var text = $(copy.getAttribute("data-copy")).value;
      navigator.clipboard.writeText(text)
        .then(function () { $("#copy-status").textContent = "Copied."; })
        .catch(function () { $("#copy-status").textContent = "Could not copy; select the invoice below instead."; });
    });
  }

  var countdown = $("#countdown");
  var timer = null;
  function tick() {
    var left = Math.floor((Date.parse(countdown.getAttribute("data-expires")) - Date.now()) / 1000);
    if (left < 0) { left = 0; }
    var m = Math.floor(left / 60), s = left % 60;
    $("#countdown-left").textContent = m + ":" + (s < 10 ? "0" : "") + s;
    if (left === 0 && timer) { clearInterval(timer); timer = null; }
  }
  if (countdown) {
    countdown.hidden = false;
    tick();
    timer = setInterval(tick, 1000);
  }

  function show(o) {
    order.setAttribute("data-status", o.status);
    $("#order-message").textContent = o.message;
    var status = $("#order-status");
    status.className = "status " + o.tone;
    var hint = $("#order-hint");
    hint.textContent = o.hint || "";
    hint.hidden = !o.hint;
    var ln = $("#lightning");
    if (ln) { ln.hidden = !o.payable; }
    var card = $("#card");
    if (card) { card.hidden = !o.payable; }
    $("#order-next").hidden = !o.final;
    if (!o.payable && timer) { clearInterval(timer); timer = null; }
  }

  var failures = 0;
  function poll() {
    fetch(order.getAttribute("data-poll"), { headers: { "Accept": "application/json" }, cache: "no-store" })
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
      .then(function (o) {
        failures = 0;
        show(o);
        // An expired or underpaid order may still turn (a late payment),
        // but not soon: it is asked about less often.
        var soon = o.status === "open" || o.status === "processing";
        if (!o.final) { setTimeout(poll, soon ? pollEvery : 30000); }
      })
      .catch(function () {
        failures++;
        setTimeout(poll, Math.min(pollEvery * Math.pow(2, failures), 60000));
      });
  }
  if (order.getAttribute("data-final") !== "true") { setTimeout(poll, pollEvery); }
})();
