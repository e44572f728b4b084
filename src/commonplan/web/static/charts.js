// Draws each chart of the page from the Plotly JSON the server put beside it.  plotly.js (the
// partial bundle named in this script's data-plotly) is fetched only when a chart comes near the
// screen, and each chart is drawn in a task of its own, so that a page whose charts are further
// down reads at once on a phone; every chart is also listed as text beside it.
(function () {
  "use strict";
  var me = document.currentScript;
  var charts = document.querySelectorAll("[data-figure]");
  if (!me || !charts.length) { return; }
  var waiting = [];
  var state = "idle"; // idle → loading → ready

  function draw(el) {
    var source = document.getElementById(el.getAttribute("data-figure"));
    if (!source || !window.Plotly) { return; }
    var fig = JSON.parse(source.textContent);
    window.Plotly.newPlot(el, fig.data, fig.layout, { responsive: true, displaylogo: false, displayModeBar: false });
  }
  function drawSoon(el) { window.setTimeout(function () { draw(el); }, 0); }
  function want(el) {
    if (state === "ready") { drawSoon(el); return; }
    waiting.push(el);
    if (state === "loading") { return; }
    state = "loading";
    var s = document.createElement("script");
    s.src = me.getAttribute("data-plotly");
    s.onload = function () { state = "ready"; waiting.splice(0).forEach(drawSoon); };
    document.head.appendChild(s);
  }
  if (!("IntersectionObserver" in window)) { charts.forEach(want); return; }
  var seen = new IntersectionObserver(function (entries) {
    entries.forEach(function (e) {
      if (e.isIntersecting) { seen.unobserve(e.target); want(e.target); }
    });
  }, { rootMargin: "200px 0px" });
  charts.forEach(function (el) { seen.observe(el); });
})();
