// Planner view: the planning report at a click, and selections by area and condition.
import { escapeHtml, execute, inJurisdiction, items, textNode } from "./api.js";
import { currentLanguage, t } from "./i18n.js";
import { choiceTitle } from "./vocabulary.js";

// the zone table's columns: heading, and the cell of a zone (each cell carries its heading,
// shown when narrow panels turn the rows into cards: app.css)
const ZONE_COLUMNS = [
  [() => t("land-use"), (z) => escapeHtml(choiceTitle("zoning", "land_use", z.land_use))],
  [() => t("coefficient"), (z) => escapeHtml(z.building_coefficient ?? "—")],
  [() => t("coverage"), (z) => `${escapeHtml(z.coverage_pct ?? "—")}%`],
  [() => `${t("height")} / ${t("floors")}`,
   (z) => `${escapeHtml(z.max_height_m ?? "—")} ${t("m")} / ${escapeHtml(z.max_floors ?? "—")}`],
  [() => t("min-plot"), (z) => `${escapeHtml(z.min_plot_area_m2 ?? "—")} m²`],
  [() => t("min-frontage"), (z) => `${escapeHtml(z.min_frontage_m ?? "—")} ${t("m")}`],
  // one element: a card's cell is a grid of its heading and its value
  [() => `${t("plan")} / ${t("fek")}`, (z) => `<span>${escapeHtml(choiceTitle("plans", "plan_type", z.plan_type))}
     ${escapeHtml(z.plan_id)}<br><span class="fek">${escapeHtml(z.fek)}</span></span>`],
  [() => t("in-force"), (z) => `${escapeHtml(z.valid_from)} – ${escapeHtml(z.valid_to ?? "")}`],
  [() => t("share"), (z) => `${escapeHtml(Math.round(z.share * 1000) / 10)}%`],
];

function zoneRows(zones) {
  return zones.map((z) => `<tr>
    <th scope="row" data-label="${escapeHtml(t("zones"))}">${escapeHtml(z.zone_code)}</th>
    ${ZONE_COLUMNS.map(([heading, cell]) => `<td data-label="${escapeHtml(heading())}">${cell(z)}</td>`).join("")}
    </tr>`).join("");
}

export function renderReport(report) {
  const settlements = report.settlements.map((s) => `${escapeHtml(s.name)}
    (${escapeHtml(choiceTitle("settlements", "category", s.category))}, ${escapeHtml(s.fek ?? "")})`).join(", ");
  const zones = report.zones.length ? `<div class="scroll" tabindex="0" role="region" aria-label="${t("zones")}"><table class="zones">
      <caption>${t("zones")} — ${escapeHtml(report.date)}</caption>
      <thead><tr><th scope="col">${t("zones")}</th>
      ${ZONE_COLUMNS.map(([heading]) => `<th scope="col">${escapeHtml(heading())}</th>`).join("")}</tr></thead>
      <tbody>${zoneRows(report.zones)}</tbody></table></div>` : `<p>${t("no-zone")}</p>`;
  const permits = report.permits.map((p) => `<li>${escapeHtml(p.permit_number)} — ${escapeHtml(p.issue_date)},
      ${escapeHtml(choiceTitle("building_permits", "permit_type", p.permit_type))},
      ${escapeHtml(choiceTitle("building_permits", "status", p.status))}, ${escapeHtml(p.distance_m)} ${t("m")}</li>`).join("");
  return `<p class="district">${escapeHtml(report.district?.name ?? "")}</p>
    <p>${report.inside_settlement ? `${t("in-settlement")}: ${settlements}` : t("out-settlement")}</p>
    ${zones}
    <h4>${t("permits-near")} ${report.permits_radius_m} ${t("m")} (${report.permits.length})</h4>
    <ul class="permits">${permits}</ul>`;
}

// the same report as a one-page A4 PDF made by the server, and its printable page
function certificateLinks(latlng, date, radius) {
  const query = new URLSearchParams({ lon: latlng.lng.toFixed(7), lat: latlng.lat.toFixed(7),
    lang: currentLanguage(), radius: String(radius), ...(date ? { date } : {}) });
  return `<p class="certificate"><a id="certificate-pdf" href="/api/planning-certificate.pdf?${query}" download>${t("download-pdf")}</a>
    · <a id="certificate-print" href="/api/planning-certificate.html?${query}" target="_blank" rel="noopener">${t("print-certificate")}</a></p>`;
}

function polygonWkt(layer) {
  const ring = layer.getLatLngs()[0].map((p) => `${p.lng.toFixed(7)} ${p.lat.toFixed(7)}`);
  return `POLYGON((${[...ring, ring[0]].join(",")}))`;
}

