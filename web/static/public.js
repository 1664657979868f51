// Public pages: a period chooser that applies itself, and satisfaction bars sized from their data.
document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
  select.addEventListener("change", function () { select.form.submit(); });
});
document.querySelectorAll("[data-share]").forEach(function (part) {
  part.style.width = part.dataset.share + "%";
});
