// Citizen view: report a problem (seeing open requests nearby first), follow one, find
// the nearest free bay, car park, WiFi hotspot or refuge area.
import { currentSession, escapeHtml, execute, getJSON, inJurisdiction, signInLinks } from "./api.js";
import { currentLanguage, t } from "./i18n.js";
import { asForm, forget, keep, waiting } from "./outbox.js";
import { choiceTitle } from "./vocabulary.js";

const statusTitle = (code) => choiceTitle("service_requests", "status", code);

const OPEN311 = "/open311/v2";
// the municipality's requests of the last days, newest first, listed and drawn
const RECENT_DAYS = 30;
const RECENT_SHOWN = 10;
const RETRY_MS = 5000;  // the outbox tries again this soon after a failed send
const query = (params = {}) => new URLSearchParams(inJurisdiction(params));
// bays by walking distance along the streets, car parks with room by car, each with its route
// (live state); the rest as the crow flies
const NEAREST = {
  bays: { process: "parking-nearest-free", label: (p) => `${p.bay_id} ${p.street ?? ""}`,
          distance: (p) => `${p.walk_m} ${t("m")} ${t("on-foot")}` },
  lots: { process: "parking-drive-to-car-park", label: (p) => `${p.name} (${p.free_spaces})`,
          distance: (p) => `${Math.max(1, Math.round(p.drive_s / 60))} ${t("minutes")} ${t("by-car")}, ${p.drive_m} ${t("m")}` },
  wifi: { layer: "wifi_access_points", filter: "status = 'up'", label: (p) => p.name },
  refuge: { layer: "refuge_areas", filter: null, label: (p) => p.name },
};

