import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, hasChromium, signIn, startHarness } from './harness.ts';

const ADMIN = { email: 'owner@kettle-templates.example', password: 'browser templates password' };
const SANDBOX_WABA = '200000000000001';

/** Templates as Meta holds them for the sandbox account (the simulator's control API). */
const TEMPLATES = [
  {
    name: 'delivery_update',
    language: 'en_US',
    category: 'UTILITY',
    components: [
      { type: 'HEADER', format: 'TEXT', text: 'Your Kettle & Co order' },
      {
        type: 'BODY',
        text: 'Hi {{1}}, your order {{2}} ships on {{3}}. Reply if anything needs changing.',
        example: { body_text: [['Ana', 'KT-1001', 'Monday']] },
      },
      { type: 'FOOTER', text: 'Kettle & Co · Brighton' },
      {
        type: 'BUTTONS',
        buttons: [
          {
            type: 'URL',
            text: 'Track parcel',
            url: 'https://kettle.example/track/{{1}}',
            example: ['KT-1001'],
          },
          { type: 'QUICK_REPLY', text: 'Change address' },
        ],
      },
    ],
  },
  {
    name: 'autumn_sale',
    language: 'en_US',
    category: 'MARKETING',
    components: [
      { type: 'BODY', text: 'Hello {{1}}! Take 20% off every kettle this week with code {{2}}.' },
      { type: 'BUTTONS', buttons: [{ type: 'URL', text: 'Shop now', url: 'https://kettle.example/sale' }] },
    ],
  },
  {
    name: 'account_notice',
    language: 'en_US',
    category: 'UTILITY',
    components: [{ type: 'BODY', text: 'Your account details changed on {{1}}. Was it you?' }],
  },
] as const;

