// The dashboard's charts, drawn by Chart.js (served by the app) from the figures
// the page carries as JSON (#dashboard-charts); the tables beside them hold the numbers.
(function () {
  "use strict";
  var source = document.getElementById("dashboard-charts");
  if (!source || typeof window.Chart === "undefined") { return; }
  var data = JSON.parse(source.textContent);
  var colours = ["#206bc4", "#2fb344", "#f59f00", "#d63939", "#ae3ec9", "#17a2b8", "#6c7a91", "#fd7e14"];
  function draw(id, figure, options) {
    var canvas = document.getElementById(id);
    if (!canvas || !figure || !figure.labels.length) { return; }
    new window.Chart(canvas, {
      type: options.type || "bar",
      data: {
        labels: figure.labels,
        datasets: figure.series.map(function (s, i) {
          return {label: s.name, data: s.values, backgroundColor: colours[i % colours.length],
                  borderColor: colours[i % colours.length], fill: false, tension: 0.2};
        })
      },
      options: {
        responsive: true, maintainAspectRatio: false, animation: false,
        indexAxis: options.horizontal ? "y" : "x",
        scales: {x: {stacked: options.stacked}, y: {stacked: options.stacked, beginAtZero: true}},
        plugins: {legend: {position: "bottom"}}
      }
    });
    canvas.dataset.drawn = "true";
  }
  draw("chart-quota", data.quota, {stacked: true, horizontal: true});
  draw("chart-months", data.months, {stacked: true});
  draw("chart-support", data.support, {stacked: true});
  draw("chart-refunds", data.refunds, {stacked: true});
})();
