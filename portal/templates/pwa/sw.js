/* Binari's service worker (portal/pwa.py): the membership card and "Le mie cose" offline.
   Only same-origin GETs of those two pages and of static files are cached; network first for the
   pages, so online they are always fresh. A page that answers with a redirect (logged out) empties
   the cache; logout also sends Clear-Site-Data. */
"use strict";
const CACHE = "binari-{{ version }}";
const PAGES = {{ pages|tojson }};
const OFFLINE = {{ offline|tojson }};
const STATIC = {{ static_prefix|tojson }};
const PRECACHE = {{ precache|tojson }};
const LOGOUT = {{ logout|tojson }};

// The two pages as the signed-in person sees them now (a redirect means signed out: not kept).
async function keepPages(cache) {
  for (const path of PAGES) {
    try {
      const response = await fetch(path, { credentials: "same-origin" });
      if (response.ok && !response.redirected && response.type === "basic") await cache.put(path, response);
    } catch (error) {
      // offline while installing: the pages are kept at the next visit
    }
  }
}

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches.open(CACHE)
      .then((cache) => cache.addAll([OFFLINE, ...PRECACHE]).then(() => keepPages(cache)))
      .then(() => self.skipWaiting())
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((k) => k.startsWith("binari-") && k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim())
  );
});

async function forgetPages() {
  const cache = await caches.open(CACHE);
  await Promise.all(PAGES.map((page) => cache.delete(page)));
}

// htmx asks for a whole page when boosting a link or restoring history, else for a fragment.
function wholePage(request) {
  const headers = request.headers;
  return !headers.get("HX-Request") || headers.get("HX-Boosted") || headers.get("HX-History-Restore-Request");
}

async function page(request, path) {
  const cache = await caches.open(CACHE);
  try {
    const response = await fetch(request);
    if (response.redirected || response.type !== "basic") {
      await forgetPages(); // logged out, or the session ended: nothing personal stays
    } else if (response.ok && wholePage(request)) {
      await cache.put(path, response.clone());
    }
    return response;
  } catch (error) {
    return (await cache.match(path)) || (await cache.match(OFFLINE)) || Response.error();
  }
}

async function staticFile(request) {
  const cache = await caches.open(CACHE);
  const hit = await cache.match(request);
  if (hit) return hit;
  const response = await fetch(request);
  if (response.ok && response.type === "basic") await cache.put(request, response.clone());
  return response;
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.method === "POST" && url.pathname === LOGOUT) {
    event.waitUntil(forgetPages()); // also where Clear-Site-Data is not supported
    return;
  }
  if (request.method !== "GET") return;
  if (PAGES.includes(url.pathname) && !url.search) {
    event.respondWith(page(request, url.pathname));
  } else if (url.pathname.startsWith(STATIC)) {
    event.respondWith(staticFile(request));
  } else if (request.mode === "navigate") {
    event.respondWith(fetch(request).catch(async () => (await caches.match(OFFLINE)) || Response.error()));
  }
});
