import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, hasChromium, signIn, startHarness } from './harness.ts';

const ADMIN = { email: 'owner@bell.example', password: 'browser bell password' };

describe.skipIf(!hasChromium)('live notifications, jobs and audit pages in Chromium', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ ...ADMIN, org: 'Bell Bakery' });
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('the bell shows notifications created by the server without a reload', async () => {
    const { page, server } = h;
    await signIn(page, server.url, ADMIN);
    const bell = page.getByTestId('bell');
    await bell.waitFor();
    expect(await page.getByTestId('bell-count').count()).toBe(0);
    // A marker that a reload would wipe out.
    await page.evaluate(() => {
      (window as unknown as { marker: number }).marker = 42;
    });
    // 1) A notification created on the server (as a worker or another request would).
    const me = await (await page.request.get(`${server.url}/api/v1/me`)).json();
    await server.app.services.notifications.notify(
      { orgId: me.org.id, userIds: [me.user.id] },
      {
        type: 'member.joined',
        title: 'Asha joined',
        message: 'asha@bell.example joined as agent.',
        actionUrl: '/settings/members',
      },
    );
    await page.getByTestId('bell-count').filter({ hasText: '1' }).waitFor({ timeout: 10_000 });

    // 2) One sent by a background job from the Settings page.
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Settings' }).click();
    await page.getByRole('link', { name: 'Notifications' }).click();
    await page.getByRole('button', { name: 'Send me a test notification' }).click();
    await page.getByTestId('bell-count').filter({ hasText: '2' }).waitFor({ timeout: 15_000 });
    expect(await page.evaluate(() => (window as unknown as { marker?: number }).marker)).toBe(42);
    await h.shot('10-bell-unread');

    await bell.click();
    const dialog = page.getByRole('dialog', { name: 'Notifications' });
    await dialog.getByText('Test notification').waitFor();
    await dialog.getByText('Asha joined').waitFor();
    await h.shot('11-bell-open');
    await dialog.getByText('Asha joined').click();
    await page.waitForURL(/\/settings\/members$/);
    await page.getByTestId('bell-count').filter({ hasText: '1' }).waitFor();
  });

  it('admins see the audit log and the jobs page', async () => {
    const { page, server } = h;
    await page.goto(`${server.url}/settings/organisation`);
    await page.getByLabel('Time zone').fill('Asia/Kolkata');
    await page.getByRole('button', { name: 'Save settings' }).click();
    await page.getByText('Settings saved.').waitFor();
    await page.getByRole('link', { name: 'Audit log' }).click();
    const table = page.getByTestId('audit-table');
    await table.getByText('org.update').first().waitFor();
    expect(await table.textContent()).toContain('Asia/Kolkata');
    await h.shot('12-audit-log');
    await page.getByRole('link', { name: 'Numbers' }).click();
    await page.locator('#main').getByText('Sandbox', { exact: true }).waitFor();
    await page.getByText('openwaba Sandbox').waitFor();
    await page.getByRole('button', { name: 'Test connection' }).click();
    await page.getByText('Meta answered: the connection works.').waitFor();
    await h.shot('14-numbers-sandbox');
    await page.getByRole('link', { name: 'Jobs' }).click();
    await page.getByText('No failed jobs').waitFor();
    await h.shot('13-jobs');
  });
});
