// A click on the map (planner and staff views) opens the popup of the feature under it, from
// the layers turned on: its attributes as the catalogue names them, choices by their titles.
// The feature comes from OGC API Features (a few pixels' box around the click), not the tiles.
import { escapeHtml, items } from "./api.js";
import { currentLanguage } from "./i18n.js";
import { drawTrafficDay } from "./traffic.js";
import { choiceFields, choiceTitle } from "./vocabulary.js";

const PIXELS = 6;  // how near the click a feature counts as clicked
// a point drawn over a zone is what one clicks: points first, then lines, then areas
const RANK = (entry) => (/Point/.test(entry.geometry_type) ? 0 : /Line/.test(entry.geometry_type) ? 1 : 2);

export function popupContent(entry, properties) {
  const lang = currentLanguage();
  const choices = choiceFields(entry.id);
  const rows = Object.entries(entry.fields ?? {})
    .filter(([name]) => properties[name] !== undefined && properties[name] !== null)
    .map(([name, title]) => {
      const value = name in choices ? choiceTitle(entry.id, name, properties[name]) : properties[name];
      return `<tr><th scope="row">${escapeHtml(title[lang])}</th><td>${escapeHtml(value)}</td></tr>`;
    });
  return `<strong>${escapeHtml(entry.title[lang])}</strong>
    <table class="feature" data-layer="${escapeHtml(entry.id)}">${rows.join("")}</table>`;
}

async function featureAt(map, shown, latlng) {
  const at = map.latLngToContainerPoint(latlng);
  const sw = map.containerPointToLatLng([at.x - PIXELS, at.y + PIXELS]);
  const ne = map.containerPointToLatLng([at.x + PIXELS, at.y - PIXELS]);
  const bbox = [sw.lng, sw.lat, ne.lng, ne.lat].map((v) => v.toFixed(7)).join(",");
  const ranked = [...shown].reverse().sort((a, b) => RANK(a) - RANK(b));
  const found = await Promise.all(ranked.map((entry) => items(entry.id, { bbox, limit: 1 })
    .then((answer) => answer.features[0]).catch(() => undefined)));
  const index = found.findIndex(Boolean);
  return index < 0 ? null : [ranked[index], found[index].properties];
}

// the planning report answers for these where the planner clicks
const REPORTED = ["zoning", "plans", "settlements"];

export function initPopups({ map, config, panel, views }) {
  map.on("click", async (event) => {
    if (views.active === "citizen") return;  // there a click places the report's pin
    const skip = views.active === "planner" ? REPORTED : [];
    const shown = config.legend.filter((e) => panel.state[e.id]?.on && !skip.includes(e.id));
    const hit = await featureAt(map, shown, event.latlng);
    if (!hit) return;
    const popup = L.popup({ maxWidth: 320 }).setLatLng(event.latlng).setContent(popupContent(...hit)).openOn(map);
    // a junction's camera: its day so far against the usual flow of each hour
    if (hit[0].id === "traffic_cameras") drawTrafficDay(popup.getElement(), hit[1].camera_id);
  });
}
