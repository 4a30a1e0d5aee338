// The tablet over HTTPS (E2E_HTTPS=1, see playwright.config.ts): the browser speaks HTTP/2 to the
// gateway and the sign-in POST, the server functions and the live event stream all work over it.
import { expect, test } from '@playwright/test';
import { CASHIER } from './accounts';
import { signIn } from './helpers';

test('over HTTPS the browser speaks HTTP/2, signs in and gets live events', async ({ page, baseURL }) => {
  test.skip(!baseURL?.startsWith('https:'), 'runs in the HTTPS pass (E2E_HTTPS=1)');
  await signIn(page, CASHIER, '/');
  const navigation = await page.evaluate(
    () => (performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming).nextHopProtocol,
  );
  expect(navigation).toBe('h2');
  // Every request the app made to the gateway (the sign-in POST and server functions included).
  const apiProtocols = await page.evaluate(() =>
    performance
      .getEntriesByType('resource')
      .map((e) => e as PerformanceResourceTiming)
      .filter((e) => new URL(e.name).pathname.startsWith('/api'))
      .map((e) => `${new URL(e.name).pathname} ${e.nextHopProtocol}`),
  );
  expect(apiProtocols.length).toBeGreaterThan(0);
  for (const entry of apiProtocols) expect(entry).toMatch(/ h2$/);
  await expect(page.getByTestId('pos-amount')).toBeVisible();
});
