// The counter (issue 36) in real Chromium: the POS shows its till and cashier, a 10 % IVA sale
// with a 10 % tip is charged (the QR screen shows the tip and asks for gross + tip), paid from the
// simulated node, the paid screen's receipt QR opens the receipt page with the total, and
// `openfatture pos day` counts its IVA and tip.
import { expect, test, type Page } from '@playwright/test';
import { CASHIER } from './accounts';
import { cli, payInvoice, signIn } from './helpers';

async function typeAmount(page: Page, keys: string) {
  for (const key of keys) {
    await page.locator(`.pos-key[data-key="${key}"]`).click();
  }
}

/** A EUR text of `pos day --json` as cents. */
function cents(text: string | undefined): number {
  return Math.round(Number(text ?? '0') * 100);
}

test.describe('the counter at tablet size', () => {
  test.use({ viewport: { width: 800, height: 1280 }, hasTouch: true });

  test('a 10 % IVA sale with a 10 % tip is paid and the QR screen shows the tip', async ({ page }) => {
    const problems: string[] = [];
    page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
    const before = JSON.parse(await cli(['--json', 'pos', 'day']));

    await signIn(page, CASHIER, '/');
    await expect(page.getByTestId('pos-counter')).toContainText('Till');
    await expect(page.getByTestId('pos-cashier')).toHaveText(CASHIER.username);
    // The default till's 22 % is chosen until another rate is tapped.
    await expect(page.locator('[data-testid="pos-vat"][data-rate="22"]')).toHaveAttribute('aria-pressed', 'true');
    await typeAmount(page, '12,10');
    await page.locator('[data-testid="pos-vat"][data-rate="10"]').click();
    await expect(page.locator('[data-testid="pos-vat"][data-rate="10"]')).toHaveAttribute('aria-pressed', 'true');
    await expect(page.locator('[data-testid="pos-vat"][data-rate="22"]')).toHaveAttribute('aria-pressed', 'false');
    await page.locator('[data-testid="pos-tip"][data-percent="10"]').click();
    await expect(page.locator('[data-testid="pos-tip"][data-percent="10"]')).toHaveAttribute('aria-pressed', 'true');

    await page.getByTestId('pos-charge').click();
    await expect(page.getByTestId('pos-qr').locator('svg')).toBeVisible();
    // Gross 12.10 + tip 1.21 = 13.31; the IVA (1.10) is on the gross only.
    await expect(page.getByTestId('pos-qr-eur')).toHaveText('€13.31');
    const breakdown = page.getByTestId('pos-qr-breakdown');
    await expect(breakdown).toHaveAttribute('data-tip', '1.21');
    await expect(breakdown).toHaveAttribute('data-vat-rate', '10');
    await expect(breakdown).toContainText('Tip €1.21');
    await expect(breakdown).toContainText('VAT (10% €1.10)');
    const bolt11 = (await page.getByTestId('pos-invoice').inputValue()).trim();

    await payInvoice(bolt11);
    await expect(page.getByTestId('pos-paid')).toBeVisible({ timeout: 5_000 });
    await expect(page.getByTestId('pos-paid-eur')).toHaveText('€13.31');

    // The receipt: a QR the customer scans, whose link opens the receipt page with the total.
    await expect(page.getByTestId('pos-receipt-qr').locator('svg')).toBeVisible();
    const receiptUrl = ((await page.getByTestId('pos-receipt-url').textContent()) ?? '').trim();
    expect(receiptUrl).toMatch(/^https?:\/\/[^/]+\/r\/[A-Za-z0-9_-]{43}$/);
    await expect(page.getByTestId('pos-receipt-print')).toHaveAttribute('href', `${receiptUrl}?print=1`);
    const phone = await page.context().newPage();
    await phone.goto(receiptUrl);
    await expect(phone.locator('#total')).toContainText(/13[.,]31/);
    await expect(phone.locator('#shop, main')).not.toHaveCount(0);
    await expect(phone.locator('main')).toContainText(/not a commercial document|non costituisce documento commerciale/);
    await phone.close();

    const after = JSON.parse(await cli(['--json', 'pos', 'day']));
    expect(after.sales - before.sales).toBe(1);
    expect(cents(after.tips_eur) - cents(before.tips_eur)).toBe(121);
    expect(cents(after.gross_eur) - cents(before.gross_eur)).toBe(1210);
    expect(cents(after.vat_eur['10']) - cents(before.vat_eur['10'])).toBe(110);

    // A new sale starts without a tip, at the till's rate again.
    await page.getByTestId('pos-new-sale').click();
    await expect(page.locator('[data-testid="pos-tip"][data-percent="0"]')).toHaveAttribute('aria-pressed', 'true');
    await expect(page.locator('[data-testid="pos-vat"][data-rate="22"]')).toHaveAttribute('aria-pressed', 'true');
    expect(problems).toEqual([]);
  });
});
