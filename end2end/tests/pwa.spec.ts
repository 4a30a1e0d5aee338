// The installable web app (PWA): manifest and icons, service worker and its caches, Chromium's
// installability check, and the offline screen. Written against the app shell only (header, manifest,
// service worker), so it holds on any page the app starts on, e.g. a sign-in page.
import { chromium, expect, test, type Page } from '@playwright/test';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const OFFLINE_EN = 'offline — cannot take payments';
const OFFLINE_IT = 'offline — impossibile incassare pagamenti';

/** Something the wasm app renders on any page (the shell's header, or a page's main/form). */
const APP_RENDERED = 'header.app-header, main, form';

/** Opens the app and waits until the wasm app has rendered. */
async function openApp(page: Page) {
  await page.goto('/');
  await expect(page.locator(APP_RENDERED).first()).toBeVisible();
}

/** Waits until the service worker is active and controls the page; returns its script URL. */
async function waitForServiceWorker(page: Page): Promise<string> {
  const script = await page.evaluate(async () => {
    const registration = await navigator.serviceWorker.ready;
    return registration.active?.scriptURL ?? '';
  });
  await page.waitForFunction(() => navigator.serviceWorker.controller?.state === 'activated');
  return script;
}

/** Path names of every request stored in the page's Cache Storage, per cache. */
async function cachedPaths(page: Page): Promise<Record<string, string[]>> {
  return page.evaluate(async () => {
    const out: Record<string, string[]> = {};
    for (const name of await caches.keys()) {
      const cache = await caches.open(name);
      out[name] = (await cache.keys()).map((request) => new URL(request.url).pathname).sort();
    }
    return out;
  });
}

/** Width and height from a PNG's IHDR chunk; throws if the bytes are not a PNG. */
function pngSize(bytes: Buffer): { width: number; height: number } {
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  if (!bytes.subarray(0, 8).equals(signature) || bytes.toString('latin1', 12, 16) !== 'IHDR') {
    throw new Error('not a PNG file');
  }
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
}

