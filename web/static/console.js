// Operator console: live inbox (Server-Sent Events) and the review page (audio <-> transcript).
(function () {
  "use strict";

  // -- live inbox ----------------------------------------------------------------------------
  function liveInbox(table) {
    var status = document.getElementById("live-status");
    var body = document.getElementById("inbox-rows");
    var pending = null;
    function setStatus(state, text) { if (status) { status.dataset.state = state; status.textContent = text; } }
    function refresh() {
      if (pending) return;
      pending = fetch(table.dataset.rows, { credentials: "same-origin", headers: { "Accept": "text/html" } })
        .then(function (r) { if (!r.ok) throw new Error(r.status); return r.text(); })
        .then(function (html) { body.innerHTML = html; table.dataset.updated = String(Date.now()); })
        .catch(function () { setStatus("error", "Gagal memuat draf terbaru."); })
        .finally(function () { pending = null; });
    }
    var source = new EventSource(table.dataset.events);
    source.addEventListener("hello", function () { setStatus("live", "Langsung: draf baru muncul otomatis."); });
    source.addEventListener("inbox", function () { refresh(); });
    source.onerror = function () { setStatus("reconnecting", "Sambungan terputus, menyambung ulang…"); };
    source.onopen = function () { setStatus("live", "Langsung: draf baru muncul otomatis."); refresh(); };
    window.addEventListener("beforeunload", function () { source.close(); });
  }

  // -- review page -----------------------------------------------------------------------------
  function review(player) {
    var box = document.getElementById("words");
    var words = box ? Array.prototype.slice.call(box.querySelectorAll(".w")) : [];
    var starts = words.map(function (w) { return parseFloat(w.dataset.start) || 0; });
    var current = -1;

    if (box) {
      box.addEventListener("click", function (event) {
        var w = event.target.closest(".w");
        if (!w) return;
        player.currentTime = parseFloat(w.dataset.start) || 0;
        var playing = player.play();
        if (playing && playing.catch) playing.catch(function () {});
      });
    }
    function indexAt(t) {  // last word starting at or before t (binary search)
      var lo = 0, hi = starts.length - 1, found = -1;
      while (lo <= hi) { var mid = (lo + hi) >> 1; if (starts[mid] <= t) { found = mid; lo = mid + 1; } else { hi = mid - 1; } }
      return found;
    }
    player.addEventListener("timeupdate", function () {
      var i = indexAt(player.currentTime);
      if (i === current) return;
      if (current >= 0) words[current].classList.remove("playing");
      current = i;
      if (i >= 0) {
        words[i].classList.add("playing");
        words[i].scrollIntoView({ block: "nearest" });
      }
    });

    var form = document.getElementById("draft-form");
    var confirmButton = document.getElementById("confirm");
    function typing(el) { return el && (el.tagName === "INPUT" || el.tagName === "TEXTAREA" || el.tagName === "SELECT"); }
    document.addEventListener("keydown", function (e) {
      var key = e.key.toLowerCase();
      if ((e.ctrlKey || e.metaKey) && key === "enter" && form && confirmButton) {
        e.preventDefault();
        form.requestSubmit(confirmButton);
      } else if (e.altKey && key === "k" || (!typing(document.activeElement) && key === "k" && !e.ctrlKey && !e.metaKey)) {
        e.preventDefault();
        if (player.paused) { var p = player.play(); if (p && p.catch) p.catch(function () {}); } else { player.pause(); }
      } else if (e.altKey && key === "j" || (!typing(document.activeElement) && key === "j" && !e.ctrlKey && !e.metaKey)) {
        e.preventDefault();
        player.currentTime = Math.max(0, player.currentTime - 5);
      }
    });
  }

  // The draft's fields: suggestion chips fill their select (also on typed complaints, which have no player), and
  // "Sesuai topik" names the OPD of the topic now chosen: the server sends an OPD nobody chose to that one.
  function draftFields() {
    document.querySelectorAll("[data-fill]:not([data-fill=place])").forEach(function (chip) {
      chip.addEventListener("click", function () {
        var select = document.getElementById(chip.dataset.fill);
        if (select) { select.value = chip.dataset.value; select.dispatchEvent(new Event("change")); }
      });
    });
    var topic = document.getElementById("topic"), agency = document.getElementById("agency");
    var follows = agency && agency.querySelector("option[data-follows]");
    if (!topic || !follows) return;
    topic.addEventListener("change", function () {
      var picked = topic.options[topic.selectedIndex];
      var id = picked ? picked.dataset.agency : "";
      var target = id ? agency.querySelector('option[value="' + id + '"]') : null;
      follows.textContent = follows.dataset.follows + (target ? ": " + target.textContent : "");
    });
  }

  // Enter in a field of the draft saves it: a browser would press the first button, "confirm", instead.
  function enterSaves(form) {
    var save = document.getElementById("save");
    form.addEventListener("keydown", function (e) {
      var el = e.target;
      if (e.key !== "Enter" || e.ctrlKey || e.metaKey || e.defaultPrevented || !save) return;
      if (el.tagName !== "INPUT" || el.type === "checkbox" || el.type === "submit") return;
      e.preventDefault();
      form.requestSubmit(save);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var draftForm = document.getElementById("draft-form");
    if (draftForm) { enterSaves(draftForm); draftFields(); }
    var table = document.querySelector("table.inbox[data-events]");
    if (table && window.EventSource) liveInbox(table);
    var player = document.getElementById("player");
    if (player) review(player);
    else if (document.getElementById("draft-form")) {
      document.addEventListener("keydown", function (e) {
        if ((e.ctrlKey || e.metaKey) && e.key === "Enter") { e.preventDefault(); document.getElementById("draft-form").requestSubmit(document.getElementById("confirm")); }
      });
    }
  });
})();
