// Browser tests of the web app, run by `bash scripts/test.sh` after `cargo leptos build`.
// Playwright starts the gateway (`openfatture serve`) with a fresh OPENFATTURE_HOME, so the embedded
// simulated node (simnode) is used. The browser is the system Chromium; browsers are never downloaded.
import { defineConfig } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ADMIN, CASHIER, E2E_SECRETS } from './tests/accounts';

const repoRoot = path.resolve(__dirname, '..');
const port = Number(process.env.E2E_PORT ?? '3917');
// E2E_HTTPS=1: the gateway serves HTTPS (HTTP/2 offered) with a certificate made here, as a shop
// serves its tablet; Chromium trusts exactly that key (its SPKI hash), as an installed CA would.
const https = process.env.E2E_HTTPS === '1';
const baseURL = `${https ? 'https' : 'http'}://127.0.0.1:${port}`;
const serverBin = process.env.OPENFATTURE_BIN ?? path.join(repoRoot, 'target', 'debug', 'openfatture');
const siteRoot = process.env.LEPTOS_SITE_ROOT ?? path.join(repoRoot, 'target', 'site');
// Playwright loads this file in the runner and in every worker: create the home once and share it.
const home = process.env.E2E_OPENFATTURE_HOME ?? fs.mkdtempSync(path.join(os.tmpdir(), 'openfatture-e2e-'));
process.env.E2E_OPENFATTURE_HOME = home;
const tls = https ? testCertificate(home) : undefined;

/** A self-signed P-256 certificate for 127.0.0.1 in `dir` (made once), and its key's SPKI hash. */
function testCertificate(dir: string): { cert: string; key: string; spki: string } {
  const cert = path.join(dir, 'e2e-tls.crt');
  const key = path.join(dir, 'e2e-tls.key');
  if (!fs.existsSync(cert)) {
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
      '-keyout', key, '-out', cert, '-days', '2', '-subj', '/CN=127.0.0.1',
      '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost',
    ], { stdio: 'ignore' });
  }
  const pem = execFileSync('openssl', ['x509', '-in', cert, '-pubkey', '-noout']);
  const spkiDer = execFileSync('openssl', ['pkey', '-pubin', '-outform', 'der'], { input: pem });
  const spki = crypto.createHash('sha256').update(spkiDer).digest('base64');
  return { cert, key, spki };
}

export default defineConfig({
  testDir: './tests',
  outputDir: './test-results',
  fullyParallel: false,
  workers: 1,
  retries: 0,
  forbidOnly: true,
  timeout: 30_000,
  expect: { timeout: 15_000 },
  reporter: [['list'], ['json', { outputFile: 'test-results/results.json' }]],
  use: {
    baseURL,
    // The browser trusts the test certificate by its SPKI hash (launch flag below); this lets the
    // Node-side `request` fixture fetch over the same HTTPS.
    ignoreHTTPSErrors: https,
    trace: 'off',
    screenshot: 'only-on-failure',
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      headless: true,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        ...(tls ? [`--ignore-certificate-errors-spki-list=${tls.spki}`] : []),
      ],
    },
  },
  projects: [{ name: 'chromium', use: { browserName: 'chromium' } }],
  webServer: {
    // A cashier is added like a shop owner would (`openfatture user add`); the admin comes from
    // OPENFATTURE_ADMIN_USER / OPENFATTURE_ADMIN_PASSWORD, created by `serve` on first start.
    command:
      `printf '%s\\n' '${CASHIER.password}' | "${serverBin}" user add ${CASHIER.username} --role cashier --password-stdin; ` +
      `exec "${serverBin}" serve --listen 127.0.0.1:${port}`,
    cwd: repoRoot,
    url: `${baseURL}/`,
    ignoreHTTPSErrors: https,
    reuseExistingServer: false,
    timeout: 60_000,
    stdout: 'pipe',
    stderr: 'pipe',
    env: {
      OPENFATTURE_HOME: home,
      OPENFATTURE_ADMIN_USER: ADMIN.username,
      OPENFATTURE_ADMIN_PASSWORD: ADMIN.password,
      LEPTOS_SITE_ROOT: siteRoot,
      // No internet here: no rate provider, only the configured fallback rate (shown as a banner).
      LIGHTNING_COINGECKO_ENABLED: 'false',
      LIGHTNING_KRAKEN_ENABLED: 'false',
      LIGHTNING_BITSTAMP_ENABLED: 'false',
      LIGHTNING_COINBASE_ENABLED: 'false',
      LIGHTNING_FALLBACK_RATE: '45000.00',
      // Secrets the gateway holds; tests/secrets.spec.ts proves none reaches the browser.
      LIGHTNING_COINGECKO_API_KEY: E2E_SECRETS.coingeckoApiKey,
      LIGHTNING_CMC_API_KEY: E2E_SECRETS.cmcApiKey,
      LIGHTNING_WEBHOOK_SECRET: E2E_SECRETS.webhookSecret,
      // The webhook test receiver listens on 127.0.0.1 (private addresses are refused by default).
      LIGHTNING_WEBHOOK_ALLOW_PRIVATE: 'true',
      RUST_LOG: process.env.RUST_LOG ?? 'info',
      ...(tls ? { GATEWAY_TLS_CERT_PATH: tls.cert, GATEWAY_TLS_KEY_PATH: tls.key } : {}),
    },
    gracefulShutdown: { signal: 'SIGTERM', timeout: 10_000 },
  },
});
