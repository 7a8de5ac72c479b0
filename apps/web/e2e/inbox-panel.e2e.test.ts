import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { customerSends, type Harness, hasChromium, signIn, startHarness } from './harness.ts';

const OWNER = { email: 'owner@panel.example', password: 'browser inbox panel password' };
const CUSTOMER = { wa_id: '447700900555', name: 'Priya Nair' };
// 1×1 PNG.
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
  'base64',
);

describe.skipIf(!hasChromium)(
  'inbox: contact panel, notes with @mentions, tags, files, reactions, retry',
  () => {
    let h: Harness;
    let base: string;
    let page: Page;

    beforeAll(async () => {
      h = await startHarness({ ...OWNER, org: 'Panel Co' }, { SANDBOX_PACE: '0' });
      base = h.server.url;
      page = h.page;
      await signIn(page, base, OWNER);
      // A teammate to mention, and a tag to put on the conversation.
      const inv = await page.request.post(`${base}/api/v1/invitations`, {
        data: { email: 'asha@panel.example', role: 'agent' },
      });
      const { token } = (await inv.json()) as { token: string };
      const accepted = await fetch(`${base}/api/v1/invitations/accept`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ token, password: 'asha panel password', name: 'Asha Rao' }),
      });
      expect(accepted.status).toBe(200);
      expect((await page.request.post(`${base}/api/v1/tags`, { data: { name: 'Billing' } })).status()).toBe(
        201,
      );
      await customerSends(h, CUSTOMER.wa_id, {
        type: 'text',
        name: CUSTOMER.name,
        text: 'Can I get a copy of my invoice?',
      });
      await page.goto(`${base}/inbox`);
      await page
        .getByRole('list', { name: 'Conversations' })
        .getByRole('link', { name: new RegExp(CUSTOMER.name) })
        .click({ timeout: 20_000 });
      await page
        .getByRole('log', { name: 'Messages' })
        .getByText('Can I get a copy of my invoice?')
        .waitFor();
    }, 120_000);
    afterAll(async () => {
      await h?.stop();
    });

    it('the details panel shows the contact, tags the conversation and keeps notes that mention a teammate', async () => {
      await page.getByRole('button', { name: 'Contact details' }).click();
      const panel = page.getByRole('complementary', { name: 'Contact details' });
      await panel.getByText(CUSTOMER.name).first().waitFor();
      await panel.getByText('No campaigns sent to this contact.').waitFor();
      await panel.getByText(/Opted in|Opted out|No opt-in on file/).waitFor();

      // Conversation tags: add one, see it, remove it.
      await panel.getByLabel('Add a tag').selectOption({ label: 'Billing' });
      const tags = panel.getByRole('list', { name: 'Conversation tags' });
      await tags.getByText('Billing').waitFor();
      await panel.getByRole('button', { name: 'Remove tag Billing' }).click();
      await tags.getByText('None').waitFor();
      await panel.getByLabel('Add a tag').selectOption({ label: 'Billing' });
      await tags.getByText('Billing').waitFor();

      // A note: "@as" offers Asha; Enter picks her; the note is kept with the mention as plain text.
      const box = panel.getByLabel('New note');
      await box.click();
      await box.pressSequentially('Invoice resent, <b>bold</b> @as');
      const mentions = panel.getByRole('list', { name: 'Mention a member' });
      await mentions.getByText('Asha Rao').waitFor();
      await h.shot('95-inbox-panel-mention');
      await box.press('Enter');
      await expect.poll(() => box.inputValue()).toBe('Invoice resent, <b>bold</b> @asha@panel.example ');
      await box.pressSequentially('please check');
      await panel.getByRole('button', { name: 'Add note' }).click();
      const notes = panel.getByRole('list', { name: 'Notes' });
      await notes.getByText('Invoice resent, <b>bold</b> @asha@panel.example please check').waitFor();
      expect(await notes.locator('b').count()).toBe(0);
      const api = await page.request.get(`${base}/api/v1/conversations?search=${CUSTOMER.wa_id}`);
      const [c] = (await api.json()).data as { id: string; tags: { name: string }[] }[];
      expect(c!.tags.map((t) => t.name)).toEqual(['Billing']);
      await h.shot('96-inbox-panel-notes-tags');
      // Below very wide screens the panel lies over the thread: closing it gives the thread back.
      await panel.getByRole('button', { name: 'Close details' }).click();
      await panel.waitFor({ state: 'detached' });
    });

    it('a file goes out with its caption after a clear refusal of a type WhatsApp cannot send', async () => {
      const picker = page.getByLabel('File to send');
      await picker.setInputFiles({
        name: 'page.html',
        mimeType: 'text/html',
        buffer: Buffer.from('<p>x</p>'),
      });
      await page.getByRole('alert').getByText('WhatsApp cannot send text/html (page.html)').waitFor();
      await picker.setInputFiles({ name: 'invoice.png', mimeType: 'image/png', buffer: PNG });
      await page.getByText(/invoice\.png \(1 KB\)/).waitFor();
      await page.getByLabel('Reply', { exact: true }).fill('Here is your invoice');
      await page.getByRole('button', { name: 'Send', exact: true }).click();
      const thread = page.getByRole('log', { name: 'Messages' });
      const bubble = thread.locator('li', { hasText: 'Here is your invoice' });
      await bubble.waitFor({ timeout: 20_000 });
      const img = bubble.locator('img');
      await img.waitFor();
      await expect
        .poll(() => img.evaluate((el) => (el as HTMLImageElement).naturalWidth), { timeout: 15_000 })
        .toBe(1);
      await h.shot('97-inbox-media-reply');
    });

    it('an agent reacts to the customer’s message; a failed message offers Retry and goes again', async () => {
      const thread = page.getByRole('log', { name: 'Messages' });
      const inbound = thread.locator('li', { hasText: 'Can I get a copy of my invoice?' });
      await inbound.getByRole('button', { name: 'React' }).click();
      await inbound.getByRole('button', { name: 'React 👍' }).click();
      await thread.getByText(/Reacted 👍 to/).waitFor({ timeout: 20_000 });

      // Replying to that message: it is quoted in the composer, and in the reply once sent.
      await inbound.getByRole('button', { name: 'Reply to this message' }).click();
      await page.getByText('Replying to the customer: “Can I get a copy of my invoice?”').waitFor();
      await page.getByLabel('Reply', { exact: true }).fill('Sent it a minute ago');
      await page.keyboard.press('Enter');
      const quotedReply = thread.locator('li', { hasText: 'Sent it a minute ago' });
      await quotedReply
        .locator('blockquote', { hasText: 'Can I get a copy of my invoice?' })
        .waitFor({ timeout: 20_000 });
      expect(await page.getByText(/^Replying to/).count()).toBe(0);
      const sentReply = (
        await h.server.database.query<{ context_wamid: string | null }>(
          `select context_wamid from messages where content->'text'->>'body' = 'Sent it a minute ago'`,
        )
      )[0];
      expect(sentReply?.context_wamid).toMatch(/^wamid\./);
      await h.shot('97b-inbox-reply-quoted');

      // Meta refused a reply (as it would for a blocked recipient): the reason shows, with Retry.
      await page.getByLabel('Reply', { exact: true }).fill('Anything else I can do?');
      await page.keyboard.press('Enter');
      const sent = thread.locator('li', { hasText: 'Anything else I can do?' });
      await sent.getByText(/^(Sent|Delivered|Read)$/).waitFor({ timeout: 20_000 });
      await h.server.database.query(
        `update messages set status = 'failed', error = $1 where content->'text'->>'body' = 'Anything else I can do?'`,
        [
          JSON.stringify({
            code: 131049,
            title: 'This message was not delivered to maintain healthy ecosystem engagement.',
          }),
        ],
      );
      await page.reload();
      const failed = thread.locator('li', { hasText: 'Anything else I can do?' }).first();
      await failed
        .getByText(/healthy ecosystem engagement\. \(Meta error 131049\)/)
        .waitFor({ timeout: 15_000 });
      await h.shot('98-inbox-failed-retry');
      await failed.getByRole('button', { name: 'Retry' }).click();
      const copies = thread.locator('li', { hasText: 'Anything else I can do?' });
      await expect.poll(() => copies.count(), { timeout: 15_000 }).toBe(2);
      await copies
        .nth(1)
        .getByText(/^(Sent|Delivered|Read)$/)
        .waitFor({ timeout: 20_000 });
    });

    it('Settings → Teams: a team is created with its members and the inbox assigns round-robin within it', async () => {
      await page.goto(`${base}/settings/teams`);
      await page.getByRole('button', { name: 'New team' }).click();
      const form = page.getByRole('form', { name: 'New team' });
      await form.getByLabel('Name').fill('Billing');
      await form.getByLabel(/Asha Rao/).check();
      await form.getByRole('button', { name: 'Create team' }).click();
      const teams = page.getByRole('list', { name: 'Teams' });
      await teams.getByText('Billing').waitFor();
      await teams.getByText('Asha Rao').waitFor();
      await h.shot('99c-settings-teams');
      // A duplicate name is refused with the server's words.
      await page.getByRole('button', { name: 'New team' }).click();
      await page.getByRole('form', { name: 'New team' }).getByLabel('Name').fill('billing');
      await page.getByRole('button', { name: 'Create team' }).click();
      await page.getByText('A team named “billing” already exists').waitFor();
      await page.getByRole('button', { name: 'Cancel' }).click();

      await page.goto(`${base}/inbox`);
      await page
        .getByRole('list', { name: 'Conversations' })
        .getByRole('link', { name: new RegExp(CUSTOMER.name) })
        .click();
      const assignee = page.getByLabel('Assignee');
      await assignee.locator('option', { hasText: 'Next in Billing' }).waitFor({ state: 'attached' });
      await assignee.selectOption({ label: 'Next in Billing' });
      await expect
        .poll(async () => (await assignee.locator('option:checked').textContent())?.trim())
        .toBe('Asha Rao');
      // Snoozed for an hour: it says until when, and the API has the time.
      const status = page.getByLabel('Status', { exact: true });
      await status.selectOption({ label: 'Snooze 1 hour' });
      await expect
        .poll(async () => (await status.locator('option:checked').textContent())?.trim(), { timeout: 15_000 })
        .toMatch(/^Snoozed until /);
      const res = await page.request.get(`${base}/api/v1/conversations?search=${CUSTOMER.wa_id}`);
      const [snoozed] = (await res.json()).data as { status: string; snoozed_until: string }[];
      expect(snoozed!.status).toBe('snoozed');
      const inMs = Date.parse(snoozed!.snoozed_until) - Date.now();
      expect(inMs).toBeGreaterThan(50 * 60_000);
      expect(inMs).toBeLessThan(61 * 60_000);
    });

    it('a username customer is shown by their username; "Ask for phone number" sends Meta’s request and their answer links the phone', async () => {
      const wa = '447700900777';
      const put = await fetch(`${h.simulatorUrl}/_sim/customers/${wa}`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'sam.user' }),
      });
      expect(put.status).toBe(200);
      await customerSends(h, wa, { type: 'text', name: 'Sam', text: 'Do you deliver on Sundays?' });
      await page.goto(`${base}/inbox`);
      const row = page
        .getByRole('list', { name: 'Conversations' })
        .getByRole('link', { name: /Sam/ })
        .filter({ hasText: 'Do you deliver on Sundays?' });
      await row.click({ timeout: 20_000 });
      await page.getByRole('log', { name: 'Messages' }).getByText('Do you deliver on Sundays?').waitFor();
      const panel = page.getByRole('complementary', { name: 'Contact details' });
      // The panel stays open from the tests before (its state is remembered); open it when run alone.
      const toggle = page.getByRole('button', { name: 'Contact details' });
      if ((await toggle.getAttribute('aria-pressed')) !== 'true') await toggle.click();
      await panel.getByText('@sam.user').first().waitFor();
      expect(await panel.getByText(`+${wa}`).count()).toBe(0);
      await panel.getByRole('button', { name: 'Ask for phone number' }).click();
      await page.getByRole('log', { name: 'Messages' }).getByText('Asked for their phone number').waitFor();
      // The customer taps WhatsApp's button: their number comes back and is linked to the contact.
      await customerSends(h, wa, { type: 'contact_request' });
      await panel.getByText(`+${wa}`).first().waitFor({ timeout: 20_000 });
      await expect(panel.getByRole('button', { name: 'Ask for phone number' }).count()).resolves.toBe(0);
      await h.shot('99c-inbox-username-customer');
      await panel.getByRole('button', { name: 'Close details' }).click();
    });

    it('a profile name and a message with HTML in them are shown as text, never run', async () => {
      const name = '<img src=x onerror="window.pwned=1">Eve';
      await customerSends(h, '447700900556', {
        type: 'text',
        name,
        text: '<b onmouseover="window.pwned=2">hover me</b>',
      });
      await page.goto(`${base}/inbox`);
      const item = page.getByRole('list', { name: 'Conversations' }).getByRole('link', { name: /Eve/ });
      await item.waitFor({ timeout: 20_000 });
      expect(await item.textContent()).toContain(name);
      expect(await item.locator('img').count()).toBe(0);
      await item.click();
      const thread = page.getByRole('log', { name: 'Messages' });
      await thread.getByText('<b onmouseover="window.pwned=2">hover me</b>').hover();
      await page.getByRole('button', { name: 'Contact details' }).click();
      const panel = page.getByRole('complementary', { name: 'Contact details' });
      await panel.getByText(name).first().waitFor();
      expect(await panel.locator('img').count()).toBe(0);
      expect(await page.evaluate(() => (window as unknown as { pwned?: number }).pwned)).toBeUndefined();
      await h.shot('99d-inbox-html-as-text');
      await panel.getByRole('button', { name: 'Close details' }).click();
    });
  },
);
