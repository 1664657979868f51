// "Pengaduan baru": show the platform choice only for social media and the free text only for "lainnya".
// Without this script both stay visible (and the server checks them anyway).
(function () {
  "use strict";
  var form = document.getElementById("desk-form");
  if (!form) return;
  var parts = form.querySelectorAll("[data-show-for]");

  function update() {
    var checked = form.querySelector("input[name=channel]:checked");
    var channel = checked ? checked.value : "";
    parts.forEach(function (part) { part.hidden = part.getAttribute("data-show-for") !== channel; });
  }

  form.addEventListener("change", function (event) {
    if (event.target.name === "channel") update();
  });
  update();
})();
