import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, hasChromium, signIn, startHarness } from './harness.ts';

const ADMIN = { email: 'owner@privacy.example', password: 'browser privacy password' };
const AGENT = { email: 'agent@privacy.example', password: 'browser agent password' };

async function post(page: Page, base: string, path: string, data: unknown) {
  const res = await page.request.post(`${base}${path}`, { data });
  expect(res.status(), await res.text()).toBeLessThan(300);
  return (await res.json()) as { id: string };
}

describe.skipIf(!hasChromium)(
  'privacy: retention preview, hidden phones, delete all matching, export and erase',
  () => {
    let h: Harness;
    let base: string;
    let agentContext: BrowserContext | undefined;
    const ids: Record<string, string> = {};
    beforeAll(async () => {
      h = await startHarness({ ...ADMIN, org: 'Quiet Books' }, { SANDBOX_PACE: '0' });
      base = h.server.url;
      await signIn(h.page, base, ADMIN);
      const old = await post(h.page, base, '/api/v1/tags', { name: 'Old list', color: '#f97316' });
      for (const [name, phone, tags] of [
        ['Olive Old', '+44 7400 100601', [old.id]],
        ['Otto Old', '+44 7400 100602', [old.id]],
        ['Oona Old', '+44 7400 100603', [old.id]],
        ['Keeper Kim', '+44 7400 100604', []],
      ] as const) {
        ids[name] = (await post(h.page, base, '/api/v1/contacts', { name, phone, tag_ids: tags })).id;
      }
    });
    afterAll(async () => {
      await agentContext?.close();
      await h?.stop();
    });

    it('organisation settings: the retention dry run follows the days typed; phones can be hidden', async () => {
      const { page } = h;
      await page.goto(`${base}/settings/organisation`);
      const days = page.getByLabel('Keep messages for (days)');
      await days.waitFor();
      await page.getByText('Nothing is deleted: messages are kept forever.').waitFor();
      await days.fill('30');
      const preview = page.getByRole('status', { name: 'Retention preview' });
      await expect.poll(() => preview.textContent(), { timeout: 10_000 }).toMatch(/would delete 0 messages/);
      await days.fill('0');
      await page.getByText('Enter a whole number of days from 1 to 36500.').waitFor();
      await days.fill('30');
      await page.getByLabel("Hide customers' phone numbers from agents and viewers").check();
      await page.getByRole('button', { name: 'Save settings' }).click();
      await page.getByText('Settings saved.').waitFor();
      await h.shot('95-org-settings-privacy');
      const org = await (await page.request.get(`${base}/api/v1/org`)).json();
      expect(org.settings).toMatchObject({ retention_days: 30, hide_phone_numbers: true });
    });

    it('an agent sees phones masked; the owner sees them whole', async () => {
      const inv = await h.page.request.post(`${base}/api/v1/invitations`, {
        data: { email: AGENT.email, role: 'agent' },
      });
      expect(inv.status(), await inv.text()).toBe(201);
      const { token } = (await inv.json()) as { token: string };
      const accepted = await fetch(`${base}/api/v1/invitations/accept`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ token, password: AGENT.password, name: 'Agnes' }),
      });
      expect(accepted.status, await accepted.clone().text()).toBe(200);
      agentContext = await h.browser.newContext({ viewport: { width: 1280, height: 720 } });
      const page = await agentContext.newPage();
      await signIn(page, base, AGENT);
      await page.goto(`${base}/contacts`);
      const kim = page.getByRole('table', { name: 'Contacts' }).getByRole('row', { name: /Keeper Kim/ });
      await kim.waitFor();
      expect(await kim.textContent()).toContain('+44 ••• ••• 0604');
      expect(await page.locator('body').textContent()).not.toContain('7400100604');
      await page.screenshot({
        path: new URL('../../../test-output/screenshots/95b-contacts-phones-hidden.png', import.meta.url)
          .pathname,
        fullPage: true,
      });
      await h.page.goto(`${base}/contacts`);
      const ownerRow = h.page
        .getByRole('table', { name: 'Contacts' })
        .getByRole('row', { name: /Keeper Kim/ });
      await ownerRow.waitFor();
      expect(await ownerRow.textContent()).toContain('+447400100604');
    });

    it('deleting every contact a filter matches asks for their number first', async () => {
      const { page } = h;
      await page.goto(`${base}/contacts`);
      await page.getByRole('button', { name: 'Old list' }).click();
      const deleteAll = page.getByRole('button', { name: 'Delete all 3 matching…' });
      await deleteAll.click();
      const dialog = page.getByRole('dialog', { name: 'Delete 3 contacts?' });
      await dialog.waitFor();
      const confirm = dialog.getByRole('button', { name: 'Delete 3' });
      await dialog.getByLabel('Type 3 to confirm').fill('4');
      expect(await confirm.isDisabled()).toBe(true);
      await dialog.getByLabel('Type 3 to confirm').fill('3');
      await h.shot('96-contacts-delete-all-matching');
      await confirm.click();
      await page.getByText('Deleted 3 contacts, with their conversations and files.').waitFor();
      const old = await (await page.request.get(`${base}/api/v1/contacts?with_total=true&q=Old`)).json();
      expect(old.total).toBe(0);
      const kim = await page.request.get(`${base}/api/v1/contacts/${ids['Keeper Kim']}`);
      expect(kim.status()).toBe(200);
    });

    it('a contact’s data is exported as JSON and erased after typing “erase”', async () => {
      const { page } = h;
      await page.goto(`${base}/contacts/${ids['Keeper Kim']}`);
      const exportLink = page.getByRole('link', { name: 'Export data' });
      await exportLink.waitFor();
      const href = await exportLink.getAttribute('href');
      expect(href).toBe(`/api/v1/contacts/${ids['Keeper Kim']}/export`);
      const exported = await (await page.request.get(`${base}${href}`)).json();
      expect(exported.contact).toMatchObject({ name: 'Keeper Kim', phone: '+447400100604' });

      await page.getByRole('button', { name: 'Erase…' }).click();
      const dialog = page.getByRole('dialog', { name: 'Erase Keeper Kim for good?' });
      await dialog.waitFor();
      const confirm = dialog.getByRole('button', { name: 'Erase', exact: true });
      expect(await confirm.isDisabled()).toBe(true);
      await dialog.getByLabel('Type “erase” to confirm').fill('erase');
      await h.shot('97-contact-erase');
      await confirm.click();
      await page.getByText('Keeper Kim was erased with 0 messages.').waitFor();
      expect(page.url()).toBe(`${base}/contacts`);
      const gone = await page.request.get(`${base}/api/v1/contacts/${ids['Keeper Kim']}`);
      expect(gone.status()).toBe(404);
    });
  },
);