describe.skipIf(!hasChromium)('templates: sync, quarantine and preview in Chromium', () => {
  let h: Harness;
  let base: string;
  const simIds: Record<string, string> = {};
  beforeAll(async () => {
    h = await startHarness({ ...ADMIN, org: 'Kettle & Co' }, { SANDBOX_PACE: '0' });
    base = h.server.url;
    for (const t of TEMPLATES) {
      const res = await fetch(`${h.simulatorUrl}/_sim/templates`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ waba_id: SANDBOX_WABA, ...t }),
      });
      expect(res.status, await res.clone().text()).toBe(201);
      simIds[t.name] = ((await res.json()) as { id: string }).id;
    }
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('syncs, then flags the template Meta moved to another category, with the reason', async () => {
    const { page } = h;
    await signIn(page, base, ADMIN);
    await page.getByRole('link', { name: 'Templates' }).first().click();
    await page.getByRole('heading', { name: 'Templates', exact: true }).waitFor();
    await page.getByRole('button', { name: 'Sync all' }).click();
    // These three and the sandbox's own catalogue (order_update, new_collection, login_code).
    await page.getByText(/Synced 6 templates from 1 account/).waitFor({ timeout: 20_000 });
    const table = page.getByRole('table', { name: 'Templates' });
    await table.getByRole('link', { name: 'autumn_sale' }).waitFor();
    expect(await table.locator('tr[data-template="account_notice"]').textContent()).toContain('Yes');

    // Meta makes the utility template an authentication one; the next sync catches it.
    const put = await fetch(`${h.simulatorUrl}/_sim/templates/${simIds.account_notice}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ category: 'AUTHENTICATION' }),
    });
    expect(put.status).toBe(200);
    await page.getByRole('button', { name: 'Sync all' }).click();
    await page.getByText(/Synced 6 templates from 1 account: 0 new/).waitFor({ timeout: 20_000 });
    const row = table.locator('tr[data-template="account_notice"]');
    await row.getByText('Quarantined').waitFor();
    // Seen by the webhook Meta sent, or by this sync: either way the reason names the change.
    expect(await row.textContent()).toMatch(/UTILITY to AUTHENTICATION|AUTHENTICATION/);
    expect(await row.textContent()).toContain('No');
    await h.shot('60-templates-list');

    // With the sandbox's login_code: authentication templates never go in campaigns.
    await page.getByLabel('Campaign use').selectOption('quarantined');
    await page.waitForFunction(() => document.querySelectorAll('tr[data-template]').length === 2);
    await page.getByLabel('Campaign use').selectOption('');
    await page.waitForFunction(() => document.querySelectorAll('tr[data-template]').length === 6);
  });

  it('shows a quarantined template with its history, and says in words why it cannot be released', async () => {
    const { page } = h;
    await page.getByRole('link', { name: 'account_notice' }).click();
    await page.getByRole('heading', { name: 'account_notice' }).waitFor();
    const box = page.getByTestId('quarantine');
    await box.getByText('Quarantined: kept out of campaigns').waitFor();
    expect(await box.textContent()).toContain('AUTHENTICATION');
    const history = page.getByRole('list', { name: 'Category history' });
    await history.getByText('Utility → Authentication').first().waitFor();
    await box.getByRole('button', { name: 'Release from quarantine' }).click();
    await box
      .getByText(
        'Not released: Category AUTHENTICATION is not allowed in campaigns; change the campaign policy first',
      )
      .waitFor();
    await page.getByTestId('template-bubble').getByText('Your account details changed on').waitFor();
    await h.shot('61-template-quarantined');
  });

  it('previews a template for a contact: values from the contact, and what the contact lacks', async () => {
    const { page } = h;
    const field = await page.request.post(`${base}/api/v1/fields`, {
      data: { key: 'order_number', label: 'Order number', type: 'text' },
    });
    expect(field.status(), await field.text()).toBe(201);
    await page.request.post(`${base}/api/v1/fields`, { data: { key: 'city', label: 'City', type: 'text' } });
    const contact = await page.request.post(`${base}/api/v1/contacts`, {
      data: { phone: '+44 7400 123456', name: 'Priya Raman', fields: { order_number: 'KT-1042' } },
    });
    expect(contact.status(), await contact.text()).toBe(201);

    await page.goto(`${base}/templates?q=delivery`);
    await page.getByRole('link', { name: 'delivery_update' }).click();
    await page.getByRole('heading', { name: 'delivery_update' }).waitFor();
    const bubble = page.getByTestId('template-bubble');
    // Before a contact is chosen: Meta's examples fill the bubble.
    await bubble.getByText('Hi Ana, your order KT-1001 ships on Monday.', { exact: false }).waitFor();

    await page.getByLabel('Find a contact').fill('Priya');
    await page
      .getByLabel('Preview for')
      .locator('option', { hasText: 'Priya Raman' })
      .waitFor({ state: 'attached' });
    await page.getByLabel('Preview for').selectOption({ label: 'Priya Raman · +447400123456' });
    await page.getByLabel('Body {{1}} comes from').selectOption('name');
    await page.getByLabel('Body {{2}} comes from').selectOption('field.order_number');
    await page.getByLabel('Body {{3}} comes from').selectOption('field.city');
    const check = page.getByTestId('preview-check');
    await check.getByText('Priya Raman cannot receive it like this').waitFor({ timeout: 15_000 });
    await check.getByText('No value for Body {{3}}: their field “city” is empty').waitFor();
    await bubble.getByText('{{3}}').waitFor();
    await h.shot('62-template-preview-missing');

    await page.getByLabel('Body {{3}} comes from').selectOption('fixed');
    await page.getByLabel('Body {{3}} text').fill('Thursday 4 December');
    await check
      .getByText('Ready to send to Priya Raman: every variable has a value.')
      .waitFor({ timeout: 15_000 });
    await bubble
      .getByText('Hi Priya Raman, your order KT-1042 ships on Thursday 4 December.', { exact: false })
      .waitFor();
    await bubble.getByText('Track parcel').waitFor();
    await bubble.getByText('Change address').waitFor();
    await bubble.getByText('Kettle & Co · Brighton').waitFor();
    await h.shot('63-template-preview');
    // Readable on a phone too.
    await page.setViewportSize({ width: 390, height: 844 });
    await h.shot('63b-template-preview-phone');
    await page.goto(`${base}/templates`);
    await page.locator('tr[data-template="account_notice"]').getByText('Quarantined').waitFor();
    await h.shot('60b-templates-list-phone');
    await page.setViewportSize({ width: 1280, height: 720 });
  });

  it('authors a template with a live preview, field errors first, and deletes another', async () => {
    const { page } = h;
    await page.goto(`${base}/templates/new`);
    await page.getByRole('heading', { name: 'New template' }).waitFor();
    await page.getByLabel('Name').fill('pickup_ready');
    await page.getByLabel('Body').fill('{{1}}, your kettle is ready for pickup at {{2}}.');
    await page.getByLabel('Example for {{1}}').fill('Ana');
    await page.getByRole('button', { name: 'Submit for review' }).click();
    await page.getByText('the body cannot start or end with a variable').waitFor();
    await h.shot('64-template-new-errors');
    await page.getByLabel('Body').fill('Hi {{1}}, your kettle is ready for pickup at {{2}} today.');
    await page.getByLabel('Example for {{2}}').fill('our Brighton shop');
    await page.getByLabel('Footer (optional)').fill('Reply STOP to opt out');
    await page.getByRole('button', { name: '+ Quick reply' }).click();
    await page.getByLabel('Button text').fill('On my way');
    await page
      .getByTestId('template-bubble')
      .getByText('Hi Ana, your kettle is ready for pickup at our Brighton shop today.')
      .waitFor();
    await h.shot('65-template-new');
    await page.getByRole('button', { name: 'Submit for review' }).click();
    await page.getByRole('heading', { name: 'pickup_ready' }).waitFor({ timeout: 20_000 });
    await page.getByText('Pending', { exact: true }).first().waitFor();
    // Meta (the simulator) approves it a few seconds later; the webhook's event updates the page live.
    await page.getByText('Approved', { exact: true }).first().waitFor({ timeout: 30_000 });

    await page.goto(`${base}/templates?q=autumn`);
    await page.getByRole('link', { name: 'autumn_sale' }).click();
    await page.getByRole('button', { name: 'Delete' }).click();
    await page.getByRole('button', { name: 'Delete at Meta' }).click();
    await page.getByRole('heading', { name: 'Templates', exact: true }).waitFor();
    await page.getByText('Deleted autumn_sale (en_US) at Meta').waitFor();
    await page.locator('tr[data-template="delivery_update"]').waitFor();
    expect(await page.locator('tr[data-template="autumn_sale"]').count()).toBe(0);
    // The box is bound to the address (?inactive=1): a navigation still settling after the delete can
    // undo a click, so tick it until the address says so.
    const box = page.getByLabel('Show inactive');
    for (let i = 0; i < 10 && !page.url().includes('inactive=1'); i++) {
      await box.click();
      await page.waitForTimeout(200);
    }
    expect(page.url()).toContain('inactive=1');
    await page.locator('tr[data-template="autumn_sale"]').getByText('Inactive').waitFor();
  });
});
