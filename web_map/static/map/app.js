// The map application: base map, layer panel from the catalogue, views, language.
import { currentJurisdiction, escapeHtml, getJSON } from "./api.js";
import { currentLanguage, setLanguage, t } from "./i18n.js";
import { initPlanner } from "./planner.js";
import { initHistory } from "./history.js";
import { initCitizen } from "./citizen.js";
import { initStaff } from "./staff.js";
import { initSearch } from "./search.js";
import { initLive, LIVE_IDS } from "./live.js";
import { initMunicipalityPicker, jurisdictionInPath, loadConfig, showMunicipality } from "./municipality.js";
import { initPopups } from "./popups.js";
import { labelChoiceOptions, setVocabulary } from "./vocabulary.js";

const TILE_URL = "/ogc/collections/{layer}/tiles/WebMercatorQuad/{z}/{y}/{x}?f=mvt";
// live layers are coloured by their state (FIWARE ParkingSpot; AP status; a junction's flow
// against its usual for the hour and weekday)
const STATE_COLOURS = {
  occupancy_state: { free: "#1a9850", occupied: "#d73027", closed: "#4d4d4d", unknown: "#999999" },
  status: { up: "#1a9850", down: "#d73027", unknown: "#999999" },
  flow_level: { below_usual: "#1a9850", as_usual: "#fee08b", above_usual: "#d73027", unknown: "#999999" },
};
const DEFAULT_ON = new Set(["zoning", "settlements"]);
const OPACITY_LAYERS = new Set(["zoning", "plans"]);

function tileStyle(entry, opacity = 1) {
  const s = entry.style;
  const point = /Point/.test(entry.geometry_type);
  return (properties) => {
    let colour = s.color;
    for (const [field, colours] of Object.entries(STATE_COLOURS)) {
      if (properties && properties[field] in colours) colour = colours[properties[field]];
    }
    if (!point && properties && "dimos:count" in properties) {
      // shapes smaller than a pixel come as a dot per pixel (gis/tiles.py): draw the pixel
      return { stroke: false, fill: true, fillColor: s.fill_color || colour,
               fillOpacity: Math.max(s.fill_opacity ?? 0, 0.6) * opacity, radius: 1 };
    }
    return {
      color: colour, weight: s.weight ?? 1, opacity,
      fill: point || (s.fill_opacity ?? 0) > 0, fillColor: point ? colour : (s.fill_color || colour),
      fillOpacity: (point ? 0.85 : (s.fill_opacity ?? 0)) * opacity, radius: s.radius ?? 4,
      dashArray: s.dash,
    };
  };
}

function vectorLayer(entry, options = {}) {
  const style = tileStyle(entry, options.opacity ?? 1);
  const key = LIVE_IDS[entry.id];
  return L.vectorGrid.protobuf(TILE_URL.replace("{layer}", entry.id), {
    vectorTileLayerStyles: { [entry.id]: style },
    // live layers are restyled feature by feature as their sensors report
    ...(key ? { getFeatureId: (feature) => feature.properties[key] } : {}),
    interactive: false, maxNativeZoom: 20, maxZoom: 22, pane: options.pane || "overlayPane",
    attribution: options.attribution,
  });
}

function municipalBasemap(legend, attribution) {
  // drawn from the project's own layers: works with no internet
  const neutral = {
    districts: { color: "#8c8c8c", fill_color: "#f2efe9", fill_opacity: 1, weight: 1 },
    buildings: { color: "#c9c1b6", fill_color: "#d9d0c9", fill_opacity: 1, weight: 0.5 },
    roads: { color: "#ffffff", weight: 3 },
  };
  const group = L.layerGroup();
  for (const [id, style] of Object.entries(neutral)) {
    const entry = legend.find((e) => e.id === id);
    vectorLayer({ ...entry, style }, { pane: "tilePane", attribution }).addTo(group);
  }
  return group;
}

function buildLayerPanel(map, legend) {
  const list = document.getElementById("layers");
  const state = {};
  const render = () => {
    list.replaceChildren();
    for (const entry of legend) {
      const item = document.createElement("li");
      const id = `layer-${entry.id}`;
      item.innerHTML = `<input type="checkbox" id="${escapeHtml(id)}" ${state[entry.id]?.on ? "checked" : ""}>
        <span class="swatch" aria-hidden="true"
              style="border-color:${escapeHtml(entry.style.color)};background:${escapeHtml(entry.style.fill_color || "transparent")}"></span>
        <label for="${escapeHtml(id)}">${escapeHtml(entry.title[currentLanguage()])}</label>`;
      item.dataset.layer = entry.id;
      item.querySelector("input").addEventListener("change", (event) => {
        toggle(entry, event.target.checked);
      });
      if (OPACITY_LAYERS.has(entry.id)) {
        const slider = document.createElement("input");
        Object.assign(slider, { type: "range", min: 0, max: 100, value: state[entry.id]?.opacity ?? 100 });
        slider.setAttribute("aria-label", `${t("opacity")}: ${entry.title[currentLanguage()]}`);
        slider.addEventListener("input", () => {
          state[entry.id].opacity = Number(slider.value);
          if (state[entry.id].on) { toggle(entry, false); toggle(entry, true); }
        });
        item.append(slider);
      }
      list.append(item);
    }
  };
  const toggle = (entry, on) => {
    const current = state[entry.id];
    if (current.layer) { map.removeLayer(current.layer); current.layer = null; }
    current.on = on;
    if (on) current.layer = vectorLayer(entry, { opacity: current.opacity / 100 }).addTo(map);
  };
  for (const entry of legend) {
    state[entry.id] = { on: false, opacity: 100, layer: null };
    if (DEFAULT_ON.has(entry.id)) toggle(entry, true);
  }
  render();
  document.addEventListener("languagechange", render);
  // a layer published meanwhile (the staff view): listed, and shown at once
  const add = (entry) => {
    if (!state[entry.id]) {
      legend.push(entry);
      state[entry.id] = { on: false, opacity: 100, layer: null };
    }
    toggle(entry, true);
    render();
  };
  return { toggle: (id, on) => toggle(legend.find((e) => e.id === id), on), add, state };
}

