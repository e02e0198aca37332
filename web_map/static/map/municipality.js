// The municipality the map shows: read from the path (/m/chania/), chosen with the picker
// (the path follows, history.pushState), or the server's choice (host name, setting). Every
// view listens for "jurisdictionchange" and reloads what it lists.
import { getJSON, setJurisdiction } from "./api.js";
import { currentLanguage, setMunicipality } from "./i18n.js";

const PATH = /^\/m\/([a-z][a-z0-9_]*)\/?$/;

export function jurisdictionInPath(path = window.location.pathname) {
  return PATH.exec(path)?.[1] ?? null;
}

export function loadConfig(jurisdiction) {
  const query = jurisdiction ? `?${new URLSearchParams({ jurisdiction })}` : "";
  return getJSON(`/api/config${query}`);
}

function showLogo(shown) {
  const logo = document.getElementById("logo");
  const src = shown?.branding?.logo;
  logo.hidden = !src;
  if (src) logo.src = src; else logo.removeAttribute("src");
}

/** Show ``config``'s municipality: title, logo, picker, centre; then tell the views. */
export function showMunicipality(app, config, { move = true } = {}) {
  const shown = config.jurisdiction;
  app.config.jurisdiction = shown;
  setJurisdiction(shown?.id);
  setMunicipality(shown);
  showLogo(shown);
  document.getElementById("municipality").value = shown?.id ?? "";
  document.body.dataset.jurisdiction = shown?.id ?? "";
  if (move) {
    const go = () => app.map.setView(config.centre, config.zoom, { animate: false });
    // Leaflet ignores a setView while a zoom animates (a request just followed): after it
    if (app.map._animatingZoom) app.map.once("zoomend", go); else go();
  }
  document.dispatchEvent(new CustomEvent("jurisdictionchange", { detail: shown }));
}

export function initMunicipalityPicker(app) {
  const picker = document.getElementById("municipality");
  const fill = () => {
    const chosen = app.config.jurisdiction?.id;
    picker.replaceChildren(...app.config.municipalities.map((m) => new Option(
      m[`name_${currentLanguage()}`], m.id, false, m.id === chosen)));
  };
  fill();
  document.getElementById("municipality-picker").hidden = app.config.municipalities.length < 2;
  document.addEventListener("languagechange", fill);
  const open = async (jurisdiction) => {
    showMunicipality(app, { ...app.config, ...await loadConfig(jurisdiction) });
  };
  picker.addEventListener("change", async () => {
    window.history.pushState({ jurisdiction: picker.value }, "", `/m/${picker.value}/`);
    await open(picker.value);
  });
  // back and forward: the municipality of the path (the server's choice at /)
  window.addEventListener("popstate", () => open(jurisdictionInPath()));
}
