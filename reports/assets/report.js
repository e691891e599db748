(function () {
  "use strict";
  var doc = document;
  doc.documentElement.classList.add("js");

  var checks = Array.prototype.slice.call(doc.querySelectorAll("tbody.check"));
  var chips = Array.prototype.slice.call(doc.querySelectorAll(".chip[data-status]"));
  var allChip = doc.querySelector(".chip[data-all]");
  var query = doc.getElementById("q");
  var proto = doc.getElementById("proto");
  var shown = doc.getElementById("shown");
  var empty = doc.getElementById("empty");
  var box = doc.getElementById("lightbox");
  var boxImg = box.querySelector("img");

  function pressed(el) {
    return el.getAttribute("aria-pressed") === "true";
  }

  // apply shows the checks that match the status chips (none pressed: any status), the
  // protocol and every word of the text filter.
  function apply() {
    var statuses = chips.filter(pressed).map(function (c) { return c.getAttribute("data-status"); });
    var terms = query.value.toLowerCase().split(/\s+/).filter(function (t) { return t !== ""; });
    var p = proto.value;
    var n = 0;
    checks.forEach(function (tb) {
      var text = tb.getAttribute("data-search") || "";
      var ok = (statuses.length === 0 || statuses.indexOf(tb.getAttribute("data-status")) >= 0) &&
        (p === "" || tb.getAttribute("data-protocol") === p) &&
        terms.every(function (t) { return text.indexOf(t) >= 0; });
      tb.hidden = !ok;
      if (ok) { n++; }
    });
    allChip.setAttribute("aria-pressed", statuses.length === 0 ? "true" : "false");
    shown.textContent = n === checks.length ? "" : "showing " + n + " of " + checks.length;
    empty.hidden = n > 0;
  }

  function isOpen(tb) {
    return tb.querySelector("tr.summary").getAttribute("aria-expanded") === "true";
  }

  function setOpen(tb, open) {
    tb.querySelector("tr.summary").setAttribute("aria-expanded", open ? "true" : "false");
    tb.querySelector("tr.details").hidden = !open;
  }

  chips.forEach(function (chip) {
    chip.addEventListener("click", function () {
      chip.setAttribute("aria-pressed", pressed(chip) ? "false" : "true");
      apply();
    });
  });
  allChip.addEventListener("click", function () {
    chips.forEach(function (c) { c.setAttribute("aria-pressed", "false"); });
    apply();
  });
  query.addEventListener("input", apply);
  proto.addEventListener("change", apply);
  doc.getElementById("expand").addEventListener("click", function () {
    checks.forEach(function (tb) { if (!tb.hidden) { setOpen(tb, true); } });
  });
  doc.getElementById("collapse").addEventListener("click", function () {
    checks.forEach(function (tb) { setOpen(tb, false); });
  });

  checks.forEach(function (tb) {
    var row = tb.querySelector("tr.summary");
    row.addEventListener("click", function (e) {
      if (e.target.closest && e.target.closest("a, button, input, select")) { return; }
      setOpen(tb, !isOpen(tb));
    });
    row.addEventListener("keydown", function (e) {
      if (e.key === "Enter" || e.key === " ") {
        e.preventDefault();
        setOpen(tb, !isOpen(tb));
      }
    });
  });

  // Screenshots: a click on a thumbnail shows it full size.
  doc.addEventListener("click", function (e) {
    var shot = e.target.closest ? e.target.closest("button.shot") : null;
    if (!shot || typeof box.showModal !== "function") { return; }
    var img = shot.querySelector("img");
    boxImg.src = img.src;
    boxImg.alt = img.alt;
    box.showModal();
  });
  box.addEventListener("click", function () { box.close(); });

  // "/" focuses the text filter, Escape in it clears it.
  doc.addEventListener("keydown", function (e) {
    var t = e.target;
    if (e.key === "/" && !(t.closest && t.closest("input, select, textarea, dialog"))) {
      e.preventDefault();
      query.focus();
    }
  });
  query.addEventListener("keydown", function (e) {
    if (e.key === "Escape" && query.value !== "") {
      query.value = "";
      apply();
    }
  });

  // index.html#<check id> opens and shows that check.
  if (location.hash.length > 1) {
    var want = "";
    try { want = decodeURIComponent(location.hash.slice(1)); } catch (err) { want = ""; }
    checks.forEach(function (tb) {
      if (tb.getAttribute("data-id") === want) {
        setOpen(tb, true);
        tb.scrollIntoView();
      }
    });
  }

  apply();
}());
