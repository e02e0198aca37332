// The server's APIs, same origin only.

// A signed-in session's CSRF token: every unsafe request riding on its cookie must carry it
// (dimos/sessions.py); requests with a bearer token need none.
let csrfToken = null;
const SAFE = ["GET", "HEAD", "OPTIONS"];

export function withCsrf(options = {}) {
  if (!csrfToken || SAFE.includes((options.method ?? "GET").toUpperCase())) return options;
  return { ...options, headers: { ...(options.headers ?? {}), "X-CSRF-Token": csrfToken } };
}

// the municipality the map shows (the picker, /m/<id>/): every municipal API is asked about it
let jurisdiction = null;
export function setJurisdiction(id) { jurisdiction = id ?? null; }
export function currentJurisdiction() { return jurisdiction; }
/** ``params`` with the shown municipality's jurisdiction_id (Open311, live state, parking). */
export function inJurisdiction(params = {}) {
  return jurisdiction ? { ...params, jurisdiction_id: jurisdiction } : { ...params };
}

// who is signed in (asked once per page; again after a sign-in): {signed_in, name, role, …}
let session = null;
export function currentSession({ again = false } = {}) {
  if (!session || again) {
    session = getJSON("/api/session").catch(() => ({ signed_in: false }));
    session.then((me) => { csrfToken = me.csrf_token ?? null; });
  }
  return session;
}

// single sign-on: a link per provider (TAXISnet, the town hall's SSO...), back to this page
let providers = null;
export async function signInLinks(text) {
  providers ??= getJSON("/api/session/providers").catch(() => []);
  const next = new URLSearchParams({ next: window.location.pathname });
  return (await providers).map((p) => Object.assign(document.createElement("a"), {
    className: "button", textContent: `${text} ${p.title}`, href: `${p.login}?${next}` }));
}

export async function getJSON(url, options = {}) {
  const response = await fetch(url, withCsrf(options));
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

export async function items(layer, params) {
  const query = new URLSearchParams({ f: "json", ...params });
  const found = await getJSON(`/ogc/collections/${layer}/items?${query}`);
  for (const feature of found.features ?? []) feature.properties = asSent(feature.properties);
  return found;
}

/** Properties as they were stored: pygeoapi writes < and > in its JSON as &lt; and &gt;
 * (pygeoapi.util.to_json). The map shows values as text (textNode, escapeHtml), so it takes
 * them back rather than show "&lt;" to people. */
function asSent(properties) {
  return Object.fromEntries(Object.entries(properties ?? {}).map(([key, value]) => [key,
    typeof value === "string" ? value.replaceAll("&lt;", "<").replaceAll("&gt;", ">") : value]));
}

/** A value as an element that shows it as text (for Leaflet's tooltips and popups, which read
 * a string as HTML). */
export function textNode(value) {
  const span = document.createElement("span");
  span.textContent = String(value ?? "");
  return span;
}

/** The one escape of a value written into HTML markup (innerHTML, template strings). */
export function escapeHtml(value) {
  return String(value ?? "").replace(/[&<>"']/g, (c) => (
    { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
}
