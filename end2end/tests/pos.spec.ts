// The shop-counter POS in real Chromium: a cashier signs in, charges 12.50 EUR, the customer pays
// from the simulated node, and the screen turns to "Paid" from the live event stream.
import { expect, test, type Page } from '@playwright/test';
import path from 'node:path';
import { ADMIN, CASHIER } from './accounts';
import { payInvoice, signIn } from './helpers';

const shots = path.join(__dirname, '..', 'screenshots');

async function typeAmount(page: Page, keys: string) {
  for (const key of keys) {
    await page.locator(`.pos-key[data-key="${key}"]`).click();
  }
}

test.describe('POS at tablet size', () => {
  test.use({ viewport: { width: 800, height: 1280 }, hasTouch: true });

  test('a 12.50 EUR sale is paid and the screen turns to Paid', async ({ page }) => {
    const problems: string[] = [];
    page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));

    await signIn(page, CASHIER, '/');
    await expect(page.getByTestId('pos-amount')).toHaveText('€0.00');
    await typeAmount(page, '12,50');
    await expect(page.getByTestId('pos-amount')).toHaveText('€12.50');
    await page.getByTestId('pos-note').fill('Caffè e cornetto');
    // Every key is a comfortable touch target.
    for (const key of await page.locator('.pos-key').all()) {
      const box = await key.boundingBox();
      expect(box && box.height >= 48 && box.width >= 48).toBeTruthy();
    }
    await page.screenshot({ path: path.join(shots, 'pos.png') });

    await page.getByTestId('pos-charge').click();
    const qr = page.getByTestId('pos-qr').locator('svg');
    await expect(qr).toBeVisible();
    await expect(page.getByTestId('pos-qr-eur')).toHaveText('€12.50');
    // 12.50 EUR at the fallback 45,000 EUR/BTC = 27,777.8 sats, rounded up.
    await expect(page.getByTestId('pos-qr-sat')).toHaveText('27,778 sat');
    await expect(page.getByTestId('pos-rate')).toContainText('1 BTC = €45,000.00');
    // The customer-facing screen names no owner matter: the fallback rate is a small staff flag.
    await expect(page.getByTestId('pos-rate')).not.toContainText('fallback');
    await expect(page.getByTestId('pos-staff-flag')).toHaveAttribute('data-state', 'fallback');
    await expect(page.getByTestId('pos-staff-flag')).toHaveAttribute('title', /fallback rate/);
    await expect(page.getByTestId('pos-countdown')).toContainText(/1[45]:\d\d/);
    const bolt11 = (await page.getByTestId('pos-invoice').inputValue()).trim();
    expect(bolt11).toMatch(/^lnbcrt/);
    await page.screenshot({ path: path.join(shots, 'qr.png') });

    await payInvoice(bolt11);
    await expect(page.getByTestId('pos-paid')).toBeVisible({ timeout: 5_000 });
    await expect(page.getByTestId('pos-paid')).toContainText('27,778 sat');
    await page.screenshot({ path: path.join(shots, 'paid.png') });

    await page.getByTestId('pos-new-sale').click();
    await expect(page.getByTestId('pos-amount')).toHaveText('€0.00');
    expect(problems).toEqual([]);
  });

  test('a sale that stops being payable offers to create it again with one tap', async ({ page }) => {
    await signIn(page, CASHIER, '/');
    await typeAmount(page, '3');
    await page.getByTestId('pos-charge').click();
    await expect(page.getByTestId('pos-qr').locator('svg')).toBeVisible();
    const firstBolt11 = (await page.getByTestId('pos-invoice').inputValue()).trim();
    const id = (await page.locator('.pos-qr-info p.muted').last().textContent())?.trim() ?? '';
    expect(id).toMatch(/^LN-\d+/);

    // The invoice is cancelled elsewhere (another till or the back office): the counter sees it at once.
    const cancelled = await page.request.post('/api/cancel_invoice', { form: { invoice_id: id } });
    expect(cancelled.status()).toBe(200);
    await expect(page.getByTestId('pos-expired')).toBeVisible({ timeout: 5_000 });
    await page.getByTestId('pos-recreate').click();
    await expect(page.getByTestId('pos-qr').locator('svg')).toBeVisible();
    const secondBolt11 = (await page.getByTestId('pos-invoice').inputValue()).trim();
    expect(secondBolt11).not.toEqual(firstBolt11);
    await expect(page.getByTestId('pos-qr-eur')).toHaveText('€3.00');
    // Leaving the sale cancels the unpaid invoice.
    await page.getByTestId('pos-cancel').click();
    await expect(page.getByTestId('pos-amount')).toBeVisible();
  });
});

