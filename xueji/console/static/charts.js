// QRY-6: every <canvas data-chart='{"title","labels","values"}'> becomes a bar chart.
document.addEventListener("DOMContentLoaded", () => {
  for (const canvas of document.querySelectorAll("canvas[data-chart]")) {
    const data = JSON.parse(canvas.dataset.chart);
    new Chart(canvas, {
      type: "bar",
      data: { labels: data.labels, datasets: [{ label: data.title, data: data.values, backgroundColor: "#2f6fb1" }] },
      options: { animation: false, plugins: { legend: { display: false } }, scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } },
    });
  }
});
