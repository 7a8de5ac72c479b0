import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { verifyWebhook } from '@openwaba/sdk/webhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, hasChromium, signIn, startHarness } from './harness.ts';

const OWNER = { email: 'owner@hooks.example', password: 'browser webhooks password' };

/** A receiver on this machine (allowed by FETCH_ALLOW_PRIVATE): answers `status`, keeps each request. */
function receiver() {
  const got: { headers: IncomingHttpHeaders; body: string }[] = [];
  const state = { status: 200 };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      got.push({ headers: req.headers, body: Buffer.concat(chunks).toString() });
      res.writeHead(state.status, { 'content-type': 'text/plain' }).end(`answer ${state.status}`);
    });
  });
  return { server, got, state };
}

describe.skipIf(!hasChromium)('Outbound webhooks in Chromium', () => {
  let h: Harness;
  let base: string;
  const r = receiver();
  let hookUrl: string;

  beforeAll(async () => {
    await new Promise<void>((ok) => r.server.listen(0, '127.0.0.1', ok));
    hookUrl = `http://127.0.0.1:${(r.server.address() as AddressInfo).port}/openwaba`;
    h = await startHarness(
      { ...OWNER, org: 'Hooks Bakery' },
      { SANDBOX_PACE: '0', FETCH_ALLOW_PRIVATE: '127.0.0.1' },
    );
    base = h.server.url;
    await signIn(h.page, base, OWNER);
  }, 120_000);
  afterAll(async () => {
    await h?.stop();
    r.server.close();
  });

  it('the owner adds an endpoint, sends a test event, reads the log, replays a failure and rotates the secret', async () => {
    const { page } = h;
    await page.goto(`${base}/settings`);
    await page
      .getByRole('navigation', { name: 'Settings' })
      .getByRole('link', { name: 'Webhooks', exact: true })
      .click();
    await page.waitForURL(/\/settings\/webhooks$/);
    await page.getByText('No endpoints yet.').waitFor();

    await page.getByRole('button', { name: 'Add endpoint' }).click();
    const form = page.getByRole('form', { name: 'Add endpoint' });
    // Nothing filled: the server says what is missing, next to the fields.
    await form.getByRole('button', { name: 'Add endpoint' }).click();
    await form.getByText('must be a URL').waitFor();
    await form.getByText('choose at least one event type').waitFor();
    // A private address that is not on the allow-list is refused, and nothing is made.
    await form.getByLabel('URL').fill('http://10.1.2.3/hook');
    await form.getByRole('checkbox', { name: 'message.received', exact: true }).check();
    await form.getByRole('button', { name: 'Add endpoint' }).click();
    await form
      .getByRole('alert')
      .filter({ hasText: /private|not allowed|refused|public/i })
      .first()
      .waitFor();

    await form.getByLabel('URL').fill(hookUrl);
    await form.getByLabel('Description (optional)').fill('Shop backend');
    await form.getByRole('checkbox', { name: 'contact.opted_out', exact: true }).check();
    await form.getByRole('button', { name: 'Add endpoint' }).click();
    const added = page.getByRole('region', { name: 'Endpoint added' });
    const secret = ((await added.getByTestId('webhook-secret').textContent()) ?? '').trim();
    expect(secret).toMatch(/^whsec_\S{20,}$/);
    const row = page.getByTestId('webhook-endpoints').getByRole('row', { name: /Shop backend/ });
    await row.waitFor();
    expect(await row.textContent()).toContain('Active');
    await h.shot('webhooks-1-added');
    await added.getByRole('button', { name: 'Done' }).click();

    // The endpoint's page: a test event arrives signed, and the log shows the attempt.
    await row.getByRole('link').click();
    await page.waitForURL(/\/settings\/webhooks\/[0-9a-f-]{36}$/);
    await page.getByText('No deliveries yet.', { exact: false }).waitFor();
    await page.getByRole('button', { name: 'Send test event' }).click();
    await expect.poll(() => r.got.length, { timeout: 15_000 }).toBe(1);
    const first = r.got[0]!;
    const event = verifyWebhook(first.body, first.headers as Record<string, string>, secret) as {
      type: string;
    };
    expect(event.type).toBe('webhook.test');
    const log = page.getByTestId('webhook-deliveries');
    await log.getByText('Delivered').waitFor({ timeout: 15_000 });
    await log
      .getByRole('button', { name: /^Details of / })
      .first()
      .click();
    const detail = page.getByTestId('delivery-detail');
    await detail.getByText('HTTP 200').waitFor();
    await detail.getByText('answer 200').waitFor();
    await h.shot('webhooks-2-log');

    // The receiver fails: the delivery is retried later, and says why.
    r.state.status = 500;
    await page.getByRole('button', { name: 'Send test event' }).click();
    await log.getByText('Retrying').waitFor({ timeout: 15_000 });
    await log.getByText('HTTP 500').first().waitFor();
    // Fixed: replaying the failed delivery sends it again with the same webhook-id.
    r.state.status = 200;
    const failedId = r.got[1]!.headers['webhook-id'];
    await log
      .getByRole('row')
      .filter({ hasText: 'Retrying' })
      .getByRole('button', { name: /^Details of / })
      .click();
    await page.getByTestId('delivery-detail').getByRole('button', { name: 'Replay' }).click();
    await expect.poll(() => r.got.length, { timeout: 15_000 }).toBe(3);
    expect(r.got[2]!.headers['webhook-id']).toBe(failedId);

    // Rotation: a new secret, and the old one still verifies during the overlap.
    await page.getByRole('button', { name: 'Rotate secret' }).click();
    await page.getByRole('alertdialog').getByRole('button', { name: 'Rotate secret' }).click();
    await page.getByText('the previous one keeps signing too', { exact: false }).waitFor();
    const rotated = ((await page.getByTestId('webhook-secret').textContent()) ?? '').trim();
    expect(rotated).toMatch(/^whsec_/);
    expect(rotated).not.toBe(secret);
    await page.getByRole('button', { name: 'Send test event' }).click();
    await expect.poll(() => r.got.length, { timeout: 15_000 }).toBe(4);
    const last = r.got[3]!;
    expect(() => verifyWebhook(last.body, last.headers as Record<string, string>, rotated)).not.toThrow();
    expect(() => verifyWebhook(last.body, last.headers as Record<string, string>, secret)).not.toThrow();
    await h.shot('webhooks-3-rotated');

    // Paused: the list says so.
    await page.getByRole('button', { name: 'Pause' }).click();
    await page.getByText('Endpoint paused.').waitFor();
    await page.getByRole('link', { name: 'Webhooks' }).first().click();
    await expect.poll(() => row.textContent()).toContain('Paused');
  });
});
