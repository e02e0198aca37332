// Live state (Server-Sent Events from /api/live): bays, access points and junctions' traffic
// restyled on the map as their sensors report, and a one-line summary for citizens. The stream opens with the
// current state of everything, then sends changes; the browser reconnects by itself.
import { inJurisdiction } from "./api.js";
import { t } from "./i18n.js";

//: the attribute naming a feature in a live layer's tiles, and the state fields a change sets
export const LIVE_IDS = { parking_bays: "bay_id", wifi_access_points: "ap_id", traffic_cameras: "camera_id" };
const FIELDS = {
  parking_bays: (c) => ({ occupancy_state: c.state }),
  wifi_access_points: (c) => ({ status: c.status, clients_now: c.clients_now }),
  traffic_cameras: (c) => ({ flow_level: c.flow_level }),
};

export function initLive({ panel, styleFor }) {
  const state = { parking_bays: new Map(), parking_lots: new Map(), wifi_access_points: new Map(),
                  traffic_cameras: new Map() };
  const line = document.getElementById("live-status");

  const summarise = () => {
    const bays = [...state.parking_bays.values()].filter((b) => b.state === "free").length;
    const lots = [...state.parking_lots.values()].reduce((sum, l) => sum + (l.free_spaces ?? 0), 0);
    line.textContent = t("live-status").replace("{bays}", bays).replace("{lots}", lots);
    document.body.dataset.liveFreeBays = String(bays);
  };

  const restyle = (layerId, change) => {
    const layer = panel.state[layerId]?.layer;
    if (!layer?.setFeatureStyle || !FIELDS[layerId]) return;
    layer.setFeatureStyle(change.id, styleFor(layerId)(FIELDS[layerId](change)));
  };

  let source = null;
  const connect = () => {
    // the shown municipality's state (several in one installation: it must be named)
    source = new EventSource(`/api/live?${new URLSearchParams(inJurisdiction())}`);
    source.addEventListener("snapshot", (event) => {
      const snapshot = JSON.parse(event.data);
      for (const [layerId, rows] of Object.entries(snapshot)) {
        state[layerId] = new Map(rows.map((row) => [row.id, row]));
      }
      summarise();
    });
    source.addEventListener("change", (event) => {
      for (const change of JSON.parse(event.data)) {
        state[change.layer]?.set(change.id, { ...state[change.layer].get(change.id), ...change });
        restyle(change.layer, change);
      }
      summarise();
      document.dispatchEvent(new CustomEvent("livechange"));
      document.body.dataset.liveChanges = String(Number(document.body.dataset.liveChanges ?? 0) + 1);
    });
    source.addEventListener("resync", () => { source.close(); connect(); });
    source.addEventListener("error", () => { line.textContent = t("live-offline"); });
  };
  connect();
  document.addEventListener("jurisdictionchange", () => { source.close(); connect(); });
  return state;
}
