import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { customerSends, type Harness, hasChromium, signIn, startHarness } from './harness.ts';

const OWNER = { email: 'owner@teamtea.example', password: 'browser team inbox password' };
const CUSTOMER = { wa_id: '447700900777', name: 'Omar Haddad' };

describe.skipIf(!hasChromium)('team inbox: two agents in two browsers', () => {
  let h: Harness;
  let base: string;
  const contexts: BrowserContext[] = [];
  let a: Page;
  let b: Page;

  async function agent(email: string, name: string) {
    const inv = await h.page.request.post(`${base}/api/v1/invitations`, { data: { email, role: 'agent' } });
    expect(inv.status(), await inv.text()).toBe(201);
    const { token } = (await inv.json()) as { token: string };
    const password = `${name} inbox password`;
    const accepted = await fetch(`${base}/api/v1/invitations/accept`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token, password, name }),
    });
    expect(accepted.status, await accepted.clone().text()).toBe(200);
    const context = await h.browser.newContext({ viewport: { width: 1280, height: 720 } });
    contexts.push(context);
    const page = await context.newPage();
    await signIn(page, base, { email, password });
    return page;
  }

  beforeAll(async () => {
    h = await startHarness({ ...OWNER, org: 'Team Tea' }, { SANDBOX_PACE: '0' });
    base = h.server.url;
    await signIn(h.page, base, OWNER);
    a = await agent('asha@teamtea.example', 'Asha');
    b = await agent('ben@teamtea.example', 'Ben');
  }, 120_000);
  afterAll(async () => {
    for (const c of contexts) await c.close();
    await h?.stop();
  });

  const item = (page: Page) =>
    page.getByRole('list', { name: 'Conversations' }).getByRole('link', { name: new RegExp(CUSTOMER.name) });

  it('a customer message reaches both; each agent’s unread is their own; a reply and its ticks show live for the other', async () => {
    await a.goto(`${base}/inbox`);
    await b.goto(`${base}/inbox`);
    await customerSends(h, CUSTOMER.wa_id, {
      type: 'text',
      name: CUSTOMER.name,
      text: '<script>window.hacked = 1</script> Do you deliver on Sundays?',
    });
    // Both see it arrive, unread, without a reload.
    for (const page of [a, b]) {
      await item(page).waitFor({ timeout: 20_000 });
      await expect.poll(async () => item(page).textContent(), { timeout: 15_000 }).toMatch(/1 unread/);
    }

    // Asha opens it: her unread resets, Ben's does not.
    await item(a).click();
    const threadA = a.getByRole('log', { name: 'Messages' });
    await threadA.getByText('<script>window.hacked = 1</script> Do you deliver on Sundays?').waitFor();
    expect(await a.evaluate(() => (window as unknown as { hacked?: number }).hacked)).toBeUndefined();
    await expect.poll(async () => item(a).textContent(), { timeout: 15_000 }).not.toMatch(/unread/);
    await new Promise((r) => setTimeout(r, 1000));
    expect(await item(b).textContent()).toMatch(/1 unread/);
    await h.shot('90-team-inbox-owner');
    await a.screenshot({ path: shot('91-team-inbox-agent-a-read') });
    await b.screenshot({ path: shot('92-team-inbox-agent-b-unread') });

    // Ben opens it too; Asha replies; Ben sees the reply and its ticks move without a reload.
    await item(b).click();
    const threadB = b.getByRole('log', { name: 'Messages' });
    await threadB.getByText(/Do you deliver on Sundays\?/).waitFor();
    await b.evaluate(() => {
      (window as unknown as { sameDocument: boolean }).sameDocument = true;
    });
    await a.getByLabel('Reply', { exact: true }).fill('Yes — Sundays 10 to 4.');
    await a.keyboard.press('Enter');
    const reply = threadB.locator('li', { hasText: 'Yes — Sundays 10 to 4.' });
    await reply.waitFor({ timeout: 20_000 });
    await reply.getByText(/^(Delivered|Read)$/).waitFor({ timeout: 20_000 });
    expect(await b.evaluate(() => (window as unknown as { sameDocument?: boolean }).sameDocument)).toBe(true);
    // Replying made the conversation Asha's: both see it.
    await expect.poll(() => b.getByLabel('Assignee').inputValue(), { timeout: 15_000 }).not.toBe('');
    await b.screenshot({ path: shot('93-team-inbox-agent-b-sees-reply') });
  });

  it('outside the 24-hour window the text box is gone and approved templates are offered', async () => {
    const sync = await h.page.request.post(`${base}/api/v1/templates/sync`, { data: {} });
    expect(sync.status(), await sync.text()).toBe(200);
    await h.server.database.query(
      `update conversations c set last_inbound_at = now() - interval '25 hours', window_expires_at = now() - interval '1 hour'
       from contacts k where k.id = c.contact_id and k.wa_id = $1`,
      [CUSTOMER.wa_id],
    );
    await a.reload();
    const templates = a.getByRole('region', { name: 'Template reply' });
    await templates.getByText('The 24-hour window is closed').waitFor({ timeout: 15_000 });
    expect(await a.getByLabel('Reply', { exact: true }).count()).toBe(0);
    const select = templates.getByLabel('Template');
    await expect
      .poll(async () => (await select.locator('option').count()) > 1, { timeout: 15_000 })
      .toBe(true);
    await select.selectOption({ index: 1 });
    await templates.getByRole('figure').waitFor();
    await a.screenshot({ path: shot('94-team-inbox-window-closed-templates') });
  });
});

const shot = (name: string) =>
  new URL(`../../../test-output/screenshots/${name}.png`, import.meta.url).pathname;
