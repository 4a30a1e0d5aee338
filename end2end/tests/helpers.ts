// Shared steps of the browser tests.
import { expect, type Page } from '@playwright/test';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const repoRoot = path.resolve(__dirname, '..', '..');
/** The `openfatture` binary the gateway runs. */
export const serverBin = process.env.OPENFATTURE_BIN ?? path.join(repoRoot, 'target', 'debug', 'openfatture');
/** OPENFATTURE_HOME of the gateway (set by playwright.config.ts). */
export const home = process.env.E2E_OPENFATTURE_HOME ?? '';
/** Data directory of the gateway's embedded simnode. */
export const simnodeDir = path.join(home, 'simnode');

/** Opens `target` and signs in through the form the app shows to signed-out visitors. */
export async function signIn(page: Page, account: { username: string; password: string }, target = '/') {
  await page.goto(target);
  await page.getByTestId('login-username').fill(account.username);
  await page.getByTestId('login-password').fill(account.password);
  await page.getByTestId('login-submit').click();
  await expect(page.getByTestId('signed-in-as')).toContainText(account.username);
}

/** Pays a BOLT11 invoice from the simulated customer side, as `openfatture simnode pay` does. */
export async function payInvoice(bolt11: string) {
  await run(serverBin, ['simnode', 'pay', '--data-dir', simnodeDir, bolt11], { env: { ...process.env, OPENFATTURE_HOME: home } });
}

/** Runs the `openfatture` CLI against the gateway's home; returns stdout. */
export async function cli(args: string[]): Promise<string> {
  const { stdout } = await run(serverBin, args, { env: { ...process.env, OPENFATTURE_HOME: home } });
  return stdout;
}
