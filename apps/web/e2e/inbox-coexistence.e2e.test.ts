import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, hasChromium, SANDBOX_PHONE_ID, signIn, startHarness } from './harness.ts';

const OWNER = { email: 'owner@coex.example', password: 'browser coexistence password' };
const CUSTOMER = { wa_id: '447700900777', name: 'Lena Ortiz' };

describe.skipIf(!hasChromium)(
  'inbox: a Click-to-WhatsApp referral, a message sent from the WhatsApp Business app, typing',
  () => {
    let h: Harness;
    let base: string;
    let page: Page;

    /** Has the sandbox's simulator send a webhook event of `kind` for the customer. */
    const simEvent = async (kind: string, params: Record<string, unknown> = {}) => {
      const res = await fetch(`${h.simulatorUrl}/_sim/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ kind, phone_number_id: SANDBOX_PHONE_ID, wa_id: CUSTOMER.wa_id, params }),
      });
      expect(res.status).toBe(201);
    };

    beforeAll(async () => {
      h = await startHarness({ ...OWNER, org: 'Coex Co' }, { SANDBOX_PACE: '0' });
      base = h.server.url;
      page = h.page;
      await signIn(page, base, OWNER);
      await fetch(`${h.simulatorUrl}/_sim/customers/${CUSTOMER.wa_id}`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: CUSTOMER.name }),
      });
      await simEvent('referral', { text: 'I saw your ad about the summer sale' });
      await page.goto(`${base}/inbox`);
      await page
        .getByRole('list', { name: 'Conversations' })
        .getByRole('link', { name: new RegExp(CUSTOMER.name) })
        .click({ timeout: 20_000 });
      await page
        .getByRole('log', { name: 'Messages' })
        .getByText('I saw your ad about the summer sale')
        .waitFor();
    }, 120_000);
    afterAll(async () => {
      await h?.stop();
    });

    it('the contact panel shows the ad the customer came from and its free window', async () => {
      await page.getByRole('button', { name: 'Contact details' }).click();
      const came = page.getByRole('complementary', { name: 'Contact details' }).getByRole('region', {
        name: 'Came from',
      });
      await came.getByText('Summer sale').waitFor();
      await came.getByText(/Click-to-WhatsApp ad 120226305854810726/).waitFor();
      await came.getByText(/^Aff-/).waitFor();
      await came.getByText('Free until').waitFor();
      await h.shot('98-inbox-referral');
      await page.getByRole('button', { name: 'Close details' }).click();
    });

    it('a message the owner sent from the WhatsApp Business app shows as such', async () => {
      await simEvent('echo', { text: 'Yes! 20% off until Sunday' });
      const bubble = page
        .getByRole('log', { name: 'Messages' })
        .locator('li', { hasText: 'Yes! 20% off until Sunday' });
      await bubble.waitFor({ timeout: 20_000 });
      await bubble.getByText('Sent from the WhatsApp Business app').waitFor();
    });

    it('typing a reply shows the customer a typing indicator, once per 20 s', async () => {
      const typed: string[] = [];
      page.on('request', (r) => {
        if (r.url().endsWith('/typing')) typed.push(r.url());
      });
      const answer = page.waitForResponse((r) => r.url().endsWith('/typing'));
      const box = page.getByLabel('Reply', { exact: true });
      await box.pressSequentially('Great, I');
      expect(await (await answer).json()).toEqual({ sent: true, reason: null });
      await box.pressSequentially(' will come by');
      expect(typed).toHaveLength(1);
    });
  },
);
