// Staff accounts of the end-to-end gateway (a fresh OPENFATTURE_HOME per run; test-only secrets).
export const ADMIN = { username: 'admin', password: 'admin-password-e2e' };
export const CASHIER = { username: 'cassa', password: '135790' };
// Configuration secrets given to the e2e gateway (never to be seen by the browser).
export const E2E_SECRETS = {
  coingeckoApiKey: 'CG-e2e-secret-0123456789abcdef',
  cmcApiKey: 'cmc-e2e-secret-fedcba9876543210',
  webhookSecret: 'whsec-e2e-0123456789abcdef',
};
