// The admin pages in a real browser against the gateway on the embedded simnode: an invoice made
// from an existing EUR invoice number and paid by the simulated customer, cancelling an invoice,
// payments and their CSV, settings (persisted, refusals shown, secrets never shown), the cashier
// kept out of Settings by the UI and by the server, the dashboard at tablet size, and webhook
// endpoints tested against a local receiver.
import { expect, test, type ConsoleMessage, type Page } from '@playwright/test';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { ADMIN, CASHIER, E2E_SECRETS } from './accounts';
import { cli, home, payInvoice, signIn } from './helpers';

/** Collects console errors and page errors, to assert none happened. With `refusalsExpected`,
 * the browser's own log line for an HTTP 400 answer (a refused value, shown on the page) is allowed. */
function watchProblems(page: Page, refusalsExpected = false): string[] {
  const problems: string[] = [];
  page.on('console', (msg: ConsoleMessage) => {
    const refusal = refusalsExpected && msg.text().includes('the server responded with a status of 400');
    if (msg.type() === 'error' && !refusal) problems.push(`console error: ${msg.text()}`);
  });
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  return problems;
}

/** Every visible control in the page area is at least 48 px tall (touch targets on tablets). */
async function expectTouchTargets(page: Page) {
  const small = await page
    .locator('main button, main a.button, main select, main input:not([type="checkbox"]), main .admin-check')
    .evaluateAll((elements) =>
      elements
        .filter((e) => (e as HTMLElement).offsetParent !== null)
        .map((e) => ({ what: e.outerHTML.slice(0, 80), height: e.getBoundingClientRect().height }))
        .filter((e) => e.height < 47.5),
    );
  expect(small).toEqual([]);
}

/** Adds an EUR invoice with the CLI, as a shop owner would. */
async function addInvoice(numero: string, client: string, total: string) {
  await cli(['invoice', 'add', '--numero', numero, '--client', client, '--total', total, '--description', 'Arredo negozio']);
}

/** Opens the create form for `numero` on the Invoices page and creates its Lightning invoice. */
async function createFor(page: Page, numero: string, expectedAmount: string) {
  await page.getByTestId('invoice-search').fill(numero);
  await expect(page.getByTestId(`fattura-status-${numero}`)).toHaveAttribute('data-status', 'unpaid');
  await page.getByTestId(`fattura-select-${numero}`).click();
  await expect(page.getByTestId('invoice-amount')).toHaveValue(expectedAmount);
  await page.getByTestId('invoice-create').click();
  await expect(page.getByTestId('invoice-state')).toHaveAttribute('data-state', 'OPEN');
}

test('an invoice made from an existing numero is paid and the original invoice shows paid', async ({ page }) => {
  const problems = watchProblems(page);
  const numero = `E2E-${Date.now()}`;
  await addInvoice(numero, 'Rossi Arredamenti', '120.00');
  await signIn(page, ADMIN, '/invoices');

  await createFor(page, numero, '120.00');
  await expect(page.getByTestId('invoice-qr').locator('svg')).toBeVisible();
  // 120 EUR at 45,000 EUR/BTC = 266,666.7 sats, rounded up.
  await expect(page.getByTestId('invoice-amount-shown')).toContainText('€120.00');
  await expect(page.getByTestId('invoice-amount-shown')).toContainText('266,667 sat');
  await expect(page.getByTestId(`invoice-row-${numero}-LN`)).toBeVisible();
  const bolt11 = await page.getByTestId('invoice-bolt11').inputValue();
  expect(bolt11).toMatch(/^lnbcrt/);
  await expectTouchTargets(page);

  await payInvoice(bolt11);
  // The live event stream updates the open invoice without pressing Refresh.
  await expect(page.getByTestId('invoice-state')).toHaveAttribute('data-state', 'SETTLED');
  await expect(page.getByTestId('invoice-paid-sat')).toHaveText('266,667 sat');
  await expect(page.getByTestId(`fattura-status-${numero}`)).toHaveAttribute('data-status', 'paid');
  await expect(page.getByTestId(`fattura-status-${numero}`)).toHaveText('paid');
  await expect(page.getByTestId(`invoice-row-state-${numero}-LN`)).toHaveAttribute('data-state', 'SETTLED');
  await expect(page.getByTestId('invoice-cancel')).toHaveCount(0);

  // Payments: the row names the original invoice; the CSV download carries it too.
  await page.getByRole('link', { name: 'Payments' }).click();
  const row = page.getByTestId(`payment-row-${numero}-LN`);
  await expect(row).toContainText(numero);
  await expect(row).toContainText('120.00');
  await expect(row).toContainText('266,667 sat');
  const download = page.waitForEvent('download');
  await page.getByTestId('payments-csv').click();
  const file = await download;
  expect(file.suggestedFilename()).toBe('payments.csv');
  const csvPath = await file.path();
  const csv = fs.readFileSync(csvPath, 'utf8');
  expect(csv.split('\n')[0]).toContain('settled_at,payment_hash,ln_invoice_id,original_invoice');
  expect(csv).toContain(`,${numero}-LN,${numero},Rossi Arredamenti,`);
  expect(problems).toEqual([]);
});

