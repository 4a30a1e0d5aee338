// The client's payment page (issue 35 §1) in a real browser: the merchant makes a Lightning invoice
// for a fattura with the CLI, a signed-out phone (360×740) opens the payment link, the simulated
// customer pays, and the page turns Paid by itself and shows the proof of payment. A wrong token is
// a bare 404.
import { expect, test } from '@playwright/test';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { home, payInvoice, serverBin } from './helpers';

const run = promisify(execFile);

/** Runs the CLI against the gateway's home with the test rate and `public_base_url` set. */
async function cli(args: string[], baseURL: string): Promise<string> {
  const env = {
    ...process.env,
    OPENFATTURE_HOME: home,
    LIGHTNING_COINGECKO_ENABLED: 'false',
    LIGHTNING_KRAKEN_ENABLED: 'false',
    LIGHTNING_BITSTAMP_ENABLED: 'false',
    LIGHTNING_COINBASE_ENABLED: 'false',
    LIGHTNING_FALLBACK_RATE: '45000.00',
    PUBLIC_BASE_URL: baseURL,
  };
  const { stdout } = await run(serverBin, args, { env });
  return stdout;
}

test('a signed-out phone opens the payment link, pays, and sees Paid with the preimage', async ({ browser, baseURL }) => {
  const base = baseURL ?? '';
  const numero = `PAY-${Date.now()}`;
  await cli(['invoice', 'add', '--numero', numero, '--client', 'Bianchi Srl', '--total', '120.00', '--description', 'Consulenza'], base);
  const created = JSON.parse(await cli(['--json', 'lightning', 'invoice', 'create', '--numero', numero], base));
  const url: string = created.payment_url;
  expect(url.startsWith(`${base}/pay/`)).toBeTruthy();
  const bolt11: string = created.invoice.payment_request;

  const phone = await browser.newContext({ viewport: { width: 360, height: 740 }, locale: 'en-US', ignoreHTTPSErrors: true });
  const page = await phone.newPage();
  const problems: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(message.text());
  });
  const response = await page.goto(url);
  expect(response?.status()).toBe(200);
  expect(response?.headers()['content-security-policy']).toContain("default-src 'none'");
  await expect(page.locator('#fattura')).toContainText(numero);
  // 120 EUR at 45,000 EUR/BTC = 266,666.7 sats, rounded up.
  await expect(page.locator('#eur')).toHaveText('€120.00');
  await expect(page.locator('#sats')).toHaveText('266,667 sat');
  await expect(page.locator('#qr svg')).toBeVisible();
  await expect(page.locator('#wallet')).toHaveAttribute('href', `lightning:${bolt11}`);
  await expect(page.locator('#countdown')).toHaveText(/^\d+:\d\d:\d\d$/);
  // Nothing wider than the phone.
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
  // The language switch.
  await page.getByRole('link', { name: 'Italiano' }).click();
  await expect(page.locator('#eur')).toHaveText('120,00\u00a0€');

  await payInvoice(bolt11);
  // The page reloads itself on the settlement.
  await expect(page.locator('#state')).toContainText('Pagato');
  const preimage = (await page.locator('#preimage').textContent()) ?? '';
  expect(preimage).toMatch(/^[0-9a-f]{64}$/);
  await expect(page.locator('#payment-hash')).toHaveText(created.invoice.payment_hash);
  expect(problems).toEqual([]);

  // A wrong token: a bare 404, like any unknown path.
  const wrong = await page.goto(`${base}/pay/${'A'.repeat(43)}`);
  expect(wrong?.status()).toBe(404);
  expect((await page.locator('body').textContent())?.trim()).toBe('Not found');
  await phone.close();
});
