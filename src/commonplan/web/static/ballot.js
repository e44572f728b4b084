// Progressive enhancement of the budget ballot: the running labour-hour cost of the approved
// proposals against the hours set aside.  The form works the same without it.
(function () {
  "use strict";
  document.querySelectorAll("fieldset").forEach(function (box) {
    var running = box.querySelector(".running");
    if (!running) { return; }
    var boxes = box.querySelectorAll("input[type=checkbox][data-cost]");
    var out = running.querySelector("output");
    var budget = parseFloat(running.getAttribute("data-budget"));
    var number = function (x) { return Math.round(x).toLocaleString(document.documentElement.lang); };
    var update = function () {
      var total = 0;
      boxes.forEach(function (b) { if (b.checked) { total += parseFloat(b.getAttribute("data-cost")) || 0; } });
      var text = running.getAttribute("data-format").replace("{total}", number(total)).replace("{budget}", number(budget));
      if (total > budget) { text += " " + running.getAttribute("data-over"); }
      out.textContent = text;
      running.classList.toggle("over", total > budget);
    };
    boxes.forEach(function (b) { b.addEventListener("change", update); });
    running.hidden = false;
    update();
  });
})();