test('an open invoice can be cancelled, and the page speaks Italian', async ({ page }) => {
  const problems = watchProblems(page);
  const numero = `E2E-C-${Date.now()}`;
  await addInvoice(numero, 'Bianchi Bar', '35.50');
  await signIn(page, ADMIN, '/invoices');
  await createFor(page, numero, '35.50');

  await page.getByTestId('invoice-cancel').click();
  await expect(page.getByTestId('invoice-state')).toHaveAttribute('data-state', 'CANCELED');
  await expect(page.getByTestId('invoice-qr')).toHaveCount(0);
  await expect(page.getByTestId('invoice-cancel')).toHaveCount(0);
  await expect(page.getByTestId(`invoice-row-state-${numero}-LN`)).toHaveAttribute('data-state', 'CANCELED');
  await expect(page.getByTestId(`fattura-status-${numero}`)).toHaveAttribute('data-status', 'unpaid');

  // The status filter hides it from the open invoices.
  await page.getByTestId('invoice-status-filter').selectOption('OPEN');
  await expect(page.getByTestId(`invoice-row-${numero}-LN`)).toHaveCount(0);
  await page.getByTestId('invoice-status-filter').selectOption('CANCELED');
  await expect(page.getByTestId(`invoice-row-${numero}-LN`)).toBeVisible();

  await page.getByTestId('lang-it').click();
  await expect(page.getByRole('heading', { name: 'Fatture in euro' })).toBeVisible();
  await expect(page.getByTestId(`invoice-row-state-${numero}-LN`)).toHaveText('ANNULLATA');
  await page.getByTestId('lang-en').click();
  expect(problems).toEqual([]);
});

test('a cashier cannot open Settings, in the UI or through the server', async ({ page }) => {
  await signIn(page, CASHIER, '/settings');
  await expect(page.getByTestId('not-allowed')).toBeVisible();
  await expect(page.getByTestId('settings-welcome')).toHaveCount(0);
  for (const [endpoint, form] of [
    ['admin_settings', {}],
    ['admin_setting_set', { key: 'lightning_pos_expiry_minutes', value: '5' }],
    ['admin_webhooks', {}],
    ['admin_fatture', { search: '' }],
  ] as const) {
    const response = await page.request.post(`/api/${endpoint}`, { form });
    expect(response.status(), endpoint).toBe(403);
    expect(await response.text()).toContain('"error.forbidden"');
  }
});

