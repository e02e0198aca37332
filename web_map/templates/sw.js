// The map's service worker (web_map/offline.py serves it at /sw.js, for the whole map): the
// page, its scripts and styles cached on install; then each GET of the map's public data
// network first, the cache answering only when the network does not, so that the map opens
// offline on the last area viewed. Reports written offline wait in the page's outbox
// (outbox.js), not here: the worker never touches a POST.
const CACHE = "dimos-{{ version }}";
const SHELL = {{ shell | tojson }};
// what may be kept on the device: the map and public data, never a signed-in answer
const KEPT = [/^\/$/, /^\/m\/[^/]+\/$/, /^\/manifest\.webmanifest$/, /^\/assets\//, /^\/vendor\//,
              /^\/ogc\/collections\/[^/]+\/(tiles|items)\b/,
              /^\/api\/(config|legend|scanned-plans|plan-versions)$/, /^\/open311\/v2\/services\.json$/];
const MAX_ENTRIES = 3000;  // tiles of a few neighbourhoods at every zoom

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(caches.keys()
    .then((names) => Promise.all(names.filter((n) => n.startsWith("dimos-") && n !== CACHE)
      .map((n) => caches.delete(n))))
    .then(() => self.clients.claim()));
});

function kept(request) {
  const url = new URL(request.url);
  return request.method === "GET" && url.origin === self.location.origin
    && !request.headers.has("Authorization") && KEPT.some((path) => path.test(url.pathname));
}

// the oldest entries past MAX_ENTRIES go, looked at every TRIM_EVERY writes (listing the keys
// of a full cache on each write would cost more than the write)
const TRIM_EVERY = 200;
let writes = 0;
async function trim(cache) {
  writes += 1;
  if (writes % TRIM_EVERY) return;
  const keys = await cache.keys();
  await Promise.all(keys.slice(0, Math.max(0, keys.length - MAX_ENTRIES)).map((k) => cache.delete(k)));
}

async function networkFirst(event) {
  const cache = await caches.open(CACHE);
  try {
    const response = await fetch(event.request);
    if (response.ok && response.type === "basic") {
      event.waitUntil(cache.put(event.request, response.clone()).then(() => trim(cache)));
    }
    return response;
  } catch (error) {
    const found = await cache.match(event.request)
      ?? (event.request.mode === "navigate" ? await cache.match("/") : undefined);
    if (found) return found;
    throw error;
  }
}

self.addEventListener("fetch", (event) => {
  if (kept(event.request)) event.respondWith(networkFirst(event));
});
