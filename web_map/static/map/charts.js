// Staff view: the municipality's charts (Chart.js from the npm registry, served by dimos and
// loaded once a member of staff signs in) from /api/stats/<chart>, each with its data as CSV.
import { getJSON } from "./api.js";
import { currentLanguage, t } from "./i18n.js";

const CHART_SCRIPT = "/vendor/chart.js/dist/chart.umd.min.js";
const COLOURS = ["#3182bd", "#e6550d", "#31a354", "#756bb1", "#636363", "#d6616b", "#8c6d31",
                 "#17becf", "#bcbd22", "#9467bd"];

let loading = null;
export function loadChartJs() {
  loading ??= new Promise((resolve, reject) => {
    const script = Object.assign(document.createElement("script"), { src: CHART_SCRIPT });
    script.onload = () => resolve(window.Chart);
    script.onerror = () => reject(new Error(`${CHART_SCRIPT} did not load`));
    document.head.append(script);
  });
  return loading;
}

const column = (table, name) => table.rows.map((row) => row[table.columns.indexOf(name)]);
const axis = (key, options = {}) => ({ ...options, title: { display: true, text: t(key) } });
const percent = (values) => values.map((v) => (v === null ? null : Math.round(v * 1000) / 10));

// each chart: its Chart.js type and data from the table /api/stats/<chart> answers
const SHAPES = {
  occupancy: (table) => {
    const days = t("weekdays").split(",");
    return {
      type: "line",
      labels: table.rows.map(([weekday, hour]) => `${days[weekday - 1]} ${String(hour).padStart(2, "0")}:00`),
      datasets: [
        { label: t("bays-occupied"), data: percent(column(table, "bays_occupied")) },
        { label: t("car-parks-occupied"), data: percent(column(table, "car_parks_occupied")) },
      ],
      scales: { y: axis("axis-percent", { min: 0, max: 100 }) },
    };
  },
  requests: (table) => {
    const weeks = [...new Set(column(table, "week"))];
    const categories = [...new Set(column(table, "category"))];
    const counts = Object.fromEntries(table.rows.map((row) => [
      `${row[table.columns.indexOf("week")]}|${row[table.columns.indexOf("category")]}`,
      row[table.columns.indexOf("requests")]]));
    return {
      type: "bar",
      labels: weeks,
      datasets: categories.map((category) => ({
        label: category, data: weeks.map((week) => counts[`${week}|${category}`] ?? 0) })),
      scales: { x: { stacked: true }, y: axis("axis-requests", { stacked: true, beginAtZero: true }) },
    };
  },
  "time-to-close": (table) => ({
    type: "bar",
    labels: column(table, "week"),
    datasets: [
      { label: t("requests-closed"), data: column(table, "closed"), yAxisID: "count" },
      { type: "line", label: t("median-hours"), data: column(table, "median_hours"), yAxisID: "y" },
      { type: "line", label: t("p90-hours"), data: column(table, "p90_hours"), yAxisID: "y" },
    ],
    scales: { y: axis("axis-hours", { beginAtZero: true, position: "left" }),
              count: axis("axis-requests", { axis: "y", beginAtZero: true, position: "right",
                                             grid: { drawOnChartArea: false } }) },
  }),
  wifi: (table) => ({
    type: "bar",
    labels: column(table, "month"),
    datasets: [
      { label: t("clients-mean"), data: column(table, "clients_mean") },
      { type: "line", label: t("clients-peak"), data: column(table, "clients_peak_hour") },
    ],
    scales: { y: axis("axis-clients", { beginAtZero: true }) },
  }),
};

export function initCharts({ authHeaders, actingIn }) {
  const section = document.getElementById("staff-charts");
  const drawn = {};
  const params = (name) => {
    const acting = actingIn();
    return new URLSearchParams({ lang: currentLanguage(), ...(acting ? { jurisdiction_id: acting } : {}) });
  };

  const downloadCsv = async (name) => {
    const response = await fetch(`/api/stats/${name}.csv?${params(name)}`, { headers: authHeaders() });
    const disposition = response.headers.get("Content-Disposition") ?? "";
    const file = /filename="([^"]+)"/.exec(disposition)?.[1] ?? `${name}.csv`;
    const url = URL.createObjectURL(await response.blob());
    Object.assign(document.createElement("a"), { href: url, download: file }).click();
    URL.revokeObjectURL(url);
  };

  const figure = (name) => {
    let shown = section.querySelector(`figure[data-chart="${name}"]`);
    if (shown) return shown;
    shown = document.createElement("figure");
    shown.className = "chart";
    shown.dataset.chart = name;
    shown.innerHTML = `<figcaption><span class="chart-title"></span>
        <span class="chart-period"></span>
        <button type="button" class="link chart-csv"></button></figcaption>
      <div class="chart-box"><canvas role="img"></canvas></div><p class="chart-empty" hidden></p>`;
    shown.querySelector(".chart-csv").addEventListener("click", () => downloadCsv(name));
    section.append(shown);
    return shown;
  };

  const draw = async (Chart, name) => {
    const table = await getJSON(`/api/stats/${name}?${params(name)}`, { headers: authHeaders() });
    const shape = SHAPES[name](table);
    const shown = figure(name);
    const title = t(`chart-${name}`);
    const period = t("chart-period").replace("{start}", table.start).replace("{end}", table.end);
    shown.querySelector(".chart-title").textContent = title;
    shown.querySelector(".chart-period").textContent = `(${period})`;
    shown.querySelector(".chart-csv").textContent = t("download-csv");
    shown.querySelector(".chart-csv").setAttribute("aria-label", `${t("download-csv")}: ${title}`);
    const empty = shown.querySelector(".chart-empty");
    empty.hidden = table.rows.length > 0;
    empty.textContent = t("chart-empty").replace("{start}", table.start).replace("{end}", table.end);
    const canvas = shown.querySelector("canvas");
    canvas.setAttribute("aria-label", `${title}, ${period}: ${shape.datasets.map((d) => d.label).join(", ")}`);
    drawn[name]?.destroy();
    drawn[name] = new Chart(canvas, {
      type: shape.type,
      data: { labels: shape.labels, datasets: shape.datasets.map((d, i) => ({
        borderColor: COLOURS[i % COLOURS.length], backgroundColor: COLOURS[i % COLOURS.length],
        pointRadius: 0, borderWidth: 2, ...d })) },
      options: { animation: false, responsive: true, maintainAspectRatio: false,
                 scales: shape.scales, plugins: { legend: { position: "bottom" } } },
    });
    shown.dataset.rows = String(table.rows.length);
  };

  const drawAll = async () => {
    section.hidden = false;
    const Chart = await loadChartJs();
    for (const name of Object.keys(SHAPES)) await draw(Chart, name);
    section.dataset.drawn = "true";
  };
  document.addEventListener("languagechange", () => { if (!section.hidden) drawAll(); });
  return { drawAll };
}
