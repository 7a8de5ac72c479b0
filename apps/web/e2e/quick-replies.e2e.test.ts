import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { customerSends, type Harness, hasChromium, signIn, startHarness } from './harness.ts';

const OWNER = { email: 'owner@quickbrew.example', password: 'browser quick replies password' };
const VIEWER = { email: 'vera@quickbrew.example', password: 'viewer quick replies password' };
const CUSTOMER = { wa_id: '447700900888', name: 'Lena Fischer' };

describe.skipIf(!hasChromium)('Settings → Quick replies in Chromium', () => {
  let h: Harness;
  let base: string;
  let viewerContext: BrowserContext | undefined;

  beforeAll(async () => {
    h = await startHarness({ ...OWNER, org: 'Quick Brew' }, { SANDBOX_PACE: '0' });
    base = h.server.url;
    await signIn(h.page, base, OWNER);
  }, 120_000);
  afterAll(async () => {
    await viewerContext?.close();
    await h?.stop();
  });

  const row = (page: Page, shortcut: string) =>
    page.getByRole('list', { name: 'Quick replies' }).getByRole('listitem', { name: `/${shortcut}` });

  it('the owner creates, edits and deletes quick replies; a taken shortcut is refused with the server’s words', async () => {
    const { page } = h;
    await page.goto(`${base}/settings`);
    await page
      .getByRole('navigation', { name: 'Settings' })
      .getByRole('link', { name: 'Quick replies' })
      .click();
    await page.waitForURL(/\/settings\/quick-replies$/);
    await page.getByText('No quick replies yet.').waitFor();
    await page.getByText('{{contact.field.<key>}}').waitFor();

    // Client-side checks are the server's schema: an invalid shortcut and an empty body never leave.
    await page.getByRole('button', { name: 'New quick reply' }).click();
    const form = page.getByRole('form', { name: 'New quick reply' });
    await form.getByLabel('Shortcut').fill('Opening Hours!');
    await form.getByRole('button', { name: 'Add quick reply' }).click();
    await form.getByText('lowercase letters, digits, - and _ (typed after /)').waitFor();
    await form.getByText('is required').waitFor();
    await h.shot('96-quick-replies-invalid');

    await form.getByLabel('Shortcut').fill('hours');
    await form.getByLabel('Message').fill('Hi {{contact.name}}, we open at 9.');
    const preview = form.getByTestId('quick-reply-preview');
    await expect.poll(() => preview.textContent()).toBe('Hi Ana Costa, we open at 9.');
    await form.getByRole('button', { name: 'Add quick reply' }).click();
    await row(page, 'hours').waitFor();
    expect(await row(page, 'hours').textContent()).toContain('Hi {{contact.name}}, we open at 9.');

    // Text is rendered, never injected: markup in a body shows as typed in the preview and the list.
    await page.getByRole('button', { name: 'New quick reply' }).click();
    await form.getByLabel('Shortcut').fill('thanks');
    await form
      .getByLabel('Message')
      .fill('Thanks {{contact.name}} <img src=x onerror="window.hacked=1"> {{contact.email}}');
    await expect
      .poll(() => preview.textContent())
      .toBe('Thanks Ana Costa <img src=x onerror="window.hacked=1"> {{contact.email}}');
    await form.getByText('Not a variable, sent as typed: {{contact.email}}').waitFor();
    await form.getByRole('button', { name: 'Add quick reply' }).click();
    await row(page, 'thanks').waitFor();
    expect(await page.evaluate(() => (window as unknown as { hacked?: number }).hacked)).toBeUndefined();

    // Edit: the form opens with the saved text; the list shows the change.
    await page.getByRole('button', { name: 'Edit /hours' }).click();
    const edit = page.getByRole('form', { name: 'Edit /hours' });
    expect(await edit.getByLabel('Message').inputValue()).toBe('Hi {{contact.name}}, we open at 9.');
    await edit.getByLabel('Message').fill('Hi {{contact.name}}, we open at 9 and close at 5.');
    await edit.getByRole('button', { name: 'Save changes' }).click();
    await page.getByText('Saved /hours.').waitFor();
    await expect.poll(() => row(page, 'hours').textContent()).toContain('we open at 9 and close at 5.');

    // A shortcut already taken: the server refuses (409) and its message is shown, on create and on edit.
    await page.getByRole('button', { name: 'New quick reply' }).click();
    await form.getByLabel('Shortcut').fill('hours');
    await form.getByLabel('Message').fill('Another text');
    await form.getByRole('button', { name: 'Add quick reply' }).click();
    await form.getByText('The shortcut /hours is already used by another quick reply').waitFor();
    await form.getByText('already used', { exact: true }).waitFor();
    await h.shot('97-quick-replies-duplicate');
    await form.getByRole('button', { name: 'Cancel' }).click();

    await page.getByRole('button', { name: 'Edit /thanks' }).click();
    const editThanks = page.getByRole('form', { name: 'Edit /thanks' });
    await editThanks.getByLabel('Shortcut').fill('hours');
    await editThanks.getByRole('button', { name: 'Save changes' }).click();
    await editThanks.getByText('The shortcut /hours is already used by another quick reply').waitFor();
    await editThanks.getByRole('button', { name: 'Cancel' }).click();

    // Delete asks first, then the row goes.
    await page.getByRole('button', { name: 'Delete /thanks' }).click();
    await page.getByRole('alertdialog', { name: 'Delete /thanks?' }).waitFor();
    await page.getByRole('button', { name: 'Delete quick reply' }).click();
    await page.getByText('Deleted /thanks.').waitFor();
    await expect.poll(() => row(page, 'thanks').count()).toBe(0);
    await h.shot('98-quick-replies-list');

    const listed = await page.request.get(`${base}/api/v1/quick-replies`);
    const { data } = (await listed.json()) as { data: { shortcut: string; body: string }[] };
    expect(data).toEqual([
      expect.objectContaining({
        shortcut: 'hours',
        body: 'Hi {{contact.name}}, we open at 9 and close at 5.',
      }),
    ]);
  });

  it('in the inbox composer, /hours inserts the reply with the contact’s name filled in', async () => {
    const { page } = h;
    await customerSends(h, CUSTOMER.wa_id, {
      type: 'text',
      name: CUSTOMER.name,
      text: 'When do you open tomorrow?',
    });
    await page.goto(`${base}/inbox`);
    const item = page
      .getByRole('list', { name: 'Conversations' })
      .getByRole('link', { name: new RegExp(CUSTOMER.name) });
    await item.waitFor({ timeout: 20_000 });
    await item.click();
    await page.getByRole('log', { name: 'Messages' }).getByText('When do you open tomorrow?').waitFor();

    const reply = page.getByLabel('Reply', { exact: true });
    await reply.click();
    await reply.pressSequentially('/hou');
    const suggestion = page
      .getByRole('list', { name: 'Quick replies' })
      .getByRole('button', { name: /\/hours/ });
    await suggestion.waitFor();
    await suggestion.click();
    await expect
      .poll(() => reply.inputValue(), { timeout: 10_000 })
      .toBe(`Hi ${CUSTOMER.name}, we open at 9 and close at 5.`);
    await h.shot('99-quick-replies-inserted');
  });

  it('a viewer sees the quick replies without edit controls, and the API refuses their changes', async () => {
    const inv = await h.page.request.post(`${base}/api/v1/invitations`, {
      data: { email: VIEWER.email, role: 'viewer' },
    });
    expect(inv.status(), await inv.text()).toBe(201);
    const { token } = (await inv.json()) as { token: string };
    const accepted = await fetch(`${base}/api/v1/invitations/accept`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token, password: VIEWER.password, name: 'Vera' }),
    });
    expect(accepted.status, await accepted.clone().text()).toBe(200);

    viewerContext = await h.browser.newContext({ viewport: { width: 1280, height: 720 } });
    const page = await viewerContext.newPage();
    await signIn(page, base, VIEWER);
    await page.goto(`${base}/settings/quick-replies`);
    await row(page, 'hours').waitFor();
    await page.getByText('Only managers, admins and owners change quick replies').waitFor();
    expect(await page.getByRole('button', { name: 'New quick reply' }).count()).toBe(0);
    expect(await page.getByRole('button', { name: /^(Edit|Delete) \/hours$/ }).count()).toBe(0);
    await page.screenshot({
      path: new URL('../../../test-output/screenshots/99b-quick-replies-viewer.png', import.meta.url)
        .pathname,
      fullPage: true,
    });

    const created = await page.request.post(`${base}/api/v1/quick-replies`, {
      data: { shortcut: 'sneaky', body: 'Hello' },
    });
    expect(created.status()).toBe(403);
    expect(((await created.json()) as { error: { code: string } }).error.code).toBe('FORBIDDEN');
    const [hours] = (
      (await (await page.request.get(`${base}/api/v1/quick-replies`)).json()) as {
        data: { id: string }[];
      }
    ).data;
    const removed = await page.request.delete(`${base}/api/v1/quick-replies/${hours!.id}`);
    expect(removed.status()).toBe(403);
  });
});