test('the page links a manifest for a standalone app with real 192/512 and maskable PNG icons', async ({
  page,
  request,
}) => {
  await openApp(page);
  await expect(page.locator('link[rel="manifest"]')).toHaveAttribute('href', '/manifest.webmanifest');
  const themeColour = await page.locator('meta[name="theme-color"]').getAttribute('content');

  const response = await request.get('/manifest.webmanifest');
  expect(response.status()).toBe(200);
  expect(response.headers()['content-type']).toContain('application/manifest+json');
  const manifest = await response.json();
  expect(manifest.name).toBe('OpenFatture Lightning');
  expect(manifest.short_name).toBeTruthy();
  expect(manifest.short_name.length).toBeLessThanOrEqual(12);
  expect(manifest.start_url).toBe('/');
  expect(manifest.scope).toBe('/');
  expect(manifest.display).toBe('standalone');
  expect(manifest.theme_color).toBe('#1d2430');
  expect(manifest.theme_color).toBe(themeColour);
  expect(manifest.background_color).toMatch(/^#[0-9a-f]{6}$/);

  const wanted = [
    { size: 192, purpose: 'any' },
    { size: 512, purpose: 'any' },
    { size: 512, purpose: 'maskable' },
  ];
  for (const { size, purpose } of wanted) {
    const icon = manifest.icons.find(
      (i: { sizes: string; purpose?: string; type: string }) =>
        i.sizes === `${size}x${size}` && (i.purpose ?? 'any').split(' ').includes(purpose),
    );
    expect(icon, `a ${size}x${size} icon with purpose ${purpose}`).toBeTruthy();
    expect(icon.type).toBe('image/png');
    const image = await request.get(icon.src);
    expect(image.status(), icon.src).toBe(200);
    expect(image.headers()['content-type']).toBe('image/png');
    expect(pngSize(await image.body()), icon.src).toEqual({ width: size, height: size });
  }
  const appleIcon = await page.locator('link[rel="apple-touch-icon"]').getAttribute('href');
  expect(pngSize(await (await request.get(appleIcon ?? '')).body())).toEqual({ width: 180, height: 180 });
});

test('the service worker script and the /pkg files are served as JavaScript/wasm with Cache-Control: no-cache', async ({
  request,
}) => {
  const sw = await request.get('/sw.js');
  expect(sw.status()).toBe(200);
  expect(sw.headers()['content-type']).toMatch(/^(text|application)\/javascript/);
  expect(sw.headers()['cache-control']).toBe('no-cache');
  const wasm = await request.get('/pkg/openfatture.wasm');
  expect(wasm.headers()['content-type']).toBe('application/wasm');
  expect(wasm.headers()['cache-control']).toBe('no-cache');
  const manifest = await request.get('/manifest.webmanifest');
  expect(manifest.headers()['cache-control']).toBe('no-cache');
});

test('the service worker activates and pre-caches the shell, /pkg, the manifest and the icons', async ({ page }) => {
  await openApp(page);
  const script = await waitForServiceWorker(page);
  expect(new URL(script).pathname).toBe('/sw.js');

  const caches = await cachedPaths(page);
  const names = Object.keys(caches);
  expect(names).toHaveLength(1);
  expect(names[0]).toMatch(/^openfatture-shell-v\d+$/);
  expect(caches[names[0]]).toEqual(
    expect.arrayContaining([
      '/',
      '/pkg/openfatture.js',
      '/pkg/openfatture.wasm',
      '/pkg/openfatture.css',
      '/manifest.webmanifest',
      '/icons/icon-192.png',
      '/icons/icon-512.png',
      '/icons/icon-maskable-512.png',
    ]),
  );
});

test('Chromium finds the app installable', async ({ baseURL }, testInfo) => {
  // Playwright's usual contexts are incognito, where Chromium never offers to install
  // ("in-incognito"): use a real, throw-away profile with the project's launch options.
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'openfatture-pwa-profile-'));
  const context = await chromium.launchPersistentContext(profile, {
    ...testInfo.project.use.launchOptions,
    baseURL,
  });
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    await openApp(page);
    await waitForServiceWorker(page);
    const cdp = await context.newCDPSession(page);
    const manifest = await cdp.send('Page.getAppManifest');
    expect(manifest.url).toMatch(/\/manifest\.webmanifest$/);
    expect(manifest.errors).toEqual([]);
    const { installabilityErrors } = await cdp.send('Page.getInstallabilityErrors');
    expect(installabilityErrors).toEqual([]);
  } finally {
    await context.close();
    fs.rmSync(profile, { recursive: true, force: true });
  }
});

test('/api requests pass the service worker untouched and never land in a cache; /pkg goes through it', async ({
  page,
}) => {
  await openApp(page);
  await waitForServiceWorker(page);
  // A reload: now the page is controlled from the start, so every request meets the worker.
  const workerApiRequests: string[] = [];
  page.context().on('request', (request) => {
    const url = new URL(request.url());
    if (request.serviceWorker() && url.pathname.startsWith('/api')) workerApiRequests.push(url.pathname);
  });
  const viaWorker = new Map<string, boolean>();
  page.on('response', (response) => viaWorker.set(new URL(response.url()).pathname, response.fromServiceWorker()));
  await page.reload();
  await expect(page.locator(APP_RENDERED).first()).toBeVisible();
  expect(viaWorker.get('/pkg/openfatture.wasm')).toBe(true);

  const apiResponse = page.waitForResponse((response) => new URL(response.url()).pathname === '/api/node_status');
  const statuses = await page.evaluate(async () => {
    const post = await fetch('/api/node_status', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: '',
    });
    const get = await fetch('/api/node_status');
    return [post.status, get.status];
  });
  expect(statuses.every((status) => status > 0)).toBe(true);
  expect((await apiResponse).fromServiceWorker()).toBe(false);
  expect(workerApiRequests).toEqual([]);

  const everything = Object.values(await cachedPaths(page)).flat();
  expect(everything.length).toBeGreaterThan(0);
  expect(everything.filter((path) => path.startsWith('/api'))).toEqual([]);
});

