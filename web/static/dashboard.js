// Draws the dashboard's charts from the JSON the page embeds (the same numbers as the CSV export).
// Categories are horizontal bars (a row each, so names stay readable at 390 px); time series are lines.
(function () {
  "use strict";
  const palette = ["#0b6e4f", "#2563eb", "#b54708", "#7c3aed", "#0891b2", "#be123c", "#64748b"];
  const rating = ["#0b6e4f", "#65a30d", "#a16207", "#b42318"];
  const charts = JSON.parse(document.getElementById("chart-data").textContent);
  const narrow = window.matchMedia("(max-width: 600px)").matches;
  for (const chart of charts) {
    const canvas = document.querySelector(`canvas[data-chart="${chart.key}"]`);
    if (!canvas || typeof Chart === "undefined") continue;
    const stacked = chart.kind === "stacked";
    const colours = stacked ? rating : palette;
    const value = chart.horizontal ? "x" : "y";
    const category = chart.horizontal ? "y" : "x";
    const scales = {};
    scales[value] = {
      stacked, beginAtZero: true, max: chart.percent ? 100 : undefined,
      ticks: { callback: (v) => (chart.percent ? `${v} %` : v), maxTicksLimit: narrow ? 5 : 8 },
    };
    scales[category] = {
      stacked,
      ticks: chart.horizontal
        ? { autoSkip: false, font: { size: 12 } }
        : { maxRotation: 0, autoSkip: true, maxTicksLimit: narrow ? 4 : 8 },
    };
    new Chart(canvas, {
      type: chart.kind === "line" ? "line" : "bar",
      data: {
        labels: chart.labels,
        datasets: chart.datasets.map((d, i) => ({
          label: d.label, data: d.data, borderColor: colours[i % colours.length],
          backgroundColor: colours[i % colours.length], tension: 0.2, pointRadius: 0,
          maxBarThickness: 22,
        })),
      },
      options: {
        animation: false, responsive: true, maintainAspectRatio: false, indexAxis: category,
        scales,
        plugins: {
          legend: { position: "bottom", display: chart.datasets.length > 1, labels: { boxWidth: 12, font: { size: 12 } } },
          tooltip: chart.percent ? { callbacks: { label: (c) => `${c.dataset.label}: ${c.parsed[value]} %` } } : {},
        },
      },
    });
  }
})();
