// The server's APIs, same origin only.
export async function getJSON(url, options = {}) {
  const response = await fetch(url, options);
  const body = await response.json().catch(() => null);
  if (!response.ok) {
    const message = Array.isArray(body) ? body[0]?.description : body?.description;
    throw new Error(message || `${response.status}`);
  }
  return body;
}

export function execute(process, inputs) {
  return getJSON(`/ogc/processes/${process}/execution`, {
    method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ inputs }),
  });
}

export function items(layer, params) {
  const query = new URLSearchParams({ f: "json", ...params });
  return getJSON(`/ogc/collections/${layer}/items?${query}`);
}

export function escapeHtml(value) {
  return String(value ?? "").replace(/[&<>"']/g, (c) => (
    { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
}
