// An imported FatturaPA invoice with two instalments in the back office (issue 33), in an Italian
// browser: the instalments with their due dates, the amount due's derivation, the create form
// starting from the next instalment as `lightning invoice create` does, and the switch to the
// whole amount still due.
import { expect, test } from '@playwright/test';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ADMIN } from './accounts';
import { cli, signIn } from './helpers';

test.use({ locale: 'it-IT' });

const NBSP = '\u00a0';
const FIXTURE = path.resolve(__dirname, '..', '..', 'server', 'tests', 'fixtures', 'fatturapa', 'IT04567890123_RATE.xml');

test('an invoice in two instalments shows them and collects the next one first', async ({ page }) => {
  // The fixture (2440.00 in two TP01 instalments of 1220.00, due 5 March and 4 April 2025) under a
  // numero of its own, so the test can run again on the same gateway.
  const numero = `R-${Date.now()}`;
  const xml = fs.readFileSync(FIXTURE, 'utf8').replace('<Numero>25/0007</Numero>', `<Numero>${numero}</Numero>`);
  expect(xml).toContain(numero);
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'rate-')), 'IT04567890123_RATE.xml');
  fs.writeFileSync(file, xml);
  await cli(['invoice', 'import', file]);

  await signIn(page, ADMIN, '/invoices');
  await page.getByTestId('invoice-search').fill(numero);
  await page.getByTestId(`fattura-select-${numero}`).click();

  const installments = page.getByTestId('installments');
  await expect(installments.locator('tbody tr')).toHaveCount(2);
  await expect(installments.locator('tbody tr').nth(0)).toContainText('05/03/2025');
  await expect(installments.locator('tbody tr').nth(1)).toContainText('04/04/2025');
  await expect(installments.locator('tbody tr').nth(0)).toContainText(`1.220,00${NBSP}€`);
  await expect(installments.locator('tbody tr').nth(0)).toContainText('a rate');
  await expect(page.getByTestId('due-derivation')).toContainText('Totale documento');
  await expect(page.getByTestId('due-derivation')).toContainText(`2.440,00${NBSP}€`);

  // The form starts from the next instalment; the buttons switch to everything and back.
  await expect(page.getByTestId('invoice-amount')).toHaveValue('1220.00');
  await page.getByTestId('collect-all-installments').click();
  await expect(page.getByTestId('invoice-amount')).toHaveValue('2440.00');
  await expect(page.getByTestId('invoice-amount-preview')).toHaveText(`Verrà richiesto 2.440,00${NBSP}€`);
  await page.getByTestId('collect-next-installment').click();
  await expect(page.getByTestId('invoice-amount')).toHaveValue('1220.00');

  await page.getByTestId('invoice-create').click();
  await expect(page.getByTestId('invoice-amount-shown')).toContainText(`1.220,00${NBSP}€`);
});
