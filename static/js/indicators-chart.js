/* Draw the indicator's line chart from the JSON the page carries (json_script).
   Each place gets its own colour, dash pattern and point shape, so lines can be told apart
   without colour; the table on the page holds the same figures. */
(function () {
  "use strict";
  var dataNode = document.getElementById("indicator-chart-data");
  var figure = document.getElementById("indicator-chart-figure");
  var canvas = document.getElementById("indicator-chart");
  if (!dataNode || !figure || !canvas || typeof window.Chart === "undefined") {
    return;
  }
  var data = JSON.parse(dataNode.textContent);
  var styles = [
    { color: "#0b4f8a", dash: [], point: "circle", width: 3 },
    { color: "#222222", dash: [8, 4], point: "rect", width: 2 },
    { color: "#a4161a", dash: [2, 3], point: "triangle", width: 2 },
    { color: "#1b6b2f", dash: [12, 4, 2, 4], point: "rectRot", width: 2 },
    { color: "#6a3d9a", dash: [4, 4], point: "star", width: 2 },
    { color: "#8a5a00", dash: [1, 2], point: "crossRot", width: 2 }
  ];
  var formatter = new Intl.NumberFormat(document.documentElement.lang || "en-CA", {
    minimumFractionDigits: data.decimals,
    maximumFractionDigits: data.decimals
  });
  var datasets = data.series.map(function (series, index) {
    var style = styles[index % styles.length];
    return {
      label: series.label,
      // Each point at its place in time, so uneven gaps between years show as such.
      data: series.values.map(function (value, i) { return { x: data.x[i], y: value }; }),
      borderColor: style.color,
      backgroundColor: style.color,
      borderDash: style.dash,
      borderWidth: style.width,
      pointStyle: style.point,
      pointRadius: 4,
      spanGaps: true
    };
  });
  figure.hidden = false;
  new window.Chart(canvas, {
    type: "line",
    data: { datasets: datasets },
    options: {
      maintainAspectRatio: false,
      animation: false,
      interaction: { mode: "index", intersect: false },
      plugins: {
        legend: { labels: { usePointStyle: true } },
        tooltip: {
          callbacks: {
            title: function (items) {
              return items.length ? data.periods[items[0].dataIndex] : "";
            },
            label: function (context) {
              if (context.parsed.y === null) {
                return context.dataset.label + ": —";
              }
              return context.dataset.label + ": " + formatter.format(context.parsed.y);
            }
          }
        }
      },
      scales: {
        x: {
          type: "linear",
          ticks: {
            stepSize: 1,
            callback: function (value) { return Number.isInteger(value) ? String(value) : ""; }
          }
        },
        y: {
          title: { display: true, text: data.unit },
          ticks: { callback: function (value) { return formatter.format(value); } }
        }
      }
    }
  });
})();
