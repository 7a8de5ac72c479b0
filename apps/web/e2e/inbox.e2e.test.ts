import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Harness,
  hasChromium,
  customerSends as sendAsCustomer,
  signIn,
  startHarness,
} from './harness.ts';

const ADMIN = { email: 'owner@kettle.example', password: 'browser inbox password' };
const CUSTOMER = { wa_id: '447700900555', name: 'Priya Raman' };
/** The sandbox number's WhatsApp Business Account on the built-in simulator. */
const SANDBOX_WABA = '200000000000001';

describe.skipIf(!hasChromium)('inbox, sandbox badge and webhook events in Chromium', () => {
  let h: Harness;
  beforeAll(async () => {
    // Only the two opening messages of the sandbox: the rest of the traffic comes from this test.
    h = await startHarness({ ...ADMIN, org: 'Kettle & Co' }, { SANDBOX_PACE: '0' });
  });
  afterAll(async () => {
    await h?.stop();
  });

  /** A simulated customer writes to the sandbox number. */
  const customerSends = (body: Record<string, unknown>, waId = CUSTOMER.wa_id) =>
    sendAsCustomer(h, waId, body);

  it('shows the sandbox badge in the shell, with what it means', async () => {
    const { page, server } = h;
    expect(h.simulatorUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    await signIn(page, server.url, ADMIN);
    const badge = page.getByTestId('sandbox-badge');
    await badge.waitFor();
    expect(await badge.textContent()).toContain('Sandbox');
    await badge.hover();
    const tip = page.getByRole('tooltip');
    await tip.waitFor();
    expect(await tip.textContent()).toContain('Messages go to the built-in simulator, not WhatsApp');
    expect(await badge.getAttribute('aria-describedby')).toBe(await tip.getAttribute('id'));
    await h.shot('20-sandbox-badge');
    await page.mouse.move(900, 600);
  });

  it('lists conversations and shows a new inbound message in the list and the thread without a reload', async () => {
    const { page, server } = h;
    await page.goto(`${server.url}/inbox`);
    const list = page.getByRole('list', { name: 'Conversations' });
    // The sandbox's two simulated customers wrote in at start.
    await list.getByRole('link').nth(1).waitFor({ timeout: 20_000 });
    await page.getByText('Select a conversation').waitFor();
    await page.evaluate(() => {
      (window as unknown as { marker: number }).marker = 7;
    });

    const firstWamid = await customerSends({
      type: 'text',
      name: CUSTOMER.name,
      text: 'Is the <b>blue</b> kettle back in stock?',
    });
    const item = list.getByRole('link', { name: new RegExp(CUSTOMER.name) });
    await item.waitFor({ timeout: 15_000 });
    expect(await item.textContent()).toContain('Is the <b>blue</b> kettle back in stock?');
    expect(await item.textContent()).toMatch(/1 unread/);
    expect(await item.textContent()).toMatch(/open · (23|24) h left/);
    await item.click();
    await page.waitForURL(/\/inbox\/[0-9a-f-]{36}$/);
    // The list marks the open conversation once it re-renders for the new URL (a busy machine lags).
    await expect.poll(() => item.getAttribute('aria-current'), { timeout: 10_000 }).toBe('page');
    const thread = page.getByRole('log', { name: 'Messages' });
    // Escaped, never injected: the markup arrives as text.
    await thread.getByText('Is the <b>blue</b> kettle back in stock?').waitFor();
    expect(await thread.locator('b').count()).toBe(0);
    await page.getByRole('heading', { name: CUSTOMER.name }).waitFor();

    // More arrives while the conversation is open: each kind rendered as itself.
    await customerSends({ type: 'text', text: 'I can pick it up tomorrow' });
    await customerSends({ type: 'location' });
    await customerSends({ type: 'contacts' });
    await customerSends({ type: 'button_reply', title: 'Yes, reserve it' });
    await customerSends({ type: 'image', caption: 'This one' });
    await customerSends({ type: 'document', caption: 'Last receipt', filename: 'receipt-0412.pdf' });
    await customerSends({ type: 'reaction', message_id: firstWamid, emoji: '👍' });
    await customerSends({ type: 'unsupported' });
    await thread.getByText('I can pick it up tomorrow').waitFor({ timeout: 15_000 });
    await thread.getByText('Philz Coffee').waitFor({ timeout: 15_000 });
    await thread.getByText('Ana Silva').waitFor();
    await thread.getByText('Yes, reserve it').waitFor();
    await thread.getByText('This one').waitFor();
    await thread.getByText('receipt-0412.pdf').waitFor();
    await thread.getByText(/Reacted .* to “Is the <b>blue<\/b> kettle/).waitFor();
    // The file is fetched from Meta (the simulator) by a job, then served by the API to this session.
    const photo = thread.getByRole('img', { name: 'This one' });
    await photo.waitFor({ timeout: 20_000 });
    expect(await photo.getAttribute('src')).toMatch(/^\/api\/v1\/messages\/[0-9a-f-]{36}\/media$/);
    await page.waitForFunction(() => {
      const img = document.querySelector<HTMLImageElement>('img[alt="This one"]');
      return Boolean(img?.complete && img.naturalWidth > 0);
    });
    await thread.getByText(/Unsupported message/).waitFor();
    await thread.getByText('Today').waitFor();
    // Open while they arrived: read as they came, so nothing is unread for this agent.
    await expect
      .poll(async () => list.getByRole('link', { name: new RegExp(CUSTOMER.name) }).textContent(), {
        timeout: 15_000,
      })
      .not.toMatch(/unread/);
    expect(await page.evaluate(() => (window as unknown as { marker?: number }).marker)).toBe(7);
    await h.shot('21-inbox-live');
    await photo.scrollIntoViewIfNeeded();
    await h.shot('22-inbox-media');

    // Search narrows the list; the arrow keys move between conversations.
    await page.getByLabel('Search conversations').fill('Priya');
    await page.waitForFunction(
      () => document.querySelectorAll('[aria-label="Conversations"] a[data-conversation]').length === 1,
    );
    await page.getByLabel('Search conversations').fill('');
    await page.waitForFunction(
      () => document.querySelectorAll('[aria-label="Conversations"] a[data-conversation]').length === 3,
    );
    await list.getByRole('link').first().focus();
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('Enter');
    await page.waitForFunction(
      () =>
        document
          .querySelectorAll('[aria-label="Conversations"] a[data-conversation]')[1]
          ?.getAttribute('aria-current') === 'page',
    );
    expect(await page.evaluate(() => (window as unknown as { marker?: number }).marker)).toBe(7);
  });

  it('shows a template reply as the customer saw it: header, body with its values, footer, buttons', async () => {
    const { page, server } = h;
    const base = server.url;
    const added = await fetch(`${h.simulatorUrl}/_sim/templates`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        waba_id: SANDBOX_WABA,
        name: 'kettle_ready',
        language: 'en_US',
        category: 'UTILITY',
        components: [
          { type: 'HEADER', format: 'TEXT', text: 'Order {{1}}', example: { header_text: ['K-1'] } },
          {
            type: 'BODY',
            text: 'Hi {{1}}, your {{2}} is ready for pickup on {{3}}.',
            example: { body_text: [['Ana', 'kettle', 'Monday']] },
          },
          { type: 'FOOTER', text: 'Kettle & Co, Leeds' },
          {
            type: 'BUTTONS',
            buttons: [
              { type: 'URL', text: 'Track order', url: 'https://kettle.example/o/{{1}}', example: ['K-1'] },
              { type: 'QUICK_REPLY', text: 'Change the day' },
            ],
          },
        ],
      }),
    });
    expect(added.status, await added.clone().text()).toBe(201);
    const sync = await page.request.post(`${base}/api/v1/templates/sync`, { data: {} });
    expect(sync.status(), await sync.text()).toBe(200);
    const found = await page.request.get(`${base}/api/v1/conversations?search=Priya`);
    const conversation = ((await found.json()) as { data: { id: string }[] }).data[0]!;
    // Sent through the API (the composer offers templates once the window is closed; team-inbox covers it).
    const sent = await page.request.post(`${base}/api/v1/conversations/${conversation.id}/reply`, {
      data: {
        content: {
          type: 'template',
          template: {
            name: 'kettle_ready',
            language: { code: 'en_US' },
            components: [
              { type: 'header', parameters: [{ type: 'text', text: 'K-88' }] },
              {
                type: 'body',
                parameters: [
                  { type: 'text', text: 'Priya' },
                  { type: 'text', text: '<b>blue</b> kettle' },
                  { type: 'date_time', date_time: { fallback_value: 'Friday 10:00' } },
                ],
              },
              { type: 'button', sub_type: 'url', index: '0', parameters: [{ type: 'text', text: 'K-88' }] },
            ],
          },
        },
      },
    });
    expect(sent.status(), await sent.text()).toBe(202);

    await page.goto(`${base}/inbox/${conversation.id}`);
    // The list shows the rendered body as the last message (checked first: the sandbox's customers
    // sometimes answer, some seconds after they read it).
    const item = page.getByRole('list', { name: 'Conversations' }).getByRole('link', { name: /Priya Raman/ });
    await expect
      .poll(() => item.textContent(), { timeout: 15_000 })
      .toContain('Hi Priya, your <b>blue</b> kettle');
    const thread = page.getByRole('log', { name: 'Messages' });
    const bubble = thread.getByTestId('template-message');
    await bubble.waitFor({ timeout: 15_000 });
    await bubble.getByText('Order K-88').waitFor();
    // The values filled in, and escaped: the markup in a value arrives as text.
    await bubble
      .getByText('Hi Priya, your <b>blue</b> kettle is ready for pickup on Friday 10:00.')
      .waitFor();
    expect(await bubble.locator('b').count()).toBe(0);
    await bubble.getByText('Kettle & Co, Leeds').waitFor();
    const buttons = bubble.getByRole('list', { name: 'Buttons' }).getByRole('listitem');
    expect(await buttons.allTextContents()).toEqual(['Track order', 'Change the day']);
    expect(await buttons.first().getAttribute('title')).toBe('https://kettle.example/o/K-88');
    expect(await bubble.textContent()).not.toContain('{{');
    await h.shot('25-inbox-template-reply');
  });

  it('on a phone, shows the list or the conversation', async () => {
    const { page, server } = h;
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${server.url}/inbox`);
    const item = page.getByRole('link', { name: new RegExp(CUSTOMER.name) });
    await item.click();
    await page.getByRole('log', { name: 'Messages' }).getByText('I can pick it up tomorrow').waitFor();
    await h.shot('23-inbox-phone');
    await page.getByRole('link', { name: 'All conversations' }).click();
    await page.waitForURL(/\/inbox$/);
    await page.setViewportSize({ width: 1280, height: 720 });
  });

  it('lists webhook events for admins, shows the raw body, and replays one', async () => {
    const { page, server } = h;
    await page.goto(`${server.url}/settings/organisation`);
    await page
      .getByRole('navigation', { name: 'Settings' })
      .getByRole('link', { name: 'Webhook events' })
      .click();
    const table = page.getByTestId('webhook-events-table');
    await table.waitFor();
    const row = table
      .locator('tr[data-event]')
      .filter({ hasText: 'Processed' })
      .filter({ hasText: /message/ });
    await row.first().waitFor();
    await page.getByLabel('Show', { exact: true }).selectOption('failed');
    await page.getByText('No events in this state.').waitFor();
    await page.getByLabel('Show', { exact: true }).selectOption('');
    await table.waitFor();

    // The event that brought the customer's first message.
    const first = table
      .locator('tr[data-event]')
      .filter({ has: page.getByRole('button', { name: /^#\d+/ }) })
      .last();
    await first.getByRole('button', { name: /^#\d+/ }).click();
    const raw = table.locator('pre').first();
    await raw.waitFor();
    expect(await raw.textContent()).toContain('whatsapp_business_account');
    await first.getByRole('button', { name: /^Replay event/ }).click();
    await first
      .getByRole('status')
      .filter({ hasText: /Replayed: .*duplicate/ })
      .waitFor();
    await h.shot('24-webhook-events');
  });
});
