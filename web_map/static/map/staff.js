// Staff view (signed in with an account, single sign-on or a token): open requests clustered,
// filtered, and counted per community; parking bays and access points coloured by state.
import { currentSession, escapeHtml, execute, getJSON, items, signInLinks, textNode, withCsrf } from "./api.js";
import { currentLanguage, t } from "./i18n.js";
import { initCharts } from "./charts.js";
import { initPublish } from "./publish.js";
import { choiceTitle } from "./vocabulary.js";

export function initStaff({ map, panel, config }) {
  // a token rides in a header; an account's session in its cookie, with the CSRF token for
  // unsafe requests (dimos/sessions.py)
  let token = sessionStorage.getItem("dimos-token");
  let signedIn = false;
  let clusters = null;
  let heat = null;
  let districts = null;
  let me = null;
  let charts = null;
  const authHeaders = () => (token ? { Authorization: `Bearer ${token}` } : {});
  // staff work in their own municipalities whatever the map shows: the shown one when their
  // role holds there, else their first (a Chania clerk on Rethymno's map lists Chania's)
  const actingIn = () => {
    const shown = config.jurisdiction?.id ?? null;
    if (!me || me.everywhere || me.municipalities.includes(shown)) return shown;
    return me.municipalities[0] ?? shown;
  };
  const ofActing = (params = {}) => {
    const acting = actingIn();
    return acting ? { ...params, jurisdiction_id: acting } : { ...params };
  };
  const query = (params = {}) => new URLSearchParams(ofActing(params));

  const signIn = async ({ quiet = false } = {}) => {
    const who = document.getElementById("whoami");
    me = token ? await getJSON("/api/session", { headers: authHeaders() }).catch(() => ({}))
      : await currentSession({ again: true });
    if (!me.signed_in || !config.roles.staff.includes(me.role)) {
      me = null;
      if (!quiet) who.textContent = t("signin-failed");
      token = null;
      sessionStorage.removeItem("dimos-token");
      return;
    }
    if (signedIn) return;
    signedIn = true;
    try {
      who.textContent = `${t("signed-in")}: ${me.name} (${me.role})`;
      if (token) sessionStorage.setItem("dimos-token", token);
      document.getElementById("signout").hidden = false;
      document.getElementById("staff-filters").hidden = false;
      document.getElementById("crew-tools").hidden = false;
      initPublish({ map, panel, authHeaders, actingIn });
      await loadChoices();
      panel.toggle("parking_bays", true);
      panel.toggle("wifi_access_points", true);
      await load();
      await loadUnpaid();
      charts = initCharts({ authHeaders, actingIn });
      await charts.drawAll();
    } catch (error) {
      who.textContent = `${t("error")}: ${error.message}`;
    }
  };

  const signInWithPassword = async () => {
    token = null;
    try {
      await getJSON("/api/session", {
        method: "POST", headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ username: document.getElementById("username").value,
                               password: document.getElementById("password").value }),
      });
    } catch (error) {
      document.getElementById("whoami").textContent = t("signin-failed");
      return;
    }
    document.getElementById("password").value = "";
    await signIn();
  };

  const signOut = async () => {
    if (!token) await fetch("/api/session", withCsrf({ method: "DELETE" }));
    sessionStorage.removeItem("dimos-token");
    window.location.reload();
  };

  const listProviders = async () => {
    document.getElementById("sso").replaceChildren(...await signInLinks(t("signin-with")));
  };

  const loadChoices = async () => {
    const services = await getJSON(`/open311/v2/services.json?${query()}`);
    const category = document.getElementById("f-category");
    category.replaceChildren(category.options[0]);
    category.append(...services.map((s) => new Option(
      currentLanguage() === "en" ? s.service_name_en : s.service_name, s.service_code)));
    districts = await items("districts", ofActing({ limit: 100 }));
    const district = document.getElementById("f-district");
    district.replaceChildren(district.options[0]);
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
    const found = await items("service_requests", ofActing({ limit: 10000, filter: filter() }));
    document.body.dataset.staffJurisdiction = actingIn() ?? "";
    clusters?.remove();
    clusters = L.markerClusterGroup({ chunkedLoading: true });
    const counts = {};
    for (const f of found.features) {
      const [lng, lat] = f.geometry.coordinates;
      const p = f.properties;
      counts[p.district_code] = (counts[p.district_code] ?? 0) + 1;
      clusters.addLayer(L.marker([lat, lng], { title: `${p.service_request_id} ${p.service_name}`,
                                               staffRequest: p.service_request_id })
        .bindPopup(`<strong>${escapeHtml(p.service_request_id)}</strong><br>${escapeHtml(p.service_name)}
          <br>${escapeHtml(choiceTitle("service_requests", "status", p.status))} · ${escapeHtml(p.requested_at)}<br>${escapeHtml(p.agency_responsible ?? "")}`));
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

  // occupied paying bays with no paid session (the wardens' list), kept current as bays change
  let unpaid = null;
  const loadUnpaid = async () => {
    const found = await getJSON(`/api/parking/violations?${query()}`, { headers: authHeaders() });
    unpaid?.remove();
    unpaid = L.geoJSON(found, {
      style: { color: "#000000", weight: 3, dashArray: "3 3", fillColor: "#d73027", fillOpacity: 0.9 },
      onEachFeature: (f, layer) => layer.bindTooltip(
        `${t("unpaid")}: ${escapeHtml(f.properties.bay_id)} ${escapeHtml(f.properties.street ?? "")} · ${escapeHtml(f.properties.occupied_min)}′`),
    }).addTo(map);
    document.getElementById("unpaid-count").innerHTML =
      `<span class="count">${found.features.length}</span> ${t("unpaid-bays")}`;
  };
  let refresh = null;
  document.addEventListener("livechange", () => {
    if (!signedIn || refresh) return;
    refresh = setTimeout(() => { refresh = null; loadUnpaid().catch(() => {}); }, 2000);
  });

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

  let hulls = null;
  let routes = null;
  document.getElementById("show-clusters").addEventListener("click", async () => {
    const found = await execute("request-clusters", {
      eps: Number(document.getElementById("cluster-eps").value), min_points: 3, filter: filter(),
      ...(actingIn() ? { jurisdiction: actingIn() } : {}) });
    hulls?.remove();
    hulls = L.geoJSON(found, { style: { color: "#6a3d9a", weight: 2, fillOpacity: 0.2 } })
      .bindTooltip((layer) => textNode(`${layer.feature.properties.size}: ${layer.feature.properties.categories.join(", ")}`))
      .addTo(map);
    document.getElementById("routes").innerHTML =
      `<p><span class="cluster-count">${found.features.length}</span> ${t("clusters")}</p>`;
  });

  const openSheet = async (route, format) => {
    const response = await fetch(`/api/route-sheet?format=${format}`, withCsrf({
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(route) }));
    const url = URL.createObjectURL(await response.blob());
    if (format === "html") window.open(url, "_blank");
    else Object.assign(document.createElement("a"), { href: url, download: `crew-${route.crew}.gpx` }).click();
  };

  document.getElementById("plan-routes").addEventListener("click", async () => {
    const output = document.getElementById("routes");
    const day = new Date().toISOString().slice(0, 10);
    const zone = (() => { const m = -new Date().getTimezoneOffset(); const s = m >= 0 ? "+" : "-";
      return `${s}${String(Math.floor(Math.abs(m) / 60)).padStart(2, "0")}:${String(Math.abs(m) % 60).padStart(2, "0")}`; })();
    const depot = map.getCenter();
    const skills = [...document.getElementById("f-category").options].map((o) => o.value).filter(Boolean);
    const crews = Array.from({ length: Number(document.getElementById("crew-count").value) }, (_, i) => ({
      id: String(i + 1), depot: { type: "Point", coordinates: [depot.lng, depot.lat] }, skills,
      shift_start: `${day}T${document.getElementById("shift-start").value}:00${zone}`,
      shift_end: `${day}T${document.getElementById("shift-end").value}:00${zone}` }));
    output.setAttribute("aria-busy", "true");
    try {
      const plan = await execute("plan-crew-routes", { crews, filter: filter(), time_limit_s: 10,
        ...(actingIn() ? { jurisdiction: actingIn() } : {}) });
      routes?.remove();
      routes = L.layerGroup().addTo(map);
      const colours = ["#e41a1c", "#377eb8", "#4daf4a", "#984ea3", "#ff7f00", "#a65628"];
      plan.routes.forEach((route, i) => {
        const colour = colours[i % colours.length];
        L.geoJSON(route.route, { style: { color: colour, weight: 4 } }).addTo(routes);
        for (const stop of route.stops) {
          L.marker([stop.location[1], stop.location[0]], { icon: L.divIcon({
            className: "stop", html: `<span style="background:${colour}">${escapeHtml(stop.order)}</span>` }) })
            .bindTooltip(textNode(`${t("crew")} ${route.crew}: ${stop.order}. ${stop.request} ${stop.arrival.slice(11, 16)}`))
            .addTo(routes);
        }
      });
      output.innerHTML = `<ul>${plan.routes.map((r, i) => `<li class="crew-route">${t("crew")} ${escapeHtml(r.crew)}:
          ${escapeHtml(r.stops.length)} ${t("stops")}, ${escapeHtml(Math.round(r.drive_s / 60))}′ ${t("drive")}
          <button type="button" class="link" data-sheet="${i}" data-format="html">${t("sheet")}</button>
          <button type="button" class="link" data-sheet="${i}" data-format="gpx">GPX</button></li>`).join("")}</ul>
        <p>${t("unassigned")}: ${plan.unassigned.length}</p>`;
      output.onclick = (event) => {
        const button = event.target.closest("[data-sheet]");
        if (button) openSheet(plan.routes[Number(button.dataset.sheet)], button.dataset.format);
      };
    } catch (error) {
      output.textContent = `${t("error")}: ${error.message}`;
    } finally {
      output.removeAttribute("aria-busy");
    }
  });

  document.getElementById("signin").addEventListener("submit", (event) => {
    event.preventDefault();
    signInWithPassword();
  });
  document.getElementById("signin-token").addEventListener("submit", (event) => {
    event.preventDefault();
    token = document.getElementById("token").value.trim();
    signIn();
  });
  document.getElementById("signout").addEventListener("click", signOut);
  document.getElementById("staff-filters").addEventListener("submit", (event) => {
    event.preventDefault();
    load();
  });
  document.getElementById("f-heat").addEventListener("change", () => load());
  document.addEventListener("jurisdictionchange", async () => {
    if (!signedIn) return;
    await loadChoices();
    await load();
    await loadUnpaid();
    await charts?.drawAll();
  });
  listProviders();
  signIn({ quiet: !token });  // a token kept for this tab, or a session cookie: signed in already
}
