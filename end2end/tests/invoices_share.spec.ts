// Invoices in the back office (issue 35 §3), end to end in a real browser: an admin uploads a
// FatturaPA file through the file picker, creates its Lightning invoice, and emails the payment
// link (the address prefilled from the file's CessionarioCommittente contacts) to an SMTP server
// this spec starts; a signed-out phone (360×740) opens the link taken from
// the email the server received, the simulated customer pays, and the page shows Paid.
import { expect, test } from '@playwright/test';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { ADMIN } from './accounts';
import { cli, payInvoice, signIn } from './helpers';

const FIXTURE = path.resolve(__dirname, '..', '..', 'server', 'tests', 'fixtures', 'fatturapa', 'IT04455667706_WILD.xml');

/** A tiny SMTP server (no TLS, no AUTH) keeping the DATA of every message it accepts. */
async function smtpSink(): Promise<{ port: number; messages: string[]; close: () => void }> {
  const messages: string[] = [];
  const server = net.createServer((socket) => {
    let buffer = '';
    let inData = false;
    let data = '';
    socket.write('220 sink.e2e ESMTP\r\n');
    socket.on('data', (chunk) => {
      buffer += chunk.toString('utf8');
      let end: number;
      while ((end = buffer.indexOf('\r\n')) >= 0) {
        const line = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        if (inData) {
          if (line === '.') {
            inData = false;
            messages.push(data);
            data = '';
            socket.write('250 queued\r\n');
          } else {
            data += (line.startsWith('..') ? line.slice(1) : line) + '\r\n';
          }
          continue;
        }
        const verb = line.slice(0, 4).toUpperCase();
        if (verb === 'EHLO' || verb === 'HELO') socket.write('250-sink.e2e\r\n250 8BITMIME\r\n');
        else if (verb === 'DATA') {
          inData = true;
          socket.write('354 end with .\r\n');
        } else if (verb === 'QUIT') {
          socket.end('221 bye\r\n');
        } else socket.write('250 ok\r\n');
      }
    });
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return { port, messages, close: () => server.close() };
}

test.use({ locale: 'en-US' });

test('an admin uploads a FatturaPA file, emails its payment link, and the client pays from the email', async ({ page, browser, baseURL }) => {
  const base = baseURL ?? '';
  const sink = await smtpSink();
  try {
    for (const [key, value] of [
      ['public_base_url', base],
      ['smtp_host', '127.0.0.1'],
      ['smtp_port', String(sink.port)],
      ['smtp_security', 'none'],
      ['smtp_from', 'fatture@e2e.example'],
    ]) {
      await cli(['config', 'set', key, value]);
    }
    // The fixture (244.00 EUR due) under a numero of its own, so the spec can run again.
    const numero = `SH-${Date.now()}`;
    // With the client's email in its CessionarioCommittente contacts: the share form starts from it.
    const xml = fs
      .readFileSync(FIXTURE, 'utf8')
      .replace('<Numero>X-1</Numero>', `<Numero>${numero}</Numero>`)
      .replace('</CessionarioCommittente>', '<Contatti><Email>cliente@example.it</Email></Contatti></CessionarioCommittente>');
    expect(xml).toContain(numero);
    expect(xml).toContain('cliente@example.it');

    await signIn(page, ADMIN, '/invoices');
    await page.getByTestId('invoice-upload-input').setInputFiles({
      name: 'IT04455667706_WILD.xml',
      mimeType: 'text/xml',
      buffer: Buffer.from(xml, 'utf8'),
    });
    const result = page.getByTestId('upload-result').first();
    await expect(result).toHaveAttribute('data-status', 'imported');
    await expect(result.getByTestId('upload-document')).toHaveAttribute('data-outcome', 'imported');

    await page.getByTestId('invoice-search').fill(numero);
    await page.getByTestId(`fattura-select-${numero}`).click();
    await page.getByTestId('invoice-create').click();
    const share = page.getByTestId('invoice-share');
    await expect(share.getByTestId('share-link-state')).toHaveAttribute('data-state', 'live');
    await expect(share.getByTestId('share-link')).toHaveValue(new RegExp(`^${base}/pay/[A-Za-z0-9_-]{43}$`));
    await expect(page.getByTestId('share-attempt')).toHaveCount(1);

    await expect(share.getByTestId('share-email')).toHaveValue('cliente@example.it');
    await share.getByTestId('share-send').click();
    await expect(share.getByTestId('share-done')).toContainText('cliente@example.it');
    await expect.poll(() => sink.messages.length).toBe(1);
    // Quoted-printable soft line breaks joined.
    const mail = sink.messages[0].replace(/=\r\n/g, '');
    const found = mail.match(/https?:\/\/[^\s]+\/pay\/[A-Za-z0-9_-]{43}/);
    expect(found, mail).not.toBeNull();
    const link = found ? found[0] : '';
    expect(link.startsWith(`${base}/pay/`)).toBeTruthy();
    await expect(share.getByTestId('share-link')).toHaveValue(link);

    const phone = await browser.newContext({ viewport: { width: 360, height: 740 }, locale: 'en-US', ignoreHTTPSErrors: true });
    const client = await phone.newPage();
    const response = await client.goto(link);
    expect(response?.status()).toBe(200);
    await expect(client.locator('#fattura')).toContainText(numero);
    const wallet = (await client.locator('#wallet').getAttribute('href')) ?? '';
    expect(wallet.startsWith('lightning:')).toBeTruthy();
    await payInvoice(wallet.slice('lightning:'.length));
    await expect(client.locator('#state')).toContainText('Paid');
    await expect(client.locator('#preimage')).toHaveText(/^[0-9a-f]{64}$/);
    await phone.close();
  } finally {
    sink.close();
  }
});
