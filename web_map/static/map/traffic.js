// A traffic camera's day in its popup: vehicles each hour so far against the usual number for
// that hour and weekday (/api/traffic/cameras/<id>/day), drawn with the staff charts' Chart.js.
import { escapeHtml, getJSON, inJurisdiction } from "./api.js";
import { loadChartJs } from "./charts.js";
import { t } from "./i18n.js";

export async function drawTrafficDay(popup, cameraId) {
  const figure = document.createElement("figure");
  figure.className = "traffic-day";
  figure.innerHTML = `<figcaption>${escapeHtml(t("traffic-today"))}</figcaption><canvas height="160"></canvas>`;
  popup.querySelector(".leaflet-popup-content").append(figure);
  try {
    const [Chart, day] = await Promise.all([
      loadChartJs(),
      getJSON(`/api/traffic/cameras/${encodeURIComponent(cameraId)}/day?${new URLSearchParams(inJurisdiction())}`),
    ]);
    const canvas = figure.querySelector("canvas");
    canvas.setAttribute("role", "img");
    canvas.setAttribute("aria-label", `${t("traffic-today")}: ${day.name}`);
    new Chart(canvas, {
      type: "bar",
      data: {
        labels: day.hours.map((h) => h.hour),
        datasets: [
          { type: "bar", label: t("vehicles-hour"), data: day.hours.map((h) => h.vehicles), backgroundColor: "#3182bd" },
          { type: "line", label: t("usual-flow"), data: day.hours.map((h) => h.usual), borderColor: "#e6550d", pointRadius: 0 },
        ],
      },
      options: { animation: false, responsive: true, plugins: { legend: { position: "bottom" } } },
    });
    figure.dataset.hours = String(day.hours.length);
  } catch (error) {
    figure.append(`${t("error")}: ${error.message}`);
  }
}
