import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, hasChromium, signIn, startHarness } from './harness.ts';

const ADMIN = { email: 'owner@spend.example', password: 'browser spend password' };

describe.skipIf(!hasChromium)('Settings → Spend in Chromium', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ ...ADMIN, org: 'Spend Shop' });
  });
  afterAll(async () => {
    await h?.stop();
  });

  it("sets the organisation's caps and shows this month's spend against the cap", async () => {
    const { page, server } = h;
    await signIn(page, server.url, ADMIN);
    await page.goto(`${server.url}/settings/billing`);
    await page.getByTestId('month-spend').waitFor();
    // The shipped rate card prices in USD.
    await page.getByLabel('Spend a month (USD)').fill('50');
    await page.getByLabel('Messages a day').fill('1000');
    await page.getByRole('button', { name: 'Save caps' }).click();
    await page.getByText('Caps saved.').waitFor();
    await page.getByRole('progressbar', { name: 'Monthly spend against the cap' }).waitFor();
    expect(await page.getByTestId('month-spend').textContent()).toMatch(/of \$50\.00/);
    await h.shot('30-settings-spend');

    const overview = await (await page.request.get(`${server.url}/api/v1/billing`)).json();
    expect(overview.caps).toEqual({ daily_message_cap: 1000, monthly_spend_cap: 50, currency: 'USD' });
    await page.reload();
    expect(await page.getByLabel('Messages a day').inputValue()).toBe('1000');
  });
});
