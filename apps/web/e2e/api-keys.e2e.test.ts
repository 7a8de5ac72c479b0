import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, hasChromium, signIn, startHarness } from './harness.ts';

const OWNER = { email: 'owner@keys.example', password: 'browser api keys password' };

describe.skipIf(!hasChromium)('API keys in Chromium', () => {
  let h: Harness;
  let base: string;

  beforeAll(async () => {
    h = await startHarness({ ...OWNER, org: 'Keys Bakery' }, { SANDBOX_PACE: '0' });
    base = h.server.url;
    await signIn(h.page, base, OWNER);
  }, 120_000);
  afterAll(async () => {
    await h?.stop();
  });

  it('the owner makes a read-only key, sees it once, uses it, and revokes it', async () => {
    const { page } = h;
    await page.goto(`${base}/settings`);
    await page
      .getByRole('navigation', { name: 'Settings' })
      .getByRole('link', { name: 'API keys', exact: true })
      .click();
    await page.waitForURL(/\/settings\/api-keys$/);
    await page.getByText('No API keys yet.').waitFor();

    await page.getByRole('button', { name: 'New API key' }).click();
    const form = page.getByRole('form', { name: 'New API key' });

    // Without a name or scopes the server refuses, and says so next to the fields.
    await form.getByRole('button', { name: 'Create key' }).click();
    await form.getByText('is required').waitFor();
    await form.getByText('choose at least one scope').waitFor();

    await form.getByLabel('Name').fill('Reporting script');
    await form.getByRole('button', { name: 'Read-only' }).click();
    // Every `*.read` the owner holds, and nothing that writes.
    const checked = (name: string) => form.getByRole('checkbox', { name, exact: true }).isChecked();
    expect(await checked('contacts.read')).toBe(true);
    expect(await checked('conversations.read')).toBe(true);
    expect(await checked('reports.read')).toBe(true);
    expect(await checked('contacts.write')).toBe(false);
    expect(await checked('integrations.manage')).toBe(false);
    await form.getByRole('button', { name: 'Create key' }).click();

    const box = page.getByRole('region', { name: 'New API key created' });
    await box.getByText('Copy it now: it will not be shown again').waitFor();
    const key = ((await box.getByTestId('new-api-key').textContent()) ?? '').trim();
    expect(key).toMatch(/^owk_\S{20,}$/);
    expect(await box.locator('pre').textContent()).toBe(
      `curl -H "Authorization: Bearer ${key}" ${new URL(base).origin}/api/v1/contacts`,
    );
    const row = page.getByTestId('api-keys').getByRole('row', { name: /Reporting script/ });
    await row.waitFor();
    const rowText = await row.textContent();
    expect(rowText).toContain(`${key.slice(0, 12)}…`);
    expect(rowText).toContain('Active');
    expect(rowText).toContain('contacts: read');
    expect(rowText).toContain(OWNER.email);
    await h.shot('api-keys-1-created');

    // The key reads, but may not write.
    const auth = { authorization: `Bearer ${key}` };
    expect((await page.request.get(`${base}/api/v1/contacts`, { headers: auth })).status()).toBe(200);
    const write = await page.request.post(`${base}/api/v1/contacts`, {
      headers: auth,
      data: { phone: '+12025550111', name: 'By key' },
    });
    expect(write.status()).toBe(403);

    // Shown once: after "Done" the page has only the prefix.
    await box.getByRole('button', { name: 'Done' }).click();
    expect(await page.getByText(key).count()).toBe(0);

    // The list shows the use: a time and the address it came from.
    await page.reload();
    await expect.poll(() => row.textContent()).toContain('127.0.0.1');

    await row.getByRole('button', { name: 'Revoke Reporting script' }).click();
    const confirm = page.getByRole('alertdialog', { name: 'Revoke “Reporting script”?' });
    await confirm.getByRole('button', { name: 'Revoke key' }).click();
    await page.getByText('Revoked “Reporting script”: it stops working at once.').waitFor();
    await expect.poll(() => row.textContent()).toContain('Revoked');
    expect(await row.getByRole('button', { name: /Revoke/ }).count()).toBe(0);

    expect((await page.request.get(`${base}/api/v1/contacts`, { headers: auth })).status()).toBe(401);
    await h.shot('api-keys-2-revoked');
  });
});