export function initCitizen({ map, views }) {
  let pin = null;
  let found = null;
  const services = document.getElementById("service");

  const loadServices = async () => {
    const list = await getJSON(`${OPEN311}/services.json?${query()}`);
    const chosen = services.value;
    services.replaceChildren(...list.map((s) => new Option(
      currentLanguage() === "en" ? s.service_name_en : s.service_name, s.service_code)));
    if (chosen) services.value = chosen;
  };
  loadServices();
  document.addEventListener("languagechange", loadServices);

  const showNearby = async () => {
    const target = document.getElementById("nearby");
    if (!pin) return;
    const { lat, lng } = pin.getLatLng();
    try {
      const nearby = await getJSON(`${OPEN311}/requests/nearby.json?${query({
        service_code: services.value, lat, long: lng })}`);
      target.innerHTML = nearby.length ? `<p>${t("nearby-some")}</p><ul>${nearby.map((r) =>
        `<li><button type="button" class="link" data-follow="${escapeHtml(r.service_request_id)}">
          ${escapeHtml(r.service_request_id)}</button> ${escapeHtml(r.service_name)},
          ${escapeHtml(r.distance_m)} ${t("m")}</li>`).join("")}</ul>` : `<p>${t("nearby-none")}</p>`;
    } catch (error) {
      target.textContent = `${t("error")}: ${error.message}`;
    }
  };

  // one key per report: sent again after an error (no answer, a node lost), it is filed once;
  // any change to the report makes it a new one (getRandomValues: randomUUID needs https)
  let reportKey = null;
  const newKey = () => [...crypto.getRandomValues(new Uint8Array(16))]
    .map((b) => b.toString(16).padStart(2, "0")).join("");
  for (const type of ["input", "change"]) {
    document.getElementById("report-form").addEventListener(type, () => { reportKey = null; });
  }
  const place = (latlng) => {
    reportKey = null;  // another place: another report
    pin?.remove();
    pin = L.marker(latlng, { keyboard: true, title: t("pin-set") }).addTo(map);
    document.getElementById("pin").textContent =
      `${t("pin-set")}: ${latlng.lat.toFixed(5)}, ${latlng.lng.toFixed(5)}`;
    showNearby();
  };
  map.on("click", (event) => { if (views.active === "citizen") place(event.latlng); });
  document.getElementById("pin-centre").addEventListener("click", () => place(map.getCenter()));
  services.addEventListener("change", showNearby);
  document.getElementById("locate-me").addEventListener("click", () => {
    navigator.geolocation?.getCurrentPosition(
      (p) => { const at = L.latLng(p.coords.latitude, p.coords.longitude); map.setView(at, 17); place(at); },
      (error) => { document.getElementById("pin").textContent = `${t("error")}: ${error.message}`; });
  });

  const result = document.getElementById("report-result");
  const outbox = document.getElementById("outbox");
  const sent = [];  // reports the outbox sent in this visit: {title, number}
  const showOutbox = async () => {
    const kept = await waiting();
    outbox.innerHTML = [
      ...kept.map((r) => `<li data-state="waiting">${escapeHtml(r.title)} (${escapeHtml(new Date(r.created).toLocaleString(currentLanguage()))}) — ${t("outbox-waiting")}</li>`),
      ...sent.map((r) => `<li data-state="${r.number ? "sent" : "refused"}">${escapeHtml(r.title)} — ${r.number
        ? `${t("outbox-sent")} <strong class="request-id">${escapeHtml(r.number)}</strong>`
        : `${t("outbox-refused")}: ${escapeHtml(r.reason)}`}</li>`)].join("");
    document.getElementById("outbox-title").hidden = !outbox.children.length;
  };
  const send = (report) => getJSON(`${OPEN311}/requests.json`, {
    method: "POST", body: asForm(report), headers: { "Idempotency-Key": `"${report.key}"` } });
  const filed = (made) => {
    document.getElementById("follow-id").value = made.service_request_id;
    follow(made.service_request_id);  // the citizen sees it appear, with its status
    showMine();
    showRecent();
  };
  // the reports kept offline, sent one by one while the connection holds; a refused one is
  // shown with the reason and dropped (sending it again would not change the answer)
  let flushing = false;
  const flush = async () => {
    if (flushing || !navigator.onLine) return;
    flushing = true;
    try {
      for (const report of await waiting()) {
        try {
          const [made] = await send(report);
          sent.push({ title: report.title, number: made.service_request_id });
          await forget(report.key);
          filed(made);
        } catch (error) {
          if (error instanceof TypeError) break;  // no connection after all: later
          sent.push({ title: report.title, reason: error.message });
          await forget(report.key);
        }
      }
    } finally {
      flushing = false;
      await showOutbox();
    }
  };
  window.addEventListener("online", flush);
  setInterval(flush, RETRY_MS * 6);
  showOutbox().then(flush);

  document.getElementById("report-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!pin) { result.textContent = t("need-pin"); return; }
    reportKey ??= newKey();
    const form = new FormData(event.target);
    const { lat, lng } = pin.getLatLng();
    form.set("lat", lat); form.set("long", lng);
    // the server refuses a point outside the municipality named here
    for (const [key, value] of Object.entries(inJurisdiction())) form.set(key, value);
    for (const key of [...form.keys()]) if (form.get(key) === "") form.delete(key);
    const report = {
      key: reportKey, created: new Date().toISOString(),
      title: services.selectedOptions[0]?.textContent ?? services.value,
      fields: [...form.entries()].filter(([, value]) => typeof value === "string"),
      photos: form.getAll("media").filter((file) => file.size > 0),
    };
    const keepForLater = async () => {
      await keep(report);
      reportKey = null;
      result.textContent = t("kept-offline");
      event.target.reset();
      loadServices();
      await showOutbox();
      setTimeout(flush, RETRY_MS);  // a connection that only dropped an answer comes back soon
    };
    if (!navigator.onLine) { await keepForLater(); return; }
    try {
      const [made] = await send(report);
      reportKey = null;
      result.innerHTML = `${t("sent")}: <strong class="request-id">${escapeHtml(made.service_request_id)}</strong>.
        ${escapeHtml(made.service_notice)}`;
      event.target.reset();
      loadServices();
      filed(made);
    } catch (error) {
      if (error instanceof TypeError) await keepForLater();  // the network failed, not the report
      else result.textContent = `${t("error")}: ${error.message}`;
    }
  });

  const follow = async (number) => {
    const target = document.getElementById("follow-result");
    try {
      const [request] = await getJSON(`${OPEN311}/requests/${encodeURIComponent(number)}.json?${query()}`);
      const updates = await getJSON(`${OPEN311}/servicerequestupdates.json?${query({ service_request_id: number })}`);
      target.innerHTML = `<p><strong>${escapeHtml(request.service_request_id)}</strong>:
          ${escapeHtml(request.service_name)} — <span class="status">${escapeHtml(statusTitle(request.detailed_status))}</span></p>
        <ol>${updates.map((u) => `<li>${escapeHtml(u.updated_datetime)} ${escapeHtml(statusTitle(u.detailed_status))}
          ${escapeHtml(u.description ?? "")}</li>`).join("")}</ol>`;
      map.setView([request.lat, request.long], 18);
    } catch (error) {
      target.textContent = `${t("not-found")}: ${error.message}`;
    }
  };
  // a signed-in citizen's own requests, with the notes the services left for them alone;
  // otherwise the ways to sign in (TAXISnet...)
  const showMine = async () => {
    const target = document.getElementById("my-requests");
    const me = await currentSession();
    if (!me.signed_in) {
      const links = await signInLinks(t("signin-with"));
      const row = Object.assign(document.createElement("p"), { className: "row" });
      row.append(...links);
      target.replaceChildren(...(links.length ? [
        Object.assign(document.createElement("p"), { textContent: t("sign-in-to-follow") }), row] : []));
      return;
    }
    const { requests } = await getJSON("/api/my/requests");
    target.innerHTML = requests.length ? `<ol>${requests.map((r) => `<li class="my-request">
        <strong>${escapeHtml(r.service_request_id)}</strong> ${escapeHtml(r.service_name)} —
        <span class="status">${escapeHtml(statusTitle(r.status))}</span>
        ${(r.history ?? []).filter((h) => h.private_note).map((h) =>
          `<p class="note-for-you">${t("note-for-you")}: ${escapeHtml(h.private_note)}</p>`).join("")}</li>`).join("")}</ol>`
      : `<p>${t("no-requests")}</p>`;
  };
  showMine().catch(() => {});

  // the shown municipality's recent requests (public, as Open311 lists them), drawn too
  let recent = null;
  const showRecent = async () => {
    const target = document.getElementById("municipality-requests");
    const since = new Date(Date.now() - RECENT_DAYS * 86400e3).toISOString();
    try {
      const found = (await getJSON(`${OPEN311}/requests.json?${query({ start_date: since })}`))
        .slice(0, RECENT_SHOWN);
      recent?.remove();
      recent = L.layerGroup(found.map((r) => L.circleMarker([r.lat, r.long], {
        radius: 7, color: "#6a3d9a", requestId: r.service_request_id }))).addTo(map);
      target.innerHTML = found.length ? found.map((r) => `<li class="recent-request">
          <button type="button" class="link" data-follow="${escapeHtml(r.service_request_id)}">
          ${escapeHtml(r.service_request_id)}</button> ${escapeHtml(r.service_name)} —
          <span class="status">${escapeHtml(statusTitle(r.detailed_status))}</span></li>`).join("")
        : `<li>${t("no-requests")}</li>`;
    } catch (error) {
      target.textContent = `${t("error")}: ${error.message}`;
    }
    document.body.dataset.recentRequests = String(recent?.getLayers().length ?? 0);
  };
  showRecent();
  document.getElementById("municipality-requests").addEventListener("click", (event) => {
    const number = event.target.closest("[data-follow]")?.dataset.follow;
    if (number) { document.getElementById("follow-id").value = number; follow(number); }
  });

  // another municipality: its services, its requests; a pin or answer from the last one goes
  document.addEventListener("jurisdictionchange", () => {
    pin?.remove();
    pin = null;
    for (const id of ["pin", "nearby", "follow-result", "report-result"]) {
      document.getElementById(id).replaceChildren();
    }
    services.replaceChildren();
    loadServices();
    showRecent();
  });

  document.getElementById("follow-form").addEventListener("submit", (event) => {
    event.preventDefault();
    follow(document.getElementById("follow-id").value.trim());
  });
  document.getElementById("nearby").addEventListener("click", (event) => {
    const number = event.target.closest("[data-follow]")?.dataset.follow;
    if (number) { document.getElementById("follow-id").value = number; follow(number); }
  });

  for (const button of document.querySelectorAll("[data-nearest]")) {
    button.addEventListener("click", async () => {
      const what = NEAREST[button.dataset.nearest];
      const from = pin?.getLatLng() ?? map.getCenter();
      const list = document.getElementById("nearest");
      try {
        const location = { type: "Point", coordinates: [from.lng, from.lat] };
        const answer = what.process
          ? await execute(what.process, { count: 5, location })
          : await execute("nearest", {
            layer: what.layer, count: 5, ...(what.filter ? { filter: what.filter } : {}), location });
        found?.remove();
        found = L.geoJSON(answer, { pointToLayer: (f, at) => L.circleMarker(at, { radius: 8, color: "#2b83ba" }) }).addTo(map);
        list.innerHTML = answer.features.map((f) => `<li><span class="name">${escapeHtml(what.label(f.properties))}</span>
          — <span class="distance">${escapeHtml(what.distance ? what.distance(f.properties) : `${f.properties.distance_m} ${t("m")}`)}</span></li>`).join("");
      } catch (error) {
        list.textContent = `${t("error")}: ${error.message}`;
      }
    });
  }
}
