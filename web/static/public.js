// Behaviour the pages ask for with data attributes, since the Content-Security-Policy allows no inline script
// or style: a chooser that applies itself, a select that opens the page it names, a print button, and sizes
// (satisfaction bars, chart boxes) set through the CSSOM.
document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
  select.addEventListener("change", function () { select.form.submit(); });
});
document.querySelectorAll("select[data-navigate]").forEach(function (select) {
  select.addEventListener("change", function () { window.location.href = select.value; });
});
document.querySelectorAll("[data-print]").forEach(function (button) {
  button.addEventListener("click", function () { window.print(); });
});
document.querySelectorAll("[data-share]").forEach(function (part) {
  part.style.width = part.dataset.share + "%";
});
document.querySelectorAll("[data-height]").forEach(function (box) {
  box.style.height = box.dataset.height + "px";
});
// On a phone the menu scrolls sideways: bring the current page's entry into view.
document.querySelectorAll("[data-nav]").forEach(function (nav) {
  var current = nav.querySelector("[aria-current=page]");
  if (current && nav.scrollWidth > nav.clientWidth) {
    nav.scrollLeft = current.offsetLeft - (nav.clientWidth - current.offsetWidth) / 2;
  }
});
