// Staff view (signed in with a token): open requests clustered, filtered, and counted per
// community; parking bays and access points are coloured by state on the layer panel.
import { escapeHtml, getJSON, items } from "./api.js";
import { currentLanguage, t } from "./i18n.js";

export function initStaff({ map, panel }) {
  let token = sessionStorage.getItem("dimos-token");
  let clusters = null;
  let heat = null;
  let districts = null;

  const signIn = async () => {
    const who = document.getElementById("whoami");
    try {
      const me = await getJSON("/api/whoami", { headers: { Authorization: `Bearer ${token}` } });
      if (!["staff", "admin"].includes(me.role)) throw new Error(me.role);
      who.textContent = `${t("signed-in")}: ${me.name} (${me.role})`;
      sessionStorage.setItem("dimos-token", token);
      document.getElementById("staff-filters").hidden = false;
      await loadChoices();
      panel.toggle("parking_bays", true);
      panel.toggle("wifi_access_points", true);
      await load();
    } catch (error) {
      who.textContent = t("signin-failed");
      sessionStorage.removeItem("dimos-token");
    }
  };

  const loadChoices = async () => {
    const services = await getJSON("/open311/v2/services.json");
    const category = document.getElementById("f-category");
    category.append(...services.map((s) => new Option(
      currentLanguage() === "en" ? s.service_name_en : s.service_name, s.service_code)));
    districts = await items("districts", { limit: 100 });
    const district = document.getElementById("f-district");
    district.append(...districts.features.map((f) => new Option(f.properties.name, f.properties.district_code)));
  };

  const filter = () => {
    const quote = (v) => `'${v.replaceAll("'", "''")}'`;
    const statuses = document.getElementById("f-status").value.split(",");
    const clauses = [`status IN (${statuses.map(quote).join(", ")})`];
    const category = document.getElementById("f-category").value;
    const district = document.getElementById("f-district").value;
    const from = document.getElementById("f-from").value;
    const to = document.getElementById("f-to").value;
    if (category) clauses.push(`service_code = ${quote(category)}`);
    if (district) clauses.push(`district_code = ${quote(district)}`);
    if (from) clauses.push(`requested_at >= TIMESTAMP('${from}T00:00:00Z')`);
    if (to) clauses.push(`requested_at <= TIMESTAMP('${to}T23:59:59Z')`);
    return clauses.join(" AND ");
  };

  const load = async () => {
    const found = await items("service_requests", { limit: 10000, filter: filter() });
    clusters?.remove();
    clusters = L.markerClusterGroup({ chunkedLoading: true });
    const counts = {};
    for (const f of found.features) {
      const [lng, lat] = f.geometry.coordinates;
      const p = f.properties;
      counts[p.district_code] = (counts[p.district_code] ?? 0) + 1;
      clusters.addLayer(L.marker([lat, lng], { title: `${p.service_request_id} ${p.service_name}` })
        .bindPopup(`<strong>${escapeHtml(p.service_request_id)}</strong><br>${escapeHtml(p.service_name)}
          <br>${escapeHtml(p.status)} · ${escapeHtml(p.requested_at)}<br>${escapeHtml(p.agency_responsible ?? "")}`));
    }
    clusters.addTo(map);
    document.getElementById("staff-count").innerHTML =
      `<span class="count">${found.features.length}</span> ${t("open-requests")}`;
    const names = Object.fromEntries(districts.features.map((f) => [f.properties.district_code, f.properties.name]));
    document.getElementById("district-counts").innerHTML = Object.entries(counts)
      .sort((a, b) => b[1] - a[1]).slice(0, 10)
      .map(([code, n]) => `<li>${escapeHtml(names[code] ?? code)}: ${n}</li>`).join("");
    drawHeat(counts);
  };

  const drawHeat = (counts) => {
    heat?.remove();
    heat = null;
    if (!document.getElementById("f-heat").checked) return;
    const max = Math.max(1, ...Object.values(counts));
    heat = L.geoJSON(districts, { style: (f) => {
      const share = (counts[f.properties.district_code] ?? 0) / max;
      return { color: "#7f0000", weight: 1, fillColor: "#d7301f", fillOpacity: 0.05 + 0.6 * share };
    } }).addTo(map);
  };

  document.getElementById("signin").addEventListener("submit", (event) => {
    event.preventDefault();
    token = document.getElementById("token").value.trim();
    signIn();
  });
  document.getElementById("staff-filters").addEventListener("submit", (event) => {
    event.preventDefault();
    load();
  });
  document.getElementById("f-heat").addEventListener("change", () => load());
  if (token) signIn();
}
