// Draws each chart of the page from the Plotly JSON the server put beside it.
(function () {
  "use strict";
  if (!window.Plotly) { return; }
  document.querySelectorAll("[data-figure]").forEach(function (el) {
    var source = document.getElementById(el.getAttribute("data-figure"));
    if (!source) { return; }
    var fig = JSON.parse(source.textContent);
    window.Plotly.newPlot(el, fig.data, fig.layout, { responsive: true, displaylogo: false, displayModeBar: false });
  });
})();
