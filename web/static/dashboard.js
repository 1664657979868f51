// Draws the dashboard's charts from the JSON the page embeds (the same numbers as the CSV export).
(function () {
  "use strict";
  const palette = ["#0b6e4f", "#2563eb", "#b54708", "#7c3aed", "#0891b2", "#be123c", "#64748b"];
  const rating = ["#0b6e4f", "#65a30d", "#eab308", "#b42318"];
  const charts = JSON.parse(document.getElementById("chart-data").textContent);
  for (const chart of charts) {
    const canvas = document.querySelector(`canvas[data-chart="${chart.key}"]`);
    if (!canvas || typeof Chart === "undefined") continue;
    const stacked = chart.kind === "stacked";
    const colours = stacked ? rating : palette;
    new Chart(canvas, {
      type: chart.kind === "line" ? "line" : "bar",
      data: {
        labels: chart.labels,
        datasets: chart.datasets.map((d, i) => ({
          label: d.label, data: d.data, borderColor: colours[i % colours.length],
          backgroundColor: colours[i % colours.length], tension: 0.2, pointRadius: 0,
        })),
      },
      options: {
        animation: false, responsive: true, maintainAspectRatio: false,
        indexAxis: chart.key === "kecamatan" ? "y" : "x",
        scales: { x: { stacked }, y: { stacked, beginAtZero: true, max: stacked ? 100 : undefined } },
        plugins: { legend: { position: "bottom" } },
      },
    });
  }
})();