test('an admin edits a setting, sees it after a reload, gets refusals explained, and secrets stay hidden', async ({ page }) => {
  const problems = watchProblems(page, true);
  await signIn(page, ADMIN, '/settings');
  await expect(page.getByTestId('settings-welcome')).toBeVisible();
  await expect(page.getByTestId('settings-restart-needed')).toHaveCount(0);
  await expectTouchTargets(page);
  // Values from the environment say so.
  await expect(page.getByTestId('setting-source-lightning_fallback_rate')).toHaveText('(environment)');

  const key = 'lightning_pos_expiry_minutes';
  await page.getByTestId(`setting-${key}`).fill('20');
  await page.getByTestId(`setting-save-${key}`).click();
  await expect(page.getByTestId('settings-message')).toHaveText('Saved: Time to pay at the counter (minutes) = 20 — applied now');
  await expect(page.getByTestId(`setting-source-${key}`)).toHaveText('(config.toml)');
  await page.reload();
  await expect(page.getByTestId(`setting-value-${key}`)).toHaveText('20');
  await expect(page.getByTestId(`setting-${key}`)).toHaveValue('20');

  // A bad value is refused with the reason, and nothing changes.
  await page.getByTestId(`setting-${key}`).fill('soon');
  await page.getByTestId(`setting-save-${key}`).click();
  await expect(page.getByTestId('settings-error')).toHaveText(
    'Time to pay at the counter (minutes): not a valid value; expected a whole number of at least 1. Nothing was changed.',
  );
  await page.reload();
  await expect(page.getByTestId(`setting-value-${key}`)).toHaveText('20');

  // A secret is written through a password field and never shown: only "set". The e2e gateway
  // also has its secrets in the environment (which overrides the file); those never show either.
  const secret = 'e2e-webhook-secret-4b7a';
  const secretKey = 'lightning_webhook_secret';
  const secretInput = page.getByTestId(`setting-${secretKey}`);
  await expect(secretInput).toHaveAttribute('type', 'password');
  await expect(secretInput).toHaveValue('');
  await expect(page.getByTestId(`setting-value-${secretKey}`)).toHaveText('set');
  await expect(page.getByTestId(`setting-source-${secretKey}`)).toHaveText('(environment)');
  await secretInput.fill(secret);
  await page.getByTestId(`setting-save-${secretKey}`).click();
  await expect(page.getByTestId('settings-message')).toHaveText(
    'Saved: Webhook signing secret = (secret saved) — applied now — LIGHTNING_WEBHOOK_SECRET overrides the file',
  );
  await expect(secretInput).toHaveValue('');
  expect(fs.readFileSync(path.join(home, 'config.toml'), 'utf8')).toContain(secret);
  await page.reload();
  await expect(page.getByTestId(`setting-value-${secretKey}`)).toHaveText('set');
  const html = await page.content();
  for (const hidden of [secret, ...Object.values(E2E_SECRETS)]) expect(html).not.toContain(hidden);
  await page.getByTestId(`setting-unset-${secretKey}`).click();
  await expect(page.getByTestId('settings-message')).toHaveText('Webhook signing secret: removed from config.toml');
  expect(fs.readFileSync(path.join(home, 'config.toml'), 'utf8')).not.toContain(secret);

  // Keys that decide where secrets go are read-only here: only `openfatture config set` changes them.
  await expect(page.getByTestId('setting-cli-only-lightning_coingecko_base_url')).toContainText('openfatture config set');
  await expect(page.getByTestId('setting-lightning_coingecko_base_url')).toHaveCount(0);
  await expect(page.getByTestId('setting-save-lightning_host')).toHaveCount(0);

  // Put the expiry back (Reset removes it from config.toml).
  await page.getByTestId(`setting-unset-${key}`).click();
  await expect(page.getByTestId(`setting-source-${key}`)).toHaveText('(default)');
  expect(problems).toEqual([]);
});

test.describe('with an Italian browser', () => {
  test.use({ locale: 'it-IT' });

  test('Settings are grouped by purpose with Italian labels, and a refusal is worded in Italian', async ({ page }) => {
    const problems = watchProblems(page, true);
    await signIn(page, ADMIN, '/settings');
    // Groups in page order, each under its Italian heading; the key stays visible, small.
    await expect(page.getByTestId('settings-group-shop')).toBeVisible();
    const headings = await page.locator('.settings-group h2').allTextContents();
    expect(headings.slice(0, 7)).toEqual([
      'Dati del negozio',
      'Nodo Lightning',
      'Cambio BTC/EUR',
      'Fatture e richieste di pagamento',
      'Cassa (POS)',
      'Webhook',
      'Liquidità',
    ]);
    const shop = page.getByTestId('settings-group-shop');
    await expect(shop.getByTestId('setting-label-shop_vat_number')).toHaveText('Partita IVA');
    await expect(shop.getByTestId('setting-row-shop_vat_number')).toContainText('shop_vat_number');
    await expect(page.getByTestId('settings-group-pos').getByTestId('setting-label-lightning_pos_expiry_minutes'))
      .toHaveText('Tempo per pagare in cassa (minuti)');
    await expectTouchTargets(page);

    // A partita IVA with a wrong check digit is refused in Italian, and config.toml is untouched.
    const before = fs.existsSync(path.join(home, 'config.toml')) ? fs.readFileSync(path.join(home, 'config.toml'), 'utf8') : '';
    await page.getByTestId('setting-shop_vat_number').fill('01234567890');
    await page.getByTestId('setting-save-shop_vat_number').click();
    await expect(page.getByTestId('settings-error')).toHaveText(
      'Partita IVA: valore non valido; serve una partita IVA italiana: 11 cifre con la cifra di controllo giusta. Non è cambiato nulla.',
    );
    const after = fs.existsSync(path.join(home, 'config.toml')) ? fs.readFileSync(path.join(home, 'config.toml'), 'utf8') : '';
    expect(after).toBe(before);
    // A valid one (with the IT prefix) is kept as its 11 digits.
    await page.getByTestId('setting-shop_vat_number').fill('IT06363391001');
    await page.getByTestId('setting-save-shop_vat_number').click();
    await expect(page.getByTestId('settings-message')).toHaveText('Salvato: Partita IVA = 06363391001 — già in vigore');
    // A yes/no setting is a choice, not free text.
    await expect(page.getByTestId('setting-lightning_webhook_enabled')).toHaveJSProperty('tagName', 'SELECT');
    await page.getByTestId('setting-unset-shop_vat_number').click();
    await expect(page.getByTestId('settings-message')).toHaveText('Partita IVA: rimossa da config.toml');
    expect(problems).toEqual([]);
  });
});

