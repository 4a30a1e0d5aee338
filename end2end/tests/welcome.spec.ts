// A shop's first hour on a fresh gateway of its own (not the shared one the other specs use):
// the one-time /setup link, the first-run guide (shop data, the embedded demo node, the rate, a
// first cashier, skipping the webhook), the cashier's first sale on the labelled demo rate with no
// rate provider reachable, and a setting changed in the back office that the next sale follows
// without a restart. Then, with a real node (a separate simnode, as LND would be) and no provider,
// the cashier is told at once, in Italian, what to do.
import { expect, test, type Browser, type Page } from '@playwright/test';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { serverBin } from './helpers';

const repoRoot = path.resolve(__dirname, '..', '..');
const siteRoot = process.env.LEPTOS_SITE_ROOT ?? path.join(repoRoot, 'target', 'site');
/** Every rate provider points at a closed local port: nothing answers, quickly. */
const NO_PROVIDER = 'http://127.0.0.1:9';
const OFFLINE_RATES = {
  LIGHTNING_COINGECKO_BASE_URL: NO_PROVIDER,
  LIGHTNING_COINGECKO_API_KEY: 'e2e-demo-key',
  LIGHTNING_CMC_BASE_URL: NO_PROVIDER,
  LIGHTNING_KRAKEN_BASE_URL: NO_PROVIDER,
  LIGHTNING_BITSTAMP_BASE_URL: NO_PROVIDER,
  LIGHTNING_COINBASE_BASE_URL: NO_PROVIDER,
};
const OWNER = { username: 'titolare', password: 'titolare-password-1' };
const CASHIER = { username: 'anna', password: '246810' };

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** Runs `openfatture <args>` until it prints a line matching `ready`; returns the process and the match. */
async function startProcess(args: string[], env: Record<string, string>, ready: RegExp): Promise<{ proc: ChildProcess; match: RegExpMatchArray }> {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('OPENFATTURE_ADMIN') && !k.startsWith('LIGHTNING_'))) as Record<string, string>;
  const proc = spawn(serverBin, args, { env: { ...clean, LEPTOS_SITE_ROOT: siteRoot, RUST_LOG: 'warn', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines = readline.createInterface({ input: proc.stdout! });
  const seen: string[] = [];
  proc.stderr!.on('data', (d) => seen.push(String(d)));
  const match = await new Promise<RegExpMatchArray>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no "${ready}" from ${args.join(' ')}: ${seen.join('')}`)), 60_000);
    lines.on('line', (line) => {
      seen.push(line);
      const m = line.match(ready);
      if (m) {
        clearTimeout(timer);
        resolve(m);
      }
    });
    proc.on('exit', (code) => reject(new Error(`${args.join(' ')} exited with ${code}: ${seen.join('\n')}`)));
  });
  return { proc, match };
}

async function stop(proc: ChildProcess | undefined) {
  if (!proc || proc.exitCode !== null) return;
  const exited = new Promise((resolve) => proc.on('exit', resolve));
  proc.kill('SIGTERM');
  await exited;
}

async function typeAmount(page: Page, keys: string) {
  for (const key of keys) await page.locator(`.pos-key[data-key="${key}"]`).click();
}

async function signInAt(browser: Browser, base: string, account: { username: string; password: string }): Promise<Page> {
  const context = await browser.newContext({ locale: 'it-IT', baseURL: base });
  const page = await context.newPage();
  await page.goto('/');
  await page.getByTestId('login-username').fill(account.username);
  await page.getByTestId('login-password').fill(account.password);
  await page.getByTestId('login-submit').click();
  await expect(page.getByTestId('signed-in-as')).toContainText(account.username);
  return page;
}

test.describe('a fresh gateway', () => {
  test.use({ locale: 'it-IT' });
  test.describe.configure({ timeout: 120_000 });

  let gateway: ChildProcess | undefined;
  let node: ChildProcess | undefined;
  const homes: string[] = [];
  test.afterEach(async () => {
    await stop(gateway);
    await stop(node);
    gateway = node = undefined;
  });
  test.afterAll(() => {
    for (const home of homes) fs.rmSync(home, { recursive: true, force: true });
  });

  test('goes from /setup through the guide to a first cashier sale on the demo rate, and a setting applies live', async ({ page, browser }) => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'openfatture-welcome-'));
    homes.push(home);
    const port = await freePort();
    const started = await startProcess(['serve', '--listen', `127.0.0.1:${port}`], { OPENFATTURE_HOME: home, ...OFFLINE_RATES }, /(http:\/\/\S+\/setup\?token=\S+)/);
    gateway = started.proc;
    const base = `http://127.0.0.1:${port}`;

    // The one-time link creates the owner's account and opens the guide.
    await page.goto(started.match[1]);
    await page.getByTestId('setup-username').fill(OWNER.username);
    await page.getByTestId('setup-password').fill(OWNER.password);
    await page.getByTestId('setup-submit').click();
    await expect(page).toHaveURL(/\/welcome$/);

    // 1. Shop data, refused in Italian when the partita IVA is wrong, then saved.
    await page.getByTestId('welcome-shop_name').fill('Bar Centrale di Rossi Mario');
    await page.getByTestId('welcome-shop_vat_number').fill('01234567890');
    await page.getByTestId('welcome-shop-save').click();
    await expect(page.getByTestId('welcome-error')).toContainText('Partita IVA: valore non valido');
    await page.getByTestId('welcome-shop_vat_number').fill('IT01234567897');
    await page.getByTestId('welcome-shop_address').fill('Via Roma 1, 00100 Roma');
    await page.getByTestId('welcome-shop-save').click();

    // 2. The node: the embedded demo node, said plainly.
    await expect(page.getByTestId('welcome-node-now')).toContainText('nodo dimostrativo');
    await page.getByTestId('welcome-next').click();

    // 3. The rate: no provider answers, so the demo node sells on the labelled demo rate.
    await expect(page.getByTestId('welcome-rate')).toContainText('cambio dimostrativo');
    await page.getByTestId('welcome-next').click();

    // 4. A first cashier.
    await page.getByTestId('welcome-cashier-name').fill(CASHIER.username);
    await page.getByTestId('welcome-cashier-pin').fill(CASHIER.password);
    await page.getByTestId('welcome-cashier-confirm').fill(CASHIER.password);
    await page.getByTestId('welcome-cashier-add').click();
    await expect(page.getByTestId('welcome-cashier-result')).toContainText(CASHIER.username);
    await page.getByTestId('welcome-next').click();

    // 5. The webhook is optional: skipped.
    await page.getByTestId('welcome-skip').click();
    await expect(page.getByTestId('welcome-done')).toBeVisible();

    // The shop data is in config.toml, the partita IVA as its 11 digits.
    const config = fs.readFileSync(path.join(home, 'config.toml'), 'utf8');
    expect(config).toContain('shop_vat_number = "01234567897"');
    expect(config).toContain('shop_name = "Bar Centrale di Rossi Mario"');

    // The cashier signs in on the shop's tablet and takes a sale on the demo rate.
    const till = await signInAt(browser, base, CASHIER);
    await expect(till.getByTestId('pos-rate-state')).toContainText('cambio dimostrativo');
    await typeAmount(till, '12,50');
    const before = Date.now();
    await till.getByTestId('pos-charge').click();
    await expect(till.getByTestId('pos-qr').locator('svg')).toBeVisible();
    expect(Date.now() - before).toBeLessThan(5_000);
    // The customer's screen shows the rate as a fact; the staff flag says it is the demo rate.
    await expect(till.getByTestId('pos-rate')).toHaveAttribute('data-state', 'demo');
    await expect(till.getByTestId('pos-staff-flag')).toHaveAttribute('title', /cambio dimostrativo/);
    await expect(till.getByTestId('pos-countdown')).toContainText(/1[45]:\d\d/);
    await till.getByTestId('pos-cancel').click();

    // The owner shortens the time to pay at the counter; the next sale follows, no restart.
    await page.goto(`${base}/settings`);
    await page.getByTestId('setting-lightning_pos_expiry_minutes').fill('5');
    await page.getByTestId('setting-save-lightning_pos_expiry_minutes').click();
    await expect(page.getByTestId('settings-message')).toContainText('già in vigore');
    await typeAmount(till, '3');
    await till.getByTestId('pos-charge').click();
    await expect(till.getByTestId('pos-countdown')).toContainText(/ 0?[45]:\d\d$/);
    await till.context().close();
  });

  test('with a real node and no rate provider, the cashier is told in Italian at once, every time', async ({ browser }) => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'openfatture-realnode-'));
    homes.push(home);
    const nodeDir = path.join(home, 'lnd');
    const nodePort = await freePort();
    const started = await startProcess(['simnode', 'run', '--data-dir', nodeDir, '--listen', `127.0.0.1:${nodePort}`], {}, /simnode listening on/);
    node = started.proc;
    const port = await freePort();
    const env = {
      OPENFATTURE_HOME: home,
      OPENFATTURE_ADMIN_USER: OWNER.username,
      OPENFATTURE_ADMIN_PASSWORD: OWNER.password,
      LIGHTNING_HOST: `127.0.0.1:${nodePort}`,
      LIGHTNING_CERT_PATH: path.join(nodeDir, 'tls.cert'),
      LIGHTNING_MACAROON_PATH: path.join(nodeDir, 'data', 'chain', 'bitcoin', 'regtest', 'admin.macaroon'),
      ...OFFLINE_RATES,
    };
    gateway = (await startProcess(['serve', '--listen', `127.0.0.1:${port}`], env, /OpenFatture Lightning on/)).proc;
    const base = `http://127.0.0.1:${port}`;
    const admin = await signInAt(browser, base, OWNER);
    // The owner adds the cashier in the back office.
    await admin.goto('/staff');
    await admin.getByTestId('staff-add-username').fill(CASHIER.username);
    await admin.getByTestId('staff-add-password').fill(CASHIER.password);
    await admin.getByTestId('staff-add-confirm').fill(CASHIER.password);
    await admin.getByTestId('staff-add-submit').click();
    await expect(admin.getByTestId(`staff-row-${CASHIER.username}`)).toBeVisible();

    const till = await signInAt(browser, base, CASHIER);
    for (const attempt of [1, 2]) {
      await typeAmount(till, '5');
      const before = Date.now();
      await till.getByTestId('pos-charge').click();
      await expect(till.getByTestId('pos-error')).toHaveText('Cambio BTC/EUR non disponibile: avvisa il responsabile');
      const waited = Date.now() - before;
      // The first sale waits for the providers' time budget at most; later ones get the breaker's answer.
      expect(waited, `attempt ${attempt}`).toBeLessThan(attempt === 1 ? 4_000 : 1_500);
      await expect(till.getByTestId('pos-qr')).toHaveCount(0);
      await till.reload();
    }
  });
});
