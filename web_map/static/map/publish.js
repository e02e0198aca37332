// Staff view: publish a file as a layer. Upload → the preview (fields, types, geometry, CRS,
// the first features on the map) → the key, private fields, titles, colour, editors → publish;
// the new layer is then listed in the layers panel and drawn (POST /api/layers).
import { escapeHtml, getJSON } from "./api.js";
import { t } from "./i18n.js";

export function initPublish({ map, panel, authHeaders, actingIn }) {
  const form = document.getElementById("publish-form");
  const fields = document.getElementById("publish-fields");
  const details = document.getElementById("publish-details");
  const result = document.getElementById("publish-result");
  let preview = null;

  const upload = () => {
    const body = new FormData();
    body.append("file", document.getElementById("publish-file").files[0]);
    return body;
  };

  const showPreview = async () => {
    result.textContent = "";
    if (!document.getElementById("publish-file").files.length) {
      result.textContent = t("publish-choose-file");
      return;
    }
    try {
      const found = await getJSON("/api/layers/preview", {
        method: "POST", headers: authHeaders(), body: upload() });
      fields.innerHTML = `<p id="publish-summary">${escapeHtml(t("publish-summary")
        .replace("{count}", found.features).replace("{geometry}", found.geometry_type)
        .replace("{crs}", found.crs))}</p>
        <table><thead><tr><th>${escapeHtml(t("column"))}</th><th>${escapeHtml(t("field"))}</th>
          <th>${escapeHtml(t("type"))}</th><th>${escapeHtml(t("key"))}</th>
          <th>${escapeHtml(t("private"))}</th></tr></thead><tbody>
        ${found.fields.map((f, n) => `<tr data-field="${escapeHtml(f.name)}">
          <td>${escapeHtml(f.column)}</td><td><code>${escapeHtml(f.name)}</code></td>
          <td>${escapeHtml(f.type)}</td>
          <td><input type="radio" name="key" value="${escapeHtml(f.name)}" ${n === 0 ? "checked" : ""}
                     aria-label="${escapeHtml(`${t("key")}: ${f.name}`)}"></td>
          <td><input type="checkbox" name="private" value="${escapeHtml(f.name)}"
                     aria-label="${escapeHtml(`${t("private")}: ${f.name}`)}"></td></tr>`).join("")}
        </tbody></table>`;
      details.hidden = false;
      if (preview) map.removeLayer(preview);
      if (found.sample?.features?.length) {
        preview = L.geoJSON(found.sample, { pointToLayer: (_, at) => L.circleMarker(at, { radius: 4 }) })
          .addTo(map);
        map.fitBounds(preview.getBounds(), { maxZoom: 17 });
      }
    } catch (error) {
      result.textContent = `${t("error")}: ${error.message}`;
    }
  };

  const publish = async (event) => {
    event.preventDefault();
    const body = new FormData(form);
    const acting = actingIn();
    if (acting) body.append("jurisdiction", acting);
    result.textContent = t("publishing");
    try {
      const made = await getJSON("/api/layers", { method: "POST", headers: authHeaders(), body });
      result.textContent = t("published").replace("{id}", made.id).replace("{count}", made.added);
      if (preview) { map.removeLayer(preview); preview = null; }
      // every worker has it within 2 s (each asks the catalogue's version once a second):
      // its tiles are asked of them all, so it is drawn after that
      const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
      await sleep(2000);
      for (let attempt = 0; attempt < 10; attempt += 1) {
        const { layers } = await getJSON("/api/legend");
        const entry = layers.find((e) => e.id === made.id);
        if (entry) { panel.add(entry); break; }
        await sleep(300);
      }
    } catch (error) {
      result.textContent = `${t("error")}: ${error.message}`;
    }
  };

  document.getElementById("publish-preview").addEventListener("click", showPreview);
  form.addEventListener("submit", publish);
  document.getElementById("publish-layer").hidden = false;
}