test('going offline covers the app with the offline screen, which goes away by itself', async ({ page, context }) => {
  await openApp(page);
  const screen = page.getByTestId('offline-screen');
  await expect(screen).toHaveCount(0);

  await context.setOffline(true);
  await expect(screen).toBeVisible();
  await expect(page.getByTestId('offline-text')).toHaveText(OFFLINE_EN);
  await expect(screen).toContainText(OFFLINE_IT);
  await expect(screen).toHaveAttribute('role', 'alert');

  await context.setOffline(false);
  await expect(screen).toHaveCount(0);
});

test.describe('with an Italian browser', () => {
  test.use({ locale: 'it-IT' });

  test('the offline screen leads with the Italian text', async ({ page, context }) => {
    await openApp(page);
    await context.setOffline(true);
    await expect(page.getByTestId('offline-text')).toHaveText(OFFLINE_IT);
    await expect(page.getByTestId('offline-screen')).toContainText(OFFLINE_EN);
    await context.setOffline(false);
    await expect(page.getByTestId('offline-screen')).toHaveCount(0);
  });
});

test('the offline screen follows the language chosen in the app', async ({ page, context }) => {
  await openApp(page);
  await page.getByTestId('lang-it').click();
  await context.setOffline(true);
  await expect(page.getByTestId('offline-text')).toHaveText(OFFLINE_IT);
  await expect(page.getByTestId('offline-text')).toHaveAttribute('lang', 'it');
  await context.setOffline(false);
  await expect(page.getByTestId('offline-screen')).toHaveCount(0);
});

test('a reload while offline still opens the app from the service worker cache, with the offline screen', async ({
  page,
  context,
}) => {
  await openApp(page);
  await waitForServiceWorker(page);

  // what the worker itself could not get from the network (it then answered from its cache)
  const workerFailures = new Set<string>();
  context.on('requestfailed', (request) => {
    if (request.serviceWorker()) workerFailures.add(new URL(request.url()).pathname);
  });
  await context.setOffline(true);
  const navigation = await page.reload();
  expect(navigation?.status()).toBe(200);
  expect(navigation?.fromServiceWorker()).toBe(true);
  await expect(page.locator(APP_RENDERED).first()).toBeVisible();
  await expect(page.getByTestId('offline-screen')).toBeVisible();
  await expect(page.getByTestId('offline-text')).toHaveText(OFFLINE_EN);
  expect([...workerFailures]).toEqual(expect.arrayContaining(['/', '/pkg/openfatture.js', '/pkg/openfatture.wasm']));

  await context.setOffline(false);
  await expect(page.getByTestId('offline-screen')).toHaveCount(0);
});

test('a gateway that stops answering while the network is up also shows the offline screen', async ({ page }) => {
  // The screen's probe (HEAD /favicon.svg, no-store) runs on a timer: let the fake clock drive it.
  await page.clock.install();
  await openApp(page);
  const screen = page.getByTestId('offline-screen');
  await expect(screen).toHaveCount(0);

  await page.route('**/favicon.svg', (route) => route.abort('connectionrefused'));
  await expect(async () => {
    await page.clock.runFor(3_000);
    await expect(screen).toBeVisible({ timeout: 500 });
  }).toPass({ timeout: 20_000 });
  await expect(page.getByTestId('offline-text')).toHaveText(OFFLINE_EN);

  await page.unroute('**/favicon.svg');
  await expect(async () => {
    await page.clock.runFor(3_000);
    await expect(screen).toHaveCount(0, { timeout: 500 });
  }).toPass({ timeout: 20_000 });
});