function initTabs(views) {
  const tabs = [...document.querySelectorAll("[role=tab]")];
  const select = (tab) => {
    for (const other of tabs) {
      const chosen = other === tab;
      other.setAttribute("aria-selected", String(chosen));
      other.tabIndex = chosen ? 0 : -1;
      document.getElementById(other.getAttribute("aria-controls")).hidden = !chosen;
    }
    views.active = tab.dataset.view;
  };
  tabs.forEach((tab, i) => {
    tab.addEventListener("click", () => select(tab));
    tab.addEventListener("keydown", (event) => {  // arrow keys move between tabs (WAI-ARIA)
      const step = { ArrowRight: 1, ArrowLeft: -1 }[event.key];
      if (!step) return;
      const next = tabs[(i + step + tabs.length) % tabs.length];
      next.focus();
      select(next);
    });
  });
  select(tabs[0]);
}

// Georeferenced scans of plans (`dimos import … --layer scanned_plans`): one overlay each,
// PNG tiles cut from their COGs. A map without scans (or an older server) shows none.
async function addScannedPlans(layersControl) {
  try {
    const scans = await getJSON("/api/scanned-plans");
    for (const scan of scans.features) {
      const overlay = L.tileLayer(scan.properties.tiles, { maxZoom: 22, opacity: 0.75 });
      layersControl.addOverlay(overlay, escapeHtml(scan.properties.title));
    }
  } catch (error) {
    console.warn("scanned plans unavailable", error);
  }
}

const VIEW_KEY = "dimos-last-view";
function lastView(jurisdiction) {
  try {
    const view = JSON.parse(localStorage.getItem(VIEW_KEY));
    return view && view.jurisdiction === jurisdiction ? view : null;
  } catch (error) {
    return null;
  }
}
function keepView(map, jurisdiction) {
  const { lat, lng } = map.getCenter();
  localStorage.setItem(VIEW_KEY, JSON.stringify({ jurisdiction, lat, lng, zoom: map.getZoom() }));
}

async function main() {
  const config = await loadConfig(jurisdictionInPath());
  setVocabulary(config.vocabulary);
  labelChoiceOptions();
  document.addEventListener("languagechange", () => labelChoiceOptions());
  // the area last viewed of this municipality (the map opens there, offline too)
  const last = lastView(config.jurisdiction?.id ?? null);
  const map = L.map("map", { zoomControl: true, keyboard: true })
    .setView(last ? [last.lat, last.lng] : config.centre, last?.zoom ?? config.zoom);
  map.on("moveend", () => keepView(map, currentJurisdiction()));
  const attribution = config.attributions.join(" · ");
  const base = municipalBasemap(config.legend, attribution).addTo(map);
  const bases = { [t("basemap")]: base };
  if (config.basemap_url) {
    bases[t("osm")] = L.tileLayer(config.basemap_url, { maxZoom: 19, attribution });
  }
  const layersControl = L.control.layers(bases, {}, { position: "topright" }).addTo(map);
  await addScannedPlans(layersControl);
  L.control.scale({ imperial: false }).addTo(map);
  const panel = buildLayerPanel(map, config.legend);
  const views = { active: "planner" };
  initTabs(views);
  const styleFor = (id) => tileStyle(config.legend.find((e) => e.id === id));
  const app = { map, config, panel, views, styleFor };
  initMunicipalityPicker(app);
  showMunicipality(app, config, { move: false });  // before the views ask the APIs
  app.live = initLive(app);
  app.planner = initPlanner(app);
  await initHistory(app).catch((error) => console.warn("plan history unavailable", error));
  initCitizen(app);
  initStaff(app);
  app.search = initSearch(app);
  initPopups(app);
  document.getElementById("language").addEventListener("click", (event) => {
    const next = currentLanguage() === "el" ? "en" : "el";
    setLanguage(next);
    event.target.textContent = next === "el" ? "English" : "Ελληνικά";
    event.target.lang = next === "el" ? "en" : "el";
  });
  // installable, and opens offline (web_map/offline.py)
  navigator.serviceWorker?.register("/sw.js").catch((error) => console.warn("no offline map", error));
  window.dimos = app;  // for the browser tests and the console
  document.body.dataset.ready = "true";
}

main().catch((error) => {
  document.body.dataset.ready = "error";
  console.error(error);
});
