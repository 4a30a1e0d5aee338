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

test('a cancelled attempt offers a new quote that the phone pays, and new quotes are limited per address', async ({ browser, baseURL }) => {
  const base = baseURL ?? '';
  const numero = `REQ-${Date.now()}`;
  await cli(['invoice', 'add', '--numero', numero, '--client', 'Verdi Snc', '--total', '50.00', '--description', 'Riparazione'], base);
  const created = JSON.parse(await cli(['--json', 'lightning', 'invoice', 'create', '--numero', numero], base));
  const url: string = created.payment_url;
  const first: string = created.invoice.payment_request;
  await cli(['lightning', 'invoice', 'cancel', created.invoice.id], base);

  const phone = await browser.newContext({ viewport: { width: 360, height: 740 }, locale: 'en-US', ignoreHTTPSErrors: true });
  const page = await phone.newPage();
  await page.goto(url);
  await expect(page.locator('#qr svg')).toHaveCount(0);
  await page.locator('#requote').click();
  // A new invoice on the same link, for what is still due: 50 EUR at 45,000 EUR/BTC = 111,111.1 sats, rounded up.
  await expect(page).toHaveURL(new RegExp(`/pay/${url.split('/pay/')[1]}`));
  await expect(page.locator('#qr svg')).toBeVisible();
  await expect(page.locator('#sats')).toHaveText('111,112 sat');
  const href = (await page.locator('#wallet').getAttribute('href')) ?? '';
  const second = href.replace(/^lightning:/, '');
  expect(second).toMatch(/^lnbcrt/);
  expect(second).not.toBe(first);
  await payInvoice(second);
  await expect(page.locator('#state')).toContainText('Paid');
  await expect(page.locator('#preimage')).toHaveText(/^[0-9a-f]{64}$/);

  // New quotes are limited per address (four a minute): asking again soon is answered 429.
  let limited = false;
  for (let n = 0; n < 6 && !limited; n++) {
    const answer = await page.request.post(`${url}/quote`, { headers: { origin: base }, maxRedirects: 0 });
    limited = answer.status() === 429;
  }
  expect(limited).toBeTruthy();
  await phone.close();
});
