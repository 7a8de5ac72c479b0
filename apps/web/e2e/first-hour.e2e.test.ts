import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, hasChromium, startHarness } from './harness.ts';

/**
 * A newcomer's first hour, as `npm start` leaves it: the embedded database, the sandbox number on the
 * built-in simulator and its simulated customers, nothing seeded by the test. Each step is one a new
 * user takes from the page alone; the screenshots (test-output/screenshots/first-hour-*.png) are for a
 * person to look at.
 */
const OWNER = {
  email: 'owner@first-hour.example',
  password: 'first hour owner password',
  org: 'Juniper Bakery',
};

const CSV = [
  'Phone,Name',
  '+44 7400 300101,Maya Fields',
  '+44 7400 300102,Noah Brook',
  '+44 7400 300103,Olive Stone',
].join('\n');

describe.skipIf(!hasChromium)("a newcomer's first hour", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(OWNER);
  });
  afterAll(async () => {
    await h?.stop();
  });
  const shot = (name: string) => h.shot(`first-hour-${name}`);

  it('signs in with the printed password and finds a customer writing in the inbox', async () => {
    const { page, server } = h;
    await page.goto(server.url);
    await page.waitForURL(/\/login/);
    await page.getByRole('heading', { name: /sign in/i }).waitFor();
    await shot('01-sign-in');
    await page.getByLabel('Email').fill(OWNER.email);
    await page.getByLabel('Password').fill(OWNER.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Inbox' }).waitFor();
    // The sandbox's first customer writes at start, with no action from the newcomer.
    const list = page.getByRole('list', { name: 'Conversations' });
    await list.getByRole('link').first().waitFor({ timeout: 30_000 });
    await shot('02-inbox-first-customer');
  });

  it('answers the customer, and sees the reply delivered', async () => {
    const { page } = h;
    const list = page.getByRole('list', { name: 'Conversations' });
    await list.getByRole('link').first().click();
    await page.waitForURL(/\/inbox\/[0-9a-f-]{36}$/);
    const thread = page.getByRole('log', { name: 'Messages' });
    await thread.locator('[data-message]').first().waitFor();
    const composer = page.getByRole('textbox', { name: 'Reply' });
    await composer.fill('Hello! Thanks for writing to Juniper Bakery — how can we help?');
    await page.getByRole('button', { name: 'Send', exact: true }).click();
    const reply = thread.locator('[data-message]').filter({ hasText: 'how can we help?' });
    await reply.waitFor();
    // The simulated phone reports delivery, then the read; the thread follows without a reload.
    await reply.locator('span[title="Delivered"], span[title="Read"]').waitFor({ timeout: 30_000 });
    await shot('03-inbox-reply-delivered');
  });

  it('imports three contacts with their consent', async () => {
    const { page } = h;
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Contacts' }).click();
    await page.getByRole('button', { name: 'Import' }).click();
    await page.getByRole('heading', { name: 'Import contacts' }).waitFor();
    await page.locator('#import-file').setInputFiles({
      name: 'regulars.csv',
      mimeType: 'text/csv',
      buffer: Buffer.from(CSV, 'utf8'),
    });
    await page.getByTestId('upload-summary').waitFor();
    await page.getByRole('button', { name: 'Next: map columns' }).click();
    await page.getByRole('button', { name: 'Next: options' }).click();
    await page.getByLabel('Tags to add to every imported contact').fill('Regulars');
    await page.getByLabel(/record an opt-in/).check();
    await page.getByLabel('Proof of consent').fill('Signed up at the counter, December');
    await page.getByRole('button', { name: 'Next: preview' }).click();
    await page.getByRole('button', { name: 'Confirm: import 3 contacts' }).click();
    await page.getByRole('heading', { name: 'Import finished' }).waitFor({ timeout: 60_000 });
    expect(await page.locator('dl[aria-label="Counts"]').textContent()).toMatch(/Created\s*3/);
    await shot('04-import-finished');
  });

  it('sends a campaign to them with a template the sandbox already has, and reads its report', async () => {
    const { page } = h;
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Campaigns' }).click();
    await page.getByRole('link', { name: 'New campaign' }).click();
    await page.getByLabel('Campaign name').fill('December regulars');
    await page
      .getByLabel('Send from')
      .locator('option', { hasText: 'Sandbox number' })
      .waitFor({ state: 'attached' });
    await page.getByLabel('Send from').selectOption({ label: 'Sandbox number (sandbox)' });
    await page.getByRole('button', { name: 'Next: audience' }).click();
    await page.getByRole('button', { name: /Regulars/ }).click();
    await page.getByTestId('audience-count').getByText('3 contacts match').waitFor();
    await page.getByRole('button', { name: 'Next: templates' }).click();
    // No sync pressed: the sandbox's catalogue is there from the first start.
    await page.getByRole('checkbox', { name: /order_update/ }).check();
    const sources = page.getByLabel(/^order_update: .* comes from$/);
    await sources.first().selectOption('name');
    await sources.nth(1).selectOption('fixed');
    await page.getByLabel(/^order_update: .* text$/).fill('#1024');
    await page
      .getByRole('figure', { name: 'Preview of order_update' })
      .getByText('#1024', { exact: false })
      .waitFor();
    await shot('05-campaign-templates');
    await page.getByRole('button', { name: 'Next: review' }).click();
    await page.getByRole('button', { name: 'Create draft' }).click();
    await page.getByTestId('draft-summary').getByText('Draft “December regulars” created.').waitFor({
      timeout: 20_000,
    });
    await page.getByRole('button', { name: 'Start now' }).click();
    await page.getByRole('heading', { name: 'December regulars' }).waitFor();
    await page.getByTestId('campaign-state').getByText('Completed').waitFor({ timeout: 60_000 });
    await shot('06-campaign-completed');
    expect((await page.getByTestId('count-sent').textContent())?.trim()).toBe('3');
    // The simulated phones report delivery and reads (like real ones, now and then one stays off).
    await expect
      .poll(async () => Number((await page.getByTestId('count-delivered').textContent())?.trim()), {
        timeout: 60_000,
      })
      .toBeGreaterThan(0);
    await shot('07-campaign-delivered');
    await page.getByRole('tab', { name: 'Report' }).click();
    const report = page.getByTestId('campaign-report');
    await report.getByRole('list', { name: 'Funnel' }).waitFor();
    await report.getByRole('table', { name: 'Per template' }).getByText('order_update').waitFor();
    await shot('08-campaign-report');
  }, 180_000);
});
