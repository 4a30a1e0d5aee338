import { expect, test, type ConsoleMessage } from '@playwright/test';
import { ADMIN } from './accounts';
import { signIn } from './helpers';

test('the home page shows the embedded simulated node', async ({ page }) => {
  const problems: string[] = [];
  page.on('console', (msg: ConsoleMessage) => {
    if (msg.type() === 'error') problems.push(`console error: ${msg.text()}`);
  });
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  page.on('requestfailed', (req) => problems.push(`request failed: ${req.url()} ${req.failure()?.errorText ?? ''}`));

  await signIn(page, ADMIN, '/dashboard');

  await expect(page.getByRole('link', { name: 'OpenFatture Lightning' })).toBeVisible();
  await expect(page.getByTestId('node-connection')).toHaveText('Connected');
  await expect(page.getByTestId('node-alias')).toHaveText('simnode');
  await expect(page.getByTestId('node-pubkey')).toHaveText(/^(02|03)[0-9a-f]{64}$/);
  await expect(page).toHaveTitle('Node · OpenFatture Lightning');
  // The tablet-size screenshot (screenshots/dashboard.png) is taken by admin.spec.ts.
  expect(problems).toEqual([]);
});

test('an unknown client route shows the not-found page inside the app shell', async ({ page }) => {
  const problems: string[] = [];
  page.on('console', (msg: ConsoleMessage) => {
    if (msg.type() === 'error') problems.push(`console error: ${msg.text()}`);
  });
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));

  await signIn(page, ADMIN, '/dashboard');
  const response = await page.goto('/no/such/page');
  expect(response?.status()).toBe(200);
  await expect(page.getByRole('heading', { name: 'Page not found' })).toBeVisible();
  await page.getByRole('link', { name: 'Go to the start page.' }).click();
  await expect(page.getByTestId('pos-amount')).toBeVisible();
  expect(problems).toEqual([]);
});

test('a failing node status shows what to do, and Refresh recovers', async ({ page }) => {
  // The gateway encodes a server-function error as the JSON of app::AppError: a refusal's code,
  // which the page words in its language (what the node said stays in the gateway's log).
  const message =
    'the Lightning node did not answer or refused the request: check that it is running, then try again (the gateway log has the details)';
  await page.route('**/api/node_status', (route) =>
    route.fulfill({ status: 500, contentType: 'application/json', body: JSON.stringify({ Lightning: { code: 'error.node' } }) }),
  );
  await signIn(page, ADMIN, '/dashboard');
  await expect(page.getByTestId('node-connection')).toHaveText('Connection failed');
  await expect(page.getByTestId('node-error')).toHaveText(message);
  await expect(page.getByTestId('node-alias')).toHaveCount(0);

  await page.unroute('**/api/node_status');
  await page.getByTestId('node-refresh').click();
  await expect(page.getByTestId('node-alias')).toHaveText('simnode');
  await expect(page.getByTestId('node-error')).toHaveCount(0);
});

test('a fallback rate is shown loudly, and a missing rate says invoices cannot be made', async ({ page }) => {
  await signIn(page, ADMIN, '/dashboard');
  const banner = page.getByTestId('rate-fallback-banner');
  await expect(banner).toBeVisible();
  await expect(banner).toContainText('FALLBACK rate in use: 1 BTC = €45,000.00');
  await expect(page.getByTestId('rate-source')).toHaveText('fallback');
  await expect(page.getByTestId('rate-state')).toHaveText('fallback rate');
  await expect(page.getByTestId('rate-value')).toHaveText('€45,000.00');

  const message =
    'no BTC/EUR rate is available: check the rate providers, or set lightning_fallback_rate (the gateway log has the details)';
  await page.route('**/api/rate_status', (route) =>
    route.fulfill({ status: 500, contentType: 'application/json', body: JSON.stringify({ Unavailable: { code: 'error.rate' } }) }),
  );
  await page.reload();
  await expect(page.getByTestId('rate-error')).toContainText(`No BTC/EUR rate: invoices cannot be created. ${message}`);
  await expect(page.getByTestId('rate-fallback-banner')).toHaveCount(0);
});