export function initPlanner({ map, views }) {
  const date = document.getElementById("plan-date");
  date.value = new Date().toISOString().slice(0, 10);
  const target = document.getElementById("report");
  let marker = null;
  let drawn = null;
  let highlighted = null;
  let shown = null;  // the report on screen and its question, drawn again in another language
  const drawReport = ({ report, latlng, date: day, radius }) =>
    renderReport(report) + certificateLinks(latlng, day, radius);
  document.addEventListener("languagechange", () => {
    if (shown) target.innerHTML = drawReport(shown);
  });

  const reportAt = async (latlng) => {
    marker?.remove();
    marker = L.circleMarker(latlng, { radius: 6, color: "#000" }).addTo(map);
    target.setAttribute("aria-busy", "true");
    try {
      const radius = Number(document.getElementById("plan-radius").value);
      const report = await execute("planning-report", {
        location: { type: "Point", coordinates: [latlng.lng, latlng.lat] },
        date: date.value || undefined, radius,
      });
      shown = { report, latlng, date: date.value, radius };
      target.innerHTML = drawReport(shown);
    } catch (error) {
      shown = null;
      target.textContent = `${t("error")}: ${error.message}`;
    } finally {
      target.removeAttribute("aria-busy");
    }
  };
  map.on("click", (event) => {
    if (views.active === "planner" && !map.pm?.globalDrawModeEnabled()) reportAt(event.latlng);
  });
  // keyboard users pan with the arrow keys, then ask here
  document.getElementById("report-centre").addEventListener("click", () => reportAt(map.getCenter()));

  // the plan as it stood on the date: the zones in force then, from OGC API Features
  let inForce = null;
  const showInForce = async () => {
    inForce?.remove();
    inForce = null;
    if (!document.getElementById("plan-in-force").checked || !date.value) return;
    // the shown municipality's plan (the history's versions are its own), in force as the
    // planning report reads it: from valid_from, until the day before valid_to (OGC API's
    // datetime would take in the zones an amendment ends on its first day too)
    const day = `DATE('${date.value}')`;
    const zones = await items("zoning", inJurisdiction({ limit: 10000,
      filter: `valid_from <= ${day} AND (valid_to IS NULL OR valid_to > ${day})` }));
    inForce = L.geoJSON(zones, { style: { color: "#6a3d9a", weight: 2, fillOpacity: 0.15 } })
      // a function returning a string would be read as HTML: the zone's own text is only text
      .bindTooltip((layer) => textNode(`${layer.feature.properties.zone_code} (${layer.feature.properties.plan_id})`))
      .addTo(map);
    inForce.getContainer?.()?.setAttribute("data-date", date.value);
    map.fire("dimos:in-force", { count: zones.features.length, date: date.value });
  };
  document.getElementById("plan-in-force").addEventListener("change", showInForce);
  date.addEventListener("change", showInForce);

  map.on("pm:create", (event) => {
    drawn?.remove();
    drawn = event.layer;
  });
  document.getElementById("draw-polygon").addEventListener("click", () => {
    document.getElementById("selection").textContent = t("draw-help");
    map.pm.enableDraw("Polygon", { snappable: false });
  });
  document.getElementById("clear-select").addEventListener("click", () => {
    drawn?.remove(); highlighted?.remove(); drawn = highlighted = null;
    document.getElementById("selection").textContent = "";
    document.getElementById("exports").hidden = true;
  });
  document.getElementById("run-select").addEventListener("click", async () => {
    const layer = document.getElementById("select-layer").value;
    const clauses = [];
    const condition = document.getElementById("select-condition").value.trim();
    if (condition) clauses.push(`(${condition})`);
    if (drawn) clauses.push(`S_INTERSECTS(geometry, ${polygonWkt(drawn)})`);
    const filter = clauses.join(" AND ");
    const output = document.getElementById("selection");
    try {
      const found = await items(layer, { limit: 1000, ...(filter ? { filter } : {}) });
      highlighted?.remove();
      highlighted = L.geoJSON(found, { style: { color: "#00e5ff", weight: 3 } }).addTo(map);
      const key = layer === "zoning" ? "zone_id" : "permit_number";
      output.innerHTML = `<p><span class="count">${escapeHtml(found.numberMatched ?? found.features.length)}</span> ${t("found")}</p>
        <ul>${found.features.slice(0, 50).map((f) => `<li>${escapeHtml(f.properties[key])}</li>`).join("")}</ul>`;
      const query = new URLSearchParams({ layer, ...(filter ? { filter } : {}) });
      document.getElementById("export-gpkg").href = `/api/export?${query}&format=gpkg&lang=${currentLanguage()}`;
      document.getElementById("export-dxf").href = `/api/export?${query}&format=dxf`;
      document.getElementById("exports").hidden = false;
    } catch (error) {
      output.textContent = `${t("error")}: ${error.message}`;
    }
  });
  // the plan history's slider shows the zones in force from a version's day
  const showInForceOn = async (day) => {
    date.value = day;
    document.getElementById("plan-in-force").checked = true;
    await showInForce();
  };
  return { reportAt, showInForceOn };  // the search box opens the report where it flew to
}
