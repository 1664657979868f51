// Place picker of the review page: type part of a desa/kelurahan or kecamatan name (spaces, accents and a
// wrong letter or two do not matter: the server searches), pick with the mouse or arrows + Enter.
// The chosen place's id goes into the hidden input the form submits; the candidate chips fill it too.
(function () {
  "use strict";

  function picker(box) {
    var hidden = box.querySelector("input[type=hidden]");
    var input = box.querySelector("input[role=combobox]");
    var list = box.querySelector("[role=listbox]");
    var status = box.querySelector("#place-status");
    var options = [];
    var active = -1;
    var timer = null;
    var asked = 0;
    var chosenLabel = input.value;

    function say(text) { if (status) status.textContent = text; }
    function close() {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }
    function choose(id, label) {
      hidden.value = id;
      input.value = label;
      // a place picked here wins over a radio of a server-side search shown earlier
      document.querySelectorAll("input[name=place_choice]").forEach(function (radio) { radio.checked = false; });
      chosenLabel = label;
      close();
      say(id ? "Lokasi dipilih: " + label : "Lokasi dikosongkan.");
      document.querySelectorAll("[data-fill=place]").forEach(function (chip) {
        var on = chip.dataset.value === String(id);
        chip.classList.toggle("on", on);
        chip.setAttribute("aria-pressed", on ? "true" : "false");
      });
      hidden.dispatchEvent(new Event("change", { bubbles: true }));
    }
    function highlight(i) {
      var items = list.querySelectorAll("[role=option]");
      if (!items.length) return;
      active = (i + items.length) % items.length;
      items.forEach(function (item, n) { item.setAttribute("aria-selected", n === active ? "true" : "false"); });
      input.setAttribute("aria-activedescendant", items[active].id);
      items[active].scrollIntoView({ block: "nearest" });
    }
    function render(found) {
      options = found;
      list.textContent = "";
      found.forEach(function (place, n) {
        var item = document.createElement("li");
        item.id = "place-option-" + n;
        item.setAttribute("role", "option");
        item.dataset.id = place.id;
        item.textContent = place.label;
        item.addEventListener("mousedown", function (e) { e.preventDefault(); choose(place.id, place.label); });
        list.appendChild(item);
      });
      list.hidden = found.length === 0;
      input.setAttribute("aria-expanded", found.length ? "true" : "false");
      say(found.length ? found.length + " tempat cocok." : "Tidak ada tempat yang cocok.");
      if (found.length) highlight(0);
    }
    function ask() {
      var query = input.value.trim();
      if (query.length < 2) { render([]); say(""); return; }
      var ticket = ++asked;
      fetch(box.dataset.search + "?q=" + encodeURIComponent(query), { credentials: "same-origin", headers: { "Accept": "application/json" } })
        .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
        .then(function (found) { if (ticket === asked) render(found); })
        .catch(function () { say("Pencarian tempat gagal; coba lagi."); });
    }

    box.querySelectorAll("[data-place-find]").forEach(function (button) { button.hidden = true; });
    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(ask, 120);
    });
    input.addEventListener("keydown", function (e) {
      if (e.key === "ArrowDown" || e.key === "ArrowUp") {
        if (list.hidden) { ask(); return; }
        e.preventDefault();
        highlight(active + (e.key === "ArrowDown" ? 1 : -1));
      } else if (e.key === "Enter" && !e.ctrlKey && !e.metaKey) {
        if (!list.hidden && active >= 0) {
          e.preventDefault();
          choose(options[active].id, options[active].label);
        } else if (input.value !== chosenLabel) {
          e.preventDefault();  // Enter in a half-typed search must not submit the draft
        }
      } else if (e.key === "Escape") {
        close();
        input.value = chosenLabel;
      }
    });
    input.addEventListener("blur", function () {
      if (!input.value.trim()) { choose("", ""); return; }
      close();
      input.value = chosenLabel;  // only a picked place counts
    });
    document.querySelectorAll("[data-fill=place]").forEach(function (chip) {
      var on = chip.dataset.value === hidden.value;
      chip.classList.toggle("on", on);
      chip.setAttribute("aria-pressed", on ? "true" : "false");
      chip.addEventListener("click", function () { choose(chip.dataset.value, chip.dataset.label); });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-place-picker]").forEach(picker);
    // suggestion chips are buttons that only work here; without JavaScript radio lists stand in for them
    document.querySelectorAll("[data-needs-js]").forEach(function (el) { el.hidden = false; });
  });
})();
