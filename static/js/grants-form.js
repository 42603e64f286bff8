// Application form, budget step: keep a running budget total (site.js focuses the error
// summary). The page works without this script; the server checks everything on submission.
(function () {
  "use strict";
  var cells = document.querySelectorAll(".budget-cell");
  var table = document.querySelector(".budget-table");
  if (!cells.length || !table) {
    return;
  }
  var output = document.createElement("p");
  output.className = "budget-live";
  output.setAttribute("aria-live", "polite");
  table.parentNode.insertAdjacentElement("afterend", output);
  var format = new Intl.NumberFormat("en-CA", { style: "currency", currency: "CAD" });
  function update() {
    var total = 0;
    cells.forEach(function (cell) {
      var value = parseFloat(cell.value);
      if (!isNaN(value)) {
        total += value;
      }
    });
    output.textContent = (table.dataset.totalLabel || "Total:") + " " + format.format(total);
  }
  cells.forEach(function (cell) {
    cell.addEventListener("input", update);
  });
  update();
})();
