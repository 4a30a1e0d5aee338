// The Staff page in a real browser (issue 31 §3): an admin adds a cashier, who signs in in a second
// browser and reaches the POS; the admin ends the cashier's sessions and the cashier's next action
// lands on the sign-in form; a weak PIN is refused in the page's language; removing asks first.
import { expect, test } from '@playwright/test';
import { ADMIN } from './accounts';
import { signIn } from './helpers';

const NEW_CASHIER = { username: 'cassa-e2e', password: '424242' };

test('an admin adds a cashier, ends their sessions and removes them', async ({ browser }) => {
  const { baseURL } = test.info().project.use;
  const adminContext = await browser.newContext({ baseURL, locale: 'en-US' });
  const admin = await adminContext.newPage();
  await signIn(admin, ADMIN, '/staff');
  await expect(admin.getByTestId(`staff-row-${ADMIN.username}`)).toContainText('(you)');
  // No way to remove yourself or end your own sessions from the page.
  await expect(admin.getByTestId(`staff-remove-${ADMIN.username}`)).toHaveCount(0);
  await expect(admin.getByTestId(`staff-logout-${ADMIN.username}`)).toHaveCount(0);

  // A weak PIN is refused in Italian when the page is in Italian; nothing is added.
  await admin.getByTestId('lang-it').click();
  await admin.getByTestId('staff-add-username').fill(NEW_CASHIER.username);
  await admin.getByTestId('staff-add-role').selectOption('cashier');
  await admin.getByTestId('staff-add-password').fill('123');
  await admin.getByTestId('staff-add-confirm').fill('123');
  await admin.getByTestId('staff-add-submit').click();
  await expect(admin.getByTestId('staff-error')).toContainText('il PIN è troppo corto');
  await expect(admin.getByTestId(`staff-row-${NEW_CASHIER.username}`)).toHaveCount(0);
  await admin.getByTestId('lang-en').click();

  // Add the cashier.
  await admin.getByTestId('staff-add-password').fill(NEW_CASHIER.password);
  await admin.getByTestId('staff-add-confirm').fill(NEW_CASHIER.password);
  await admin.getByTestId('staff-add-submit').click();
  await expect(admin.getByTestId('staff-message')).toContainText(`Added ${NEW_CASHIER.username}`);
  await expect(admin.getByTestId(`staff-role-${NEW_CASHIER.username}`)).toHaveText('cashier');
  await expect(admin.getByTestId(`staff-sessions-${NEW_CASHIER.username}`)).toHaveText('0');

  // The cashier signs in in another browser and reaches the POS.
  const cashierContext = await browser.newContext({ baseURL, locale: 'en-US' });
  const cashier = await cashierContext.newPage();
  await signIn(cashier, NEW_CASHIER, '/');
  await expect(cashier.getByTestId('pos')).toBeVisible();
  await expect(cashier.getByTestId('pos-charge')).toBeVisible();

  // The admin sees the session and ends it.
  await admin.getByTestId('staff-reload').click();
  await expect(admin.getByTestId(`staff-sessions-${NEW_CASHIER.username}`)).toHaveText('1');
  await admin.getByTestId(`staff-logout-${NEW_CASHIER.username}`).click();
  await expect(admin.getByTestId('staff-message')).toContainText(`Sessions ended for ${NEW_CASHIER.username}`);
  await expect(admin.getByTestId(`staff-sessions-${NEW_CASHIER.username}`)).toHaveText('0');

  // The cashier's next action lands on the sign-in form.
  await cashier.locator('.pos-key[data-key="1"]').click();
  await cashier.getByTestId('pos-charge').click();
  await expect(cashier.getByTestId('login-username')).toBeVisible();
  await expect(cashier.getByTestId('signed-in-as')).toHaveCount(0);

  // Removing asks first; cancelling keeps the account, confirming removes it.
  await admin.getByTestId(`staff-remove-${NEW_CASHIER.username}`).click();
  await admin.getByTestId('staff-confirm-remove-no').click();
  await expect(admin.getByTestId(`staff-row-${NEW_CASHIER.username}`)).toBeVisible();
  await admin.getByTestId(`staff-remove-${NEW_CASHIER.username}`).click();
  await expect(admin.getByTestId('staff-confirm-remove')).toContainText(NEW_CASHIER.username);
  await admin.getByTestId('staff-confirm-remove-yes').click();
  await expect(admin.getByTestId('staff-message')).toContainText(NEW_CASHIER.username);
  await expect(admin.getByTestId(`staff-row-${NEW_CASHIER.username}`)).toHaveCount(0);

  // The removed cashier cannot sign in again.
  await cashier.getByTestId('login-username').fill(NEW_CASHIER.username);
  await cashier.getByTestId('login-password').fill(NEW_CASHIER.password);
  await cashier.getByTestId('login-submit').click();
  await expect(cashier.getByTestId('login-error')).toHaveText('wrong username or password');

  await cashierContext.close();
  await adminContext.close();
});
