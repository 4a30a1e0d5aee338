// OpenFatture Lightning service worker: keeps the app shell and its /pkg assets so the app still
// opens (and shows its offline screen) when the gateway cannot be reached.
//
// Rules:
// - /api/... is never intercepted nor cached: server functions always go straight to the network,
//   so a payment or a node status can never come from a cache.
// - Requests made with `cache: "no-store"` (the offline screen's gateway probe) are not intercepted.
// - Page navigations: network first; if the network fails (or takes longer than NAVIGATION_TIMEOUT_MS)
//   the cached HTML shell is served. Every page route gets the same shell from the gateway.
// - /pkg/... and the static assets listed below: network first, revalidated against the gateway
//   (`cache: "no-cache"`, a cheap 304 when unchanged), falling back to the cache. Not cache-first:
//   cargo-leptos writes a new openfatture.wasm under the same name on every build, and an old wasm
//   talking to a new gateway's API would be worse than a slow start. The gateway is on the shop's
//   LAN, so asking it first costs little.
// - A build made with `cargo leptos build --split` also has /pkg/__wasm_split.<…>.js, which
//   openfatture.js imports at start-up: it is pre-cached (required) when the gateway has it. The
//   back-office wasm chunk it loads on demand is cached the first time it is fetched (like every
//   /pkg file), not before: the POS does not need it.
//
// Bump CACHE_VERSION when this file's caching changes; old caches are deleted on activation.
const CACHE_VERSION = 'v2';
const CACHE_NAME = `openfatture-shell-${CACHE_VERSION}`;
const SHELL_URL = '/';
const NAVIGATION_TIMEOUT_MS = 5000;

// Must all load for the service worker to install.
const REQUIRED = ['/pkg/openfatture.js', '/pkg/openfatture.css'];
// cargo-leptos names the wasm openfatture.wasm; a plain wasm-bindgen build openfatture_bg.wasm.
const WASM_CANDIDATES = ['/pkg/openfatture.wasm', '/pkg/openfatture_bg.wasm'];
// The loader of the split-off wasm chunks (name fixed by cargo-leptos), present only in `--split` builds.
const SPLIT_LOADER = '/pkg/__wasm_split.______________________.js';
// Nice to have offline; a missing one does not stop the installation.
const OPTIONAL = [
  '/manifest.webmanifest',
  '/favicon.svg',
  '/icons/icon-192.png',
  '/icons/icon-512.png',
  '/icons/icon-maskable-512.png',
  '/icons/apple-touch-icon.png',
];
const STATIC_PATHS = new Set([...REQUIRED, ...WASM_CANDIDATES, SPLIT_LOADER, ...OPTIONAL]);

// A copy of `response` that is not marked as redirected (a redirected response cannot answer a
// navigation), or null if it is not a successful one.
async function storable(response) {
  if (!response || !response.ok || response.type === 'opaque') return null;
  if (!response.redirected) return response;
  const body = await response.blob();
  return new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers });
}

async function fetchFresh(url) {
  // Revalidated with the gateway: usually a 304 for what the page has just downloaded itself.
  const response = await storable(await fetch(url, { cache: 'no-cache', credentials: 'same-origin' }));
  if (!response) throw new Error(`service worker: could not pre-cache ${url}`);
  return response;
}

async function precache() {
  const cache = await caches.open(CACHE_NAME);
  await cache.put(SHELL_URL, await fetchFresh(SHELL_URL));
  for (const url of REQUIRED) await cache.put(url, await fetchFresh(url));
  let wasmCached = false;
  for (const url of WASM_CANDIDATES) {
    try {
      await cache.put(url, await fetchFresh(url));
      wasmCached = true;
      break;
    } catch (_) {
      // try the other name
    }
  }
  if (!wasmCached) throw new Error('service worker: no /pkg/openfatture*.wasm to pre-cache');
  // Required when the build has it (the app cannot start without it), absent (404) otherwise.
  const loader = await fetch(SPLIT_LOADER, { cache: 'no-cache', credentials: 'same-origin' });
  if (loader.status !== 404) {
    const copy = await storable(loader);
    if (!copy) throw new Error(`service worker: could not pre-cache ${SPLIT_LOADER}`);
    await cache.put(SPLIT_LOADER, copy);
  }
  await Promise.all(
    OPTIONAL.map(async (url) => {
      try {
        await cache.put(url, await fetchFresh(url));
      } catch (_) {
        // optional
      }
    }),
  );
}

self.addEventListener('install', (event) => {
  event.waitUntil(precache().then(() => self.skipWaiting()));
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    (async () => {
      const names = await caches.keys();
      await Promise.all(
        names.filter((name) => name.startsWith('openfatture-') && name !== CACHE_NAME).map((name) => caches.delete(name)),
      );
      await self.clients.claim();
    })(),
  );
});

function withTimeout(promise, ms) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('timed out')), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

async function handleNavigation(request) {
  const cache = await caches.open(CACHE_NAME);
  try {
    const response = await withTimeout(fetch(request), NAVIGATION_TIMEOUT_MS);
    const url = new URL(request.url);
    if (url.pathname === SHELL_URL && !response.redirected && response.ok) {
      await cache.put(SHELL_URL, response.clone());
    }
    return response;
  } catch (error) {
    const shell = await cache.match(SHELL_URL);
    if (shell) return shell;
    throw error;
  }
}

async function handleAsset(request, path) {
  const cache = await caches.open(CACHE_NAME);
  try {
    const response = await fetch(request, { cache: 'no-cache' });
    const copy = await storable(response.clone());
    if (copy) await cache.put(path, copy);
    return response;
  } catch (error) {
    const cached = await cache.match(path);
    if (cached) return cached;
    throw error;
  }
}

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  // Never intercept or cache the API.
  if (url.pathname === '/api' || url.pathname.startsWith('/api/')) return;
  // Connectivity probes ask for no cache at all: let them fail when the gateway is gone.
  if (request.cache === 'no-store') return;
  if (request.mode === 'navigate') {
    event.respondWith(handleNavigation(request));
    return;
  }
  if (url.pathname.startsWith('/pkg/') || url.pathname.startsWith('/icons/') || STATIC_PATHS.has(url.pathname)) {
    event.respondWith(handleAsset(request, url.pathname));
  }
});
