// Drawline service worker: serves the app shell from a per-build cache so the
// app starts with no network. The post-build hook (tools/sw-stamp.mjs) fills in
// BUILD and ASSETS; the API is never cached (collections go through IndexedDB).
const BUILD = "__DRAWLINE_BUILD__";
const ASSETS = "__DRAWLINE_ASSETS__";
const CACHE = `drawline-shell-${BUILD}`;

self.addEventListener("install", (event) => {
  // A new version waits until the app says no collection is mid-step.
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(ASSETS)));
});

self.addEventListener("activate", (event) => {
  // Old shells go only once this one is complete (install succeeded).
  event.waitUntil(
    caches
      .keys()
      .then((keys) =>
        Promise.all(
          keys
            .filter((k) => k.startsWith("drawline-shell-") && k !== CACHE)
            .map((k) => caches.delete(k)),
        ),
      )
      .then(() => self.clients.claim()),
  );
});

self.addEventListener("message", (event) => {
  if (event.data === "skip-waiting") self.skipWaiting();
});

self.addEventListener("fetch", (event) => {
  const req = event.request;
  if (req.method !== "GET") return;
  const url = new URL(req.url);
  if (url.origin !== self.location.origin || url.pathname.startsWith("/api/")) return;
  if (req.mode === "navigate") {
    event.respondWith(
      caches.match("/", { cacheName: CACHE }).then((hit) => hit || fetch(req)),
    );
    return;
  }
  event.respondWith(caches.match(req, { cacheName: CACHE }).then((hit) => hit || fetch(req)));
});
