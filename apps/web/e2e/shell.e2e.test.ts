import type { ConsoleMessage, Page, Response } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, hasChromium, startHarness } from './harness.ts';

const ADMIN = { email: 'owner@shop.example', password: 'browser test password' };

describe.skipIf(!hasChromium)('dashboard shell in Chromium', () => {
  let h: Harness;
  let server: Harness['server'];
  let page: Page;
  const shot = (name: string) => h.shot(name);

  beforeAll(async () => {
    h = await startHarness({ ...ADMIN, org: 'Corner Shop' });
    server = h.server;
    page = h.page;
  });

  afterAll(async () => {
    await h?.stop();
  });

  it('loads the sign-in page without a console error or a failing request', async () => {
    const errors: string[] = [];
    const failed: string[] = [];
    const requests: string[] = [];
    const onConsole = (m: ConsoleMessage) => {
      if (m.type() === 'error') errors.push(m.text());
    };
    const onResponse = (r: Response) => {
      requests.push(new URL(r.url()).pathname);
      if (r.status() >= 400) failed.push(`${r.status()} ${r.request().method()} ${r.url()}`);
    };
    page.on('console', onConsole);
    page.on('response', onResponse);
    const onPageError = (e: Error) => errors.push(e.message);
    page.on('pageerror', onPageError);
    await page.goto(`${server.url}/`);
    await page.getByRole('heading', { name: 'Sign in to your workspace' }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/login');
    await page.goto(`${server.url}/login`);
    await page.getByRole('heading', { name: 'Sign in to your workspace' }).waitFor();
    await page.waitForLoadState('networkidle');
    page.off('console', onConsole);
    page.off('response', onResponse);
    page.off('pageerror', onPageError);
    // The dashboard asked whether it is signed in (and was told no) rather than failing on /me.
    expect(requests).toContain('/api/v1/auth/session');
    expect(requests).not.toContain('/api/v1/me');
    expect(failed).toEqual([]);
    expect(errors).toEqual([]);
    // The empty form says why it cannot be sent yet.
    const submit = page.getByRole('button', { name: 'Sign in' });
    expect(await submit.isDisabled()).toBe(true);
    expect(await submit.getAttribute('title')).toBe('Enter your email');
  });

  it('redirects to sign-in, rejects a wrong password, signs in and shows the shell', async () => {
    await page.goto(`${server.url}/`);
    await page.getByRole('heading', { name: 'Sign in to your workspace' }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/login');
    // A lost password is not a dead end: the page names the command that sets a new one.
    const forgot = page.getByText('Forgot your password?');
    expect(await forgot.textContent()).toBe(
      'Forgot your password? Ask the administrator of this server, or run npx openwaba users reset-password --email you@… on the server.',
    );
    await page.getByLabel('Email').fill(ADMIN.email);
    expect(await forgot.locator('code').textContent()).toBe(
      `npx openwaba users reset-password --email ${ADMIN.email}`,
    );
    await page.getByLabel('Password').fill('not the password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page.getByRole('alert').textContent()).resolves.toContain('Email or password is incorrect');
    await shot('01-login-error');

    await page.getByLabel('Password').fill(ADMIN.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Inbox' }).waitFor();
    const nav = page.getByRole('navigation', { name: 'Main' });
    for (const section of [
      'Inbox',
      'Contacts',
      'Templates',
      'Campaigns',
      'Automation',
      'Reports',
      'Settings',
    ]) {
      expect(await nav.getByRole('link', { name: section }).count()).toBe(1);
    }
    expect(await page.getByText('Corner Shop').count()).toBeGreaterThan(0);
    await shot('02-shell-inbox');
  });

  it('opens the members and organisation settings pages', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Settings' }).click();
    await page.getByRole('heading', { name: 'Region and time' }).waitFor();
    await page.getByLabel('Time zone').fill('Asia/Kolkata');
    await page.getByRole('button', { name: 'Save settings' }).click();
    await page.getByText('Settings saved.').waitFor();
    await shot('03-org-settings');
    await page.getByRole('link', { name: 'Members' }).click();
    await page.getByText(`${ADMIN.email} (you)`).waitFor();
    await page.getByLabel('Email').fill('agent@shop.example');
    await page.getByRole('button', { name: 'Create invitation' }).click();
    await page.getByTestId('invite-link').waitFor();
    await shot('04-members');
  });

  it('settings say what is true: notifications, the empty teams page, why a button is disabled', async () => {
    await page.goto(`${server.url}/settings/notifications`);
    await page.getByRole('list', { name: 'What you are told' }).waitFor();
    const text = (await page.locator('main').textContent()) ?? '';
    expect(text).not.toMatch(/\(soon\)|coming soon|not yet available/i);
    expect(text).toContain('Your campaigns: finished, paused');
    await shot('04b-notifications-settings');

    await page.goto(`${server.url}/settings/teams`);
    await page.getByRole('heading', { name: 'No teams yet' }).waitFor();
    await page.getByText('Press “New team” to create one.').waitFor();
    // The same empty state as the other pages: the shared component, its icon centred in brand colour.
    const icon = page.locator('main svg.mx-auto.h-10.w-10.text-brand-600');
    expect(await icon.count()).toBe(1);
    await shot('04c-teams-empty');
    await page.getByRole('button', { name: 'New team' }).click();
    const create = page.getByRole('button', { name: 'Create team' });
    expect(await create.isDisabled()).toBe(true);
    expect(await create.getAttribute('title')).toBe('Enter a name first');
    const describedBy = await create.getAttribute('aria-describedby');
    expect(await page.locator(`[id="${describedBy}"]`).textContent()).toBe('Enter a name first');
    await page.getByLabel('Name').fill('Night shift');
    expect(await create.isDisabled()).toBe(false);
    expect(await create.getAttribute('title')).toBeNull();
  });

  it('switches organisation', async () => {
    const created = await page.request.post(`${server.url}/api/v1/orgs`, { data: { name: 'Second Branch' } });
    expect(created.status()).toBe(201);
    await page.goto(`${server.url}/inbox`);
    const switcher = page.getByLabel('Organisation');
    await switcher.waitFor();
    expect(await switcher.inputValue()).not.toBe((await created.json()).id);
    await switcher.selectOption({ label: 'Second Branch' });
    await page.waitForFunction(
      () =>
        (document.getElementById('org-switcher') as HTMLSelectElement | null)?.selectedOptions[0]?.text ===
        'Second Branch',
    );
    const me = await page.request.get(`${server.url}/api/v1/me`);
    expect((await me.json()).org.name).toBe('Second Branch');
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Settings' }).click();
    await expect(page.getByLabel('Name').inputValue()).resolves.toBe('Second Branch');
    await shot('05-switched-org');
  });

  it('is usable on a phone-sized screen', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${server.url}/inbox`);
    await page.getByRole('heading', { name: 'Inbox' }).waitFor();
    await shot('06-mobile');
    await page.setViewportSize({ width: 1280, height: 720 });
  });

  it('signs out: back to the sign-in page and the session no longer works', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in to your workspace' }).waitFor();
    const me = await page.request.get(`${server.url}/api/v1/me`);
    expect(me.status()).toBe(401);
    await page.goto(`${server.url}/settings/members`);
    await page.getByRole('heading', { name: 'Sign in to your workspace' }).waitFor();
    await shot('07-signed-out');
  });
});