test('the dashboard at tablet size shows the node, liquidity, payments and breakers', async ({ page }) => {
  const problems = watchProblems(page);
  await page.setViewportSize({ width: 1280, height: 800 });
  await signIn(page, ADMIN, '/dashboard');
  await expect(page.getByTestId('node-connection')).toHaveText('Connected');
  await expect(page.getByTestId('node-alias')).toHaveText('simnode');
  await expect(page.getByTestId('liquidity-inbound-ratio')).toHaveText(/^[01](\.\d+)?$/);
  await expect(page.getByTestId('liquidity-receivable')).toContainText('sat');
  await expect(page.getByTestId('liquidity-flagged')).toHaveText(/^\d+$/);
  await expect(page.getByTestId('channels-table').locator('tbody tr').first()).toBeVisible();
  await expect(page.getByTestId('recent-payments')).toBeVisible();
  await expect(page.getByTestId('breakers')).toContainText('Circuit breakers');
  await page.screenshot({ path: path.join(__dirname, '..', 'screenshots', 'dashboard.png') });
  await expectTouchTargets(page);
  expect(problems).toEqual([]);
});

test('webhook endpoints are added, tested and removed, and their secrets never shown', async ({ page }) => {
  const problems = watchProblems(page, true);
  // A local receiver on 127.0.0.1 that answers 200 and records what it got.
  const received: { event: string; signature: string }[] = [];
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      received.push({
        event: String(req.headers['x-lightning-event-id'] ?? ''),
        signature: String(req.headers['x-lightning-signature'] ?? ''),
      });
      res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const secret = 'e2e-endpoint-secret-77aa';
  try {
    await signIn(page, ADMIN, '/webhooks');
    await page.getByTestId('webhook-name').fill('erp');
    await page.getByTestId('webhook-url').fill(`http://127.0.0.1:${port}/hook`);
    await page.getByTestId('webhook-secret').fill(secret);
    await page.getByTestId('webhook-events').fill('payment_recieved');
    await page.getByTestId('webhook-add').click();
    await expect(page.getByTestId('webhook-error')).toContainText("unknown event 'payment_recieved'");
    await page.getByTestId('webhook-events').fill('*');
    await page.getByTestId('webhook-add').click();
    await expect(page.getByTestId('webhook-message')).toHaveText('Saved endpoint erp');
    await expect(page.getByTestId('webhook-secret-erp')).toHaveText('set');
    await expectTouchTargets(page);
    await expect(page.getByTestId('webhook-secret')).toHaveValue('');

    await page.getByTestId('webhook-test-erp').click();
    await expect(page.getByTestId('webhook-message')).toContainText('Test event delivered to erp · HTTP 200');
    expect(received).toHaveLength(1);
    expect(received[0].event).toMatch(/^evt_test_/);
    expect(received[0].signature).toMatch(/^[0-9a-f]{64}$/);
    await page.reload();
    expect(await page.content()).not.toContain(secret);

    await page.getByTestId('webhook-remove-erp').click();
    await expect(page.getByTestId('webhook-message')).toHaveText('Removed endpoint erp');
    await expect(page.getByTestId('webhook-row-erp')).toHaveCount(0);
  } finally {
    server.close();
  }
  expect(problems).toEqual([]);
});
