// Planner view: the plan's history. A slider steps through the days the zoning changed (each
// plan version) and draws the zones in force from then; "what changed" draws the zones that
// version added, removed or changed, with the old and new terms side by side.
import { escapeHtml, getJSON, inJurisdiction, textNode } from "./api.js";
import { t } from "./i18n.js";
import { choiceTitle } from "./vocabulary.js";

const CHANGE_STYLES = {
  added: { color: "#1a9850", weight: 3, fillOpacity: 0.25 },
  removed: { color: "#d73027", weight: 3, dashArray: "6 4", fillOpacity: 0.1 },
  changed: { color: "#e6550d", weight: 3, fillOpacity: 0.25 },
};
const dash = (value) => (value === null || value === undefined ? "—" : String(value));
// each term's heading and how a zone's value of it reads
const TERM_ROWS = [
  ["land-use", (z) => choiceTitle("zoning", "land_use", z.land_use), "land_use"],
  ["coefficient", (z) => dash(z.building_coefficient), "building_coefficient"],
  ["coverage", (z) => `${dash(z.coverage_pct)}%`, "coverage_pct"],
  ["height", (z) => `${dash(z.max_height_m)} ${t("m")}`, "max_height_m"],
  ["floors", (z) => dash(z.max_floors), "max_floors"],
  ["min-plot", (z) => `${dash(z.min_plot_area_m2)} m²`, "min_plot_area_m2"],
  ["min-frontage", (z) => `${dash(z.min_frontage_m)} ${t("m")}`, "min_frontage_m"],
  ["area", (z) => `${dash(z.area_m2)} m²`, "area_m2"],
  ["plan", (z) => `${choiceTitle("plans", "plan_type", z.plan_type)} ${z.plan_id}`, null],
  ["fek", (z) => dash(z.fek), null],
];

function changeCard(feature) {
  const { change, zone_code: code, before, after, changed_terms: differs } = feature.properties;
  const rows = TERM_ROWS.map(([key, cell, term]) => `<tr class="${term && differs.includes(term) ? "differs" : ""}">
      <th scope="row">${escapeHtml(t(key))}</th>
      <td>${before ? escapeHtml(cell(before)) : "—"}</td><td>${after ? escapeHtml(cell(after)) : "—"}</td></tr>`).join("");
  return `<article class="change change-${escapeHtml(change)}" data-change="${escapeHtml(change)}" data-zone="${escapeHtml(code)}">
    <h5>${escapeHtml(code)} — ${escapeHtml(t(`change-${change}`))}</h5>
    <table class="terms"><thead><tr><td></td><th scope="col">${t("before")}</th><th scope="col">${t("after")}</th></tr></thead>
    <tbody>${rows}</tbody></table></article>`;
}

export function initHistory({ map, planner }) {
  const slider = document.getElementById("plan-slider");
  const label = document.getElementById("plan-version");
  const output = document.getElementById("plan-changes");
  let versions = [];
  let drawn = null;
  let shown = null;  // the changes on screen, written again in another language

  const describe = (version) => {
    const plans = version.plans.map((p) => `${choiceTitle("plans", "plan_type", p.plan_type)} ${p.plan_id} (${p.fek})`);
    return `${version.date}${plans.length ? ` — ${plans.join(", ")}` : ""} · ${version.zones} ${t("zones-in-force")}`;
  };
  const current = () => versions[Number(slider.value)];
  const showLabel = () => {
    if (!current()) return;
    label.textContent = describe(current());
    slider.setAttribute("aria-valuetext", label.textContent);
  };

  const load = async () => {
    const found = await getJSON(`/api/plan-versions?${new URLSearchParams(inJurisdiction())}`);
    versions = found.versions;
    const today = new Date().toISOString().slice(0, 10);
    const latest = versions.filter((v) => v.date <= today).length - 1;
    slider.max = String(Math.max(versions.length - 1, 0));
    slider.value = String(Math.max(latest, 0));
    slider.disabled = versions.length === 0;
    document.getElementById("plan-what-changed").disabled = versions.length === 0;
    showLabel();
  };

  const renderChanges = () => {
    const counts = Object.fromEntries(Object.keys(CHANGE_STYLES).map((k) => [k, 0]));
    for (const f of shown.features) counts[f.properties.change] += 1;
    const summary = Object.entries(counts).map(([kind, n]) => `<span class="change-key change-${kind}">${n} ${escapeHtml(t(`changes-${kind}`))}</span>`).join(" · ");
    output.innerHTML = `<p class="changes-summary">${escapeHtml(shown.from)} → ${escapeHtml(shown.to)}: ${summary}</p>
      ${shown.features.length ? shown.features.map(changeCard).join("") : `<p>${t("no-changes")}</p>`}`;
  };

  const whatChanged = async () => {
    const version = current();
    const day = new Date(`${version.date}T00:00:00Z`);
    day.setUTCDate(day.getUTCDate() - 1);
    output.setAttribute("aria-busy", "true");
    try {
      shown = await getJSON(`/api/plan-changes?${new URLSearchParams(inJurisdiction({
        from: day.toISOString().slice(0, 10), to: version.date }))}`);
      drawn?.remove();
      drawn = L.geoJSON(shown, { style: (f) => CHANGE_STYLES[f.properties.change] })
        .bindTooltip((layer) => textNode(`${layer.feature.properties.zone_code}: ${t(`change-${layer.feature.properties.change}`)}`))
        .addTo(map);
      if (shown.features.length) map.fitBounds(drawn.getBounds(), { maxZoom: 16 });
      renderChanges();
      map.fire("dimos:plan-changes", { count: shown.features.length });
    } catch (error) {
      output.textContent = `${t("error")}: ${error.message}`;
    } finally {
      output.removeAttribute("aria-busy");
    }
  };

  slider.addEventListener("input", showLabel);
  slider.addEventListener("change", () => planner.showInForceOn(current().date));
  document.getElementById("plan-what-changed").addEventListener("click", whatChanged);
  document.addEventListener("languagechange", () => { showLabel(); if (shown) renderChanges(); });
  document.addEventListener("jurisdictionchange", () => {
    drawn?.remove(); drawn = shown = null; output.replaceChildren(); load();
  });
  return load();
}
