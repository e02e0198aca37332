// The search box of every view: /api/search as you type, a WAI-ARIA combobox (arrow keys,
// Enter, Escape), and the chosen result flown to (in the planner view, its report opened).
import { currentJurisdiction, escapeHtml, getJSON } from "./api.js";
import { currentLanguage, t } from "./i18n.js";

const MIN_CHARS = 2;
const DEBOUNCE_MS = 200;
const FLY = { duration: 0.6, maxZoom: 18 };

function searchUrl(text) {
  const params = new URLSearchParams({ q: text, lang: currentLanguage(), limit: 10 });
  const jurisdiction = currentJurisdiction();
  if (jurisdiction) params.set("jurisdiction_id", jurisdiction);  // its results first
  return `/api/search?${params}`;
}

export function initSearch(app) {
  const { map, views } = app;
  const box = document.getElementById("search-box");
  const list = document.getElementById("search-results");
  const status = document.getElementById("search-status");
  let results = [];
  let active = -1;
  let asked = 0;  // answers to older keystrokes are dropped
  let timer = null;
  let marker = null;

  const setOpen = (open) => {
    list.hidden = !open;
    box.setAttribute("aria-expanded", String(open));
    if (!open) { active = -1; box.removeAttribute("aria-activedescendant"); }
  };
  const highlight = (index) => {
    active = index;
    list.querySelectorAll("[role=option]").forEach((option, i) => {
      option.setAttribute("aria-selected", String(i === index));
    });
    if (index >= 0) {
      box.setAttribute("aria-activedescendant", `search-result-${index}`);
      document.getElementById(`search-result-${index}`).scrollIntoView({ block: "nearest" });
    } else {
      box.removeAttribute("aria-activedescendant");
    }
  };
  const render = () => {
    list.innerHTML = results.map((feature, i) => `<li role="option" id="search-result-${i}"
        aria-selected="false" data-kind="${escapeHtml(feature.properties.kind)}">
        <span class="kind">${escapeHtml(t(`kind-${feature.properties.kind}`))}</span>
        <span class="label">${escapeHtml(feature.properties.label)}</span>
        <span class="where">${escapeHtml(feature.properties.municipality)}</span></li>`).join("");
    highlight(-1);  // a new list: nothing chosen in it yet
    status.textContent = results.length ? t("search-count").replace("{n}", results.length)
      : t("search-none");
    setOpen(results.length > 0);
  };
  const run = async () => {
    const text = box.value.trim();
    const ticket = ++asked;
    if (text.length < MIN_CHARS) { results = []; setOpen(false); status.textContent = ""; return; }
    try {
      const found = await getJSON(searchUrl(text));
      if (ticket !== asked) return;
      results = found.features;
      render();
    } catch (error) {
      if (ticket !== asked) return;
      results = [];
      setOpen(false);
      status.textContent = `${t("error")}: ${error.message}`;
    }
  };
  const choose = (index) => {
    const feature = results[index];
    if (!feature) return;
    setOpen(false);
    box.value = feature.properties.label;
    const [lon, lat] = feature.geometry.coordinates;
    const point = L.latLng(lat, lon);
    const still = window.matchMedia?.("(prefers-reduced-motion: reduce)").matches;
    if (feature.bbox) {
      const [west, south, east, north] = feature.bbox;
      const bounds = L.latLngBounds([south, west], [north, east]);
      if (still) map.fitBounds(bounds, { maxZoom: FLY.maxZoom, animate: false });
      else map.flyToBounds(bounds, FLY);
    } else if (still) {
      map.setView(point, FLY.maxZoom, { animate: false });
    } else {
      map.flyTo(point, FLY.maxZoom, { duration: FLY.duration });
    }
    marker?.remove();
    marker = L.circleMarker(point, { radius: 9, color: "#ff8c00", weight: 3, fill: false })
      .addTo(map);
    status.textContent = `${t(`kind-${feature.properties.kind}`)}: ${feature.properties.label}`;
    if (views.active === "planner") app.planner?.reportAt(point);
    map.fire("dimos:search-chosen", { feature });
  };

  box.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(run, DEBOUNCE_MS);
  });
  box.addEventListener("keydown", (event) => {
    const open = !list.hidden && results.length > 0;
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      if (!open) { if (results.length) { setOpen(true); highlight(0); } return; }
      const step = event.key === "ArrowDown" ? 1 : -1;
      highlight((active + step + results.length) % results.length);
    } else if (event.key === "Enter") {
      event.preventDefault();
      if (open) choose(active >= 0 ? active : 0);
    } else if (event.key === "Escape") {
      event.preventDefault();
      if (open) setOpen(false);
      else { box.value = ""; results = []; status.textContent = ""; }
    }
  });
  // a pointer picks an option without taking the focus from the box
  list.addEventListener("mousedown", (event) => event.preventDefault());
  list.addEventListener("click", (event) => {
    const option = event.target.closest("[role=option]");
    if (option) choose(Number(option.id.replace("search-result-", "")));
  });
  box.addEventListener("blur", () => setOpen(false));
  const translate = () => {
    box.placeholder = t("search-placeholder");
    if (box.value.trim().length >= MIN_CHARS && !list.hidden) run();  // labels in the new language
  };
  document.addEventListener("languagechange", translate);
  translate();
  return { choose };
}
