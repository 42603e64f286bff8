// Every page: focus the error summary and say when a table scrolls sideways.
// The pages work without this script: the summary also has autofocus, and tables show shadows.
(function () {
  "use strict";
  var summary = document.querySelector("[data-error-summary]");
  if (summary && (document.activeElement === document.body || !document.activeElement)) {
    summary.focus();
  }

  var wraps = document.querySelectorAll(".table-scroll-wrap");
  if (!wraps.length) {
    return;
  }
  function mark() {
    wraps.forEach(function (wrap) {
      var region = wrap.querySelector(".table-scroll");
      wrap.classList.toggle("is-overflowing", region.scrollWidth > region.clientWidth + 1);
    });
  }
  mark();
  window.addEventListener("resize", mark);
})();
