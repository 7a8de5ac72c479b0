import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, hasChromium, signIn, startHarness } from './harness.ts';

const ADMIN = { email: 'owner@lantern.example', password: 'browser contacts password' };

/** Seeds through the API with the browser's session (the page's request context shares its cookies). */
async function post(page: Page, base: string, path: string, data: unknown) {
  const res = await page.request.post(`${base}${path}`, { data });
  expect(res.status(), await res.text()).toBeLessThan(300);
  return (await res.json()) as { id: string };
}

describe.skipIf(!hasChromium)('contacts: list, filters, bulk actions, contact page and settings', () => {
  let h: Harness;
  const ids: Record<string, string> = {};
  beforeAll(async () => {
    h = await startHarness({ ...ADMIN, org: 'Lantern Books' }, { SANDBOX_PACE: '0' });
    const { page, server } = h;
    await signIn(page, server.url, ADMIN);
    const base = server.url;
    const vip = await post(page, base, '/api/v1/tags', { name: 'VIP', color: '#25d366' });
    const wholesale = await post(page, base, '/api/v1/tags', { name: 'Wholesale', color: '#6366f1' });
    ids.vip = vip.id;
    ids.wholesale = wholesale.id;
    await post(page, base, '/api/v1/fields', {
      key: 'plan',
      label: 'Plan',
      type: 'enum',
      options: ['free', 'pro'],
    });
    await post(page, base, '/api/v1/fields', { key: 'member_since', label: 'Member since', type: 'date' });
    await post(page, base, '/api/v1/fields', { key: 'orders', label: 'Orders', type: 'number' });
    await post(page, base, '/api/v1/fields', { key: 'newsletter', label: 'Newsletter', type: 'boolean' });
    const people: [string, string, string[]][] = [
      ['Ada Lovelace', '+44 7400 100501', [vip.id]],
      ['Grace Hopper', '+44 7400 100502', [vip.id, wholesale.id]],
      ['Linus Pauling', '+44 7400 100503', [wholesale.id]],
      ['Margaret Hamilton', '+44 7400 100504', []],
    ];
    for (const [name, phone, tag_ids] of people) {
      ids[name] = (await post(page, base, '/api/v1/contacts', { name, phone, tag_ids })).id;
    }
    await post(page, base, `/api/v1/contacts/${ids['Ada Lovelace']}/consent`, {
      kind: 'opt_in',
      proof: 'Signed up at the counter',
    });
  });
  afterAll(async () => {
    await h?.stop();
  });

  const table = () => h.page.getByRole('table', { name: 'Contacts' });
  const rowNames = async () =>
    (await table().locator('tbody tr td a').allTextContents()).filter((n) =>
      ['Ada Lovelace', 'Grace Hopper', 'Linus Pauling', 'Margaret Hamilton'].includes(n),
    );

  it('lists contacts and narrows them by search, tags (any/all), consent and a saved segment', async () => {
    const { page, server } = h;
    await page.goto(`${server.url}/contacts`);
    await table().getByRole('link', { name: 'Margaret Hamilton' }).waitFor();
    const ada = table().getByRole('row', { name: /Ada Lovelace/ });
    expect(await ada.textContent()).toContain('+447400100501');
    expect(await ada.textContent()).toContain('VIP');
    expect(await ada.textContent()).toContain('Opted in');
    expect(
      await table()
        .getByRole('row', { name: /Linus Pauling/ })
        .textContent(),
    ).toContain('Unknown');
    await page.getByText(/Showing \d+ of \d+/).waitFor();
    await h.shot('40-contacts-list');

    await page.getByLabel('Search', { exact: true }).fill('grace');
    await page.getByLabel('Search', { exact: true }).press('Enter');
    await expect.poll(rowNames).toEqual(['Grace Hopper']);
    await page.getByRole('button', { name: 'Clear filters' }).click();

    await page.getByRole('button', { name: 'VIP' }).click();
    await expect.poll(rowNames).toEqual(['Grace Hopper', 'Ada Lovelace']);
    await page.getByRole('button', { name: 'Wholesale' }).click();
    await expect.poll(async () => (await rowNames()).length).toBe(3);
    await page.getByLabel('Tag match').selectOption('all');
    await expect.poll(rowNames).toEqual(['Grace Hopper']);
    expect(page.url()).toContain('match=all');
    await page.getByLabel('Segment name').fill('VIP wholesalers');
    await page.getByRole('button', { name: 'Save as segment' }).click();
    await page.getByText('Saved the segment “VIP wholesalers”.').waitFor();
    await expect.poll(() => page.getByLabel('Segment', { exact: true }).inputValue()).not.toBe('');
    await expect.poll(rowNames).toEqual(['Grace Hopper']);
    await h.shot('41-contacts-segment');

    await page.getByLabel('Segment', { exact: true }).selectOption({ label: 'All contacts' });
    await page.getByLabel('Consent').selectOption('opted_in');
    await expect.poll(rowNames).toEqual(['Ada Lovelace']);
    const exportHref = await page.getByRole('link', { name: 'Export CSV' }).getAttribute('href');
    expect(exportHref).toBe('/api/v1/contacts/export?consent=opted_in');
    await page.getByRole('button', { name: 'Clear filters' }).click();
    await expect.poll(async () => (await rowNames()).length).toBe(4);
  });

  it('tags and deletes selected contacts after a confirmation', async () => {
    const { page } = h;
    await page.getByLabel('Select Linus Pauling').check();
    await page.getByLabel('Select Margaret Hamilton').check();
    const bar = page.getByRole('region', { name: 'Bulk actions' });
    await bar.getByText('2 selected').waitFor();
    await bar.getByLabel('Tag for the selected contacts').selectOption({ label: 'VIP' });
    await bar.getByRole('button', { name: 'Add tag' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByText('Add “VIP” to 2 contacts?').waitFor();
    await h.shot('42-contacts-bulk-confirm');
    await dialog.getByRole('button', { name: 'Add tag' }).click();
    await page.getByText('Tagged 2 of 2 selected contacts.').waitFor();
    await expect
      .poll(() =>
        table()
          .getByRole('row', { name: /Margaret Hamilton/ })
          .textContent(),
      )
      .toContain('VIP');

    await page.getByLabel('Select Margaret Hamilton').check();
    await bar.getByRole('button', { name: 'Delete' }).click();
    await dialog.getByText('Delete 1 contact?').waitFor();
    await dialog.getByRole('button', { name: 'Delete' }).click();
    await page.getByText('Deleted 1 of 1 selected contact.').waitFor();
    await expect.poll(() => table().getByRole('link', { name: 'Margaret Hamilton' }).count()).toBe(0);
    await h.shot('43-contacts-after-bulk');
  });

  it('refuses a new contact whose phone cannot be used, saying why', async () => {
    const { page } = h;
    await page.getByRole('button', { name: 'New contact' }).click();
    await page.getByLabel('Phone').fill('call me maybe');
    await page.getByRole('button', { name: 'Create contact' }).click();
    await page.getByRole('alert').filter({ hasText: 'contains letters' }).waitFor();
    await h.shot('44-contacts-new-invalid');
    await page.getByLabel('Phone').fill('+44 7400 100509');
    await page.getByLabel('Name', { exact: true }).fill('Rosalind Franklin');
    await page.getByRole('button', { name: 'Create contact' }).click();
    await page.getByRole('heading', { name: 'Rosalind Franklin' }).waitFor();
    expect(page.url()).toMatch(/\/contacts\/[0-9a-f-]{36}$/);
  });

  it('edits a contact’s name, tags and typed fields, and records consent with proof', async () => {
    const { page, server } = h;
    await page.goto(`${server.url}/contacts/${ids['Linus Pauling']}`);
    await page.getByRole('heading', { name: 'Linus Pauling' }).waitFor();
    await page.getByLabel('Name', { exact: true }).fill('Linus C. Pauling');
    await page.getByLabel('Remove tag VIP').click();
    await page.getByLabel('Plan').selectOption('pro');
    await page.getByLabel('Member since').fill('2024-03-01');
    await page.getByLabel('Orders').fill('12');
    await page.getByLabel('Newsletter').selectOption('true');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByText('Saved.').waitFor();
    await page.getByRole('heading', { name: 'Linus C. Pauling' }).waitFor();

    // Proof is required to opt in: the button waits for it.
    expect(await page.getByRole('button', { name: 'Record opt-in' }).isDisabled()).toBe(true);
    await page.getByLabel('Proof').fill('Ticked the box on the order form #8812');
    await page.getByRole('button', { name: 'Record opt-in' }).click();
    const ledger = page.getByRole('list', { name: /Consent ledger/ });
    await ledger.getByText('Ticked the box on the order form #8812').waitFor();
    expect(await ledger.textContent()).toContain(ADMIN.email);
    await page.getByRole('button', { name: 'Record opt-out' }).click();
    await expect.poll(() => ledger.getByRole('listitem').count()).toBe(2);
    expect(await ledger.getByRole('listitem').first().textContent()).toContain('Opt-out');
    const activity = page.getByRole('list', { name: 'Activity' });
    await activity.getByText('Opted out').first().waitFor();
    await activity.getByText('Contact edited').first().waitFor();
    await h.shot('45-contact-page');

    const fresh = await page.request.get(`${server.url}/api/v1/contacts/${ids['Linus Pauling']}`);
    const c = await fresh.json();
    expect(c).toMatchObject({
      name: 'Linus C. Pauling',
      fields: { plan: 'pro', member_since: '2024-03-01', orders: 12, newsletter: true },
      consent: { state: 'opted_out' },
    });
    expect(c.tags.map((t: { name: string }) => t.name)).toEqual(['Wholesale']);
  });

  it('links a contact’s messages to their conversation', async () => {
    const { page, server } = h;
    // The sandbox's simulated customers wrote in at start: they are contacts with messages.
    await page.goto(`${server.url}/contacts`);
    await page.getByLabel('Search', { exact: true }).waitFor();
    const res = await page.request.get(`${server.url}/api/v1/contacts?limit=50`);
    const withMessages = ((await res.json()).data as { id: string; last_inbound_at: string | null }[]).find(
      (c) => c.last_inbound_at,
    );
    expect(withMessages).toBeDefined();
    await page.goto(`${server.url}/contacts/${withMessages?.id}`);
    const link = page.getByRole('link', { name: 'Open the conversation' }).first();
    await link.waitFor();
    await link.click();
    await page.waitForURL(/\/inbox\/[0-9a-f-]{36}$/);
    await page.getByRole('log', { name: 'Messages' }).waitFor();
  });

  it('manages tags, custom fields and consent keywords under Settings → Contacts', async () => {
    const { page, server } = h;
    await page.goto(`${server.url}/settings/contacts`);
    await page.getByRole('heading', { name: 'Tags' }).waitFor();
    await page.getByLabel('Name of Wholesale').fill('Trade');
    await page
      .getByLabel('Name of Wholesale')
      .locator('xpath=../..')
      .getByRole('button', { name: 'Save' })
      .click();
    await page.getByLabel('Name of Trade').waitFor();

    await page.getByLabel('Key', { exact: true }).fill('city');
    await page.getByLabel('Label', { exact: true }).fill('City');
    await page.getByRole('button', { name: 'Add field' }).click();
    await page.getByLabel('Label of city').waitFor();
    await page.getByLabel('Key', { exact: true }).fill('Bad Key');
    await page.getByLabel('Label', { exact: true }).fill('Bad');
    await page.getByRole('button', { name: 'Add field' }).click();
    await page.getByRole('alert').filter({ hasText: 'must start with a-z' }).waitFor();

    const optOut = page.getByLabel('Opt-out keywords');
    expect(await optOut.inputValue()).toContain('STOP');
    await optOut.fill('STOP\nBASTA');
    await page
      .getByLabel('Reply to an opt-out')
      .fill('You will get no more messages. Reply START to come back.');
    await page.getByRole('button', { name: 'Save keywords' }).click();
    await page.getByText('Saved.').waitFor();
    await page.getByText(/Sent to the customer once after each opt-out keyword/).waitFor();
    await h.shot('46-settings-contacts');
    const s = await (await page.request.get(`${server.url}/api/v1/contacts/settings`)).json();
    expect(s.opt_out_keywords).toEqual(['STOP', 'BASTA']);
  });
  it('shows a customer’s marketing stop (Meta’s user_preferences) in the consent history, and the number’s portfolio', async () => {
    const { page, server } = h;
    const res = await page.request.get(`${server.url}/api/v1/contacts?limit=50`);
    const customer = (
      (await res.json()).data as { id: string; phone: string; last_inbound_at: string | null }[]
    ).find((c) => c.last_inbound_at);
    expect(customer).toBeDefined();
    const numbers = (await (await page.request.get(`${server.url}/api/v1/numbers`)).json()).data as {
      phone_number_id: string;
      display_name: string;
    }[];
    const sandbox = numbers[0]!;
    const stop = await fetch(`${h.simulatorUrl}/_sim/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        kind: 'user_preferences',
        phone_number_id: sandbox.phone_number_id,
        wa_id: customer!.phone.replace(/\D/g, ''),
        params: { value: 'stop' },
      }),
    });
    expect(stop.status, await stop.clone().text()).toBe(201);
    // The webhook is processed by the worker: the consent history has it soon after.
    await expect
      .poll(
        async () =>
          (await (await page.request.get(`${server.url}/api/v1/contacts/${customer!.id}/consent`)).json())
            .marketing?.stopped_number_ids.length,
        { timeout: 15_000 },
      )
      .toBe(1);
    await page.goto(`${server.url}/contacts/${customer!.id}`);
    const history = page.getByRole('list', { name: /Marketing preference history/ });
    await history.getByText('Stopped marketing').waitFor({ timeout: 15_000 });
    expect(await history.textContent()).toContain(sandbox.display_name);
    await page.getByText(/MARKETING\s+templates from this number are not sent/).waitFor();
    await page.goto(`${server.url}/settings/numbers`);
    const portfolio = page.getByRole('region', { name: 'Business portfolio' }).first();
    await portfolio.getByText(/Daily limit of business-initiated customers/).waitFor();
    expect(await portfolio.textContent()).toContain('Marketing Messages API: off');
  });
});
