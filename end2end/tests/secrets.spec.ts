// Nothing secret reaches the browser: every file the gateway serves from the built site, the app
// shell, and every /api reply seen while an admin walks through all pages are scanned for the
// node's macaroons (hex) and TLS key, the rate-provider API keys, the webhook secret and the
// staff passwords. (tests/secrets.rs in the server does the same for every server function.)
import { expect, test } from '@playwright/test';
import fs from 'node:fs';
import path from 'node:path';
import { ADMIN, CASHIER, E2E_SECRETS } from './accounts';
import { signIn, simnodeDir } from './helpers';

const siteRoot = process.env.LEPTOS_SITE_ROOT ?? path.join(__dirname, '..', '..', 'target', 'site');

function secrets(): Array<[string, string]> {
  const list: Array<[string, string]> = [
    ['CoinGecko API key', E2E_SECRETS.coingeckoApiKey],
    ['CoinMarketCap API key', E2E_SECRETS.cmcApiKey],
    ['webhook secret', E2E_SECRETS.webhookSecret],
    ['admin password', ADMIN.password],
    ['cashier PIN', CASHIER.password],
  ];
  for (const name of ['admin', 'invoice', 'readonly']) {
    const hex = fs.readFileSync(path.join(simnodeDir, 'data/chain/bitcoin/regtest', `${name}.macaroon`)).toString('hex');
    list.push([`${name}.macaroon`, hex.slice(hex.length / 2 - 20, hex.length / 2 + 20)]);
  }
  const keyBody = fs
    .readFileSync(path.join(simnodeDir, 'tls.key'), 'utf8')
    .split('\n')
    .filter((l) => !l.startsWith('-----'))
    .join('');
  list.push(['node TLS key', keyBody.slice(0, 40)]);
  return list;
}

function filesUnder(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    return entry.isDirectory() ? filesUnder(full) : [full];
  });
}

function assertClean(where: string, body: Buffer, list: Array<[string, string]>) {
  // Binary files (wasm, png) are scanned as latin1 so any embedded ASCII shows up.
  const text = body.toString('latin1');
  for (const [what, secret] of list) {
    expect(text.includes(secret), `${where} contains the ${what}`).toBe(false);
  }
}

test('no served asset or API reply contains a secret', async ({ page, request }) => {
  const list = secrets();
  const files = filesUnder(siteRoot);
  expect(files.some((f) => f.endsWith('.wasm'))).toBe(true);
  for (const file of files) {
    const url = '/' + path.relative(siteRoot, file).split(path.sep).join('/');
    const response = await request.get(url);
    expect(response.status(), url).toBe(200);
    assertClean(url, await response.body(), list);
  }
  const shell = await request.get('/');
  assertClean('/', await shell.body(), list);

  const replies: Array<Promise<void>> = [];
  page.on('response', (response) => {
    if (new URL(response.url()).pathname.startsWith('/api/') && !response.url().endsWith('/api/events')) {
      replies.push(response.body().then(
          (body) => assertClean(response.url(), body, list),
          () => undefined, // a reply without a body (e.g. aborted by navigation)
        ),
      );
    }
  });
  await signIn(page, ADMIN, '/dashboard');
  for (const route of ['/dashboard', '/invoices', '/payments', '/webhooks', '/settings', '/']) {
    await page.goto(route);
    await page.waitForLoadState('networkidle');
  }
  await Promise.all(replies);
  expect(replies.length).toBeGreaterThan(3);
});