for (const viewport of [{ width: 1280, height: 800 }, { width: 1024, height: 768 }]) {
  test(`the keypad and QR fit a ${viewport.width}x${viewport.height} landscape tablet`, async ({ page }) => {
    await page.setViewportSize(viewport);
    await signIn(page, CASHIER, '/');
    await typeAmount(page, '1');
    const charge = page.getByTestId('pos-charge');
    await expect(charge).toBeInViewport();
    await charge.click();
    const qr = page.getByTestId('pos-qr').locator('svg');
    await expect(qr).toBeInViewport({ ratio: 1 });
    await page.getByTestId('pos-cancel').click();
  });
}

test('the cashier cannot open admin pages, in the UI or by calling the server', async ({ page }) => {
  await signIn(page, CASHIER, '/dashboard');
  await expect(page.getByTestId('not-allowed')).toBeVisible();
  await expect(page.getByRole('link', { name: 'Node' })).toHaveCount(0);
  const direct = await page.request.post('/api/node_status', { headers: { 'content-type': 'application/x-www-form-urlencoded' }, data: '' });
  expect(direct.status()).toBe(403);
  // The refusal travels as a code the page words in its language.
  expect(await direct.text()).toContain('"error.forbidden"');
});

test('the app speaks Italian when asked, and remembers it', async ({ page }) => {
  await signIn(page, CASHIER, '/');
  await page.getByTestId('lang-it').click();
  await expect(page.getByTestId('pos-charge')).toHaveText('Incassa');
  await page.reload();
  await expect(page.getByTestId('pos-charge')).toHaveText('Incassa');
  await expect(page.locator('html')).toHaveAttribute('lang', 'it');
  await page.getByTestId('lang-en').click();
  await expect(page.getByTestId('pos-charge')).toHaveText('Charge');
});

test('signing out ends the session', async ({ page }) => {
  await signIn(page, CASHIER, '/');
  await page.getByTestId('sign-out').click();
  await expect(page.getByTestId('login-username')).toBeVisible();
  await page.reload();
  await expect(page.getByTestId('login-username')).toBeVisible();
  const direct = await page.request.post('/api/pos_charge', { form: { amount_eur: '1', note: '' } });
  expect(direct.status()).toBe(401);
});

test('a wrong password is refused with a plain message', async ({ page }) => {
  await page.goto('/');
  await page.getByTestId('login-username').fill('nobody');
  await page.getByTestId('login-password').fill('wrong-password');
  await page.getByTestId('login-submit').click();
  await expect(page.getByTestId('login-error')).toHaveText('wrong username or password');
});

// scripts/test.sh and scripts/run.sh build with `cargo leptos build --split`: the back office is a
// separate wasm chunk that only admins fetch, which keeps the POS download small.
test('a cashier never downloads the back office; an admin fetches it on demand', async ({ browser }) => {
  const wasmFetched = (page: Page) => {
    const seen: string[] = [];
    page.on('request', (request) => {
      const { pathname } = new URL(request.url());
      if (pathname.startsWith('/pkg/') && pathname.endsWith('.wasm')) seen.push(pathname);
    });
    return seen;
  };
  const { baseURL } = test.info().project.use;
  const cashierContext = await browser.newContext({ baseURL });
  const cashier = await cashierContext.newPage();
  const cashierWasm = wasmFetched(cashier);
  await signIn(cashier, CASHIER, '/');
  await typeAmount(cashier, '1');
  await cashier.getByTestId('pos-charge').click();
  await expect(cashier.getByTestId('pos-qr').locator('svg')).toBeVisible();
  expect(cashierWasm).toContain('/pkg/openfatture.wasm');
  expect(cashierWasm.filter((p) => p !== '/pkg/openfatture.wasm')).toEqual([]);
  await cashierContext.close();

  const adminContext = await browser.newContext({ baseURL });
  const admin = await adminContext.newPage();
  const adminWasm = wasmFetched(admin);
  await signIn(admin, ADMIN, '/dashboard');
  await expect(admin.getByTestId('node-connection')).toHaveText('Connected');
  expect(adminWasm.some((p) => /^\/pkg\/split_.+\.wasm$/.test(p))).toBe(true);
  await adminContext.close();
});
