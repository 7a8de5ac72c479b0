import type { ConsoleMessage, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { customerSends, type Harness, hasChromium, signIn, startHarness } from './harness.ts';

const ADMIN = { email: 'owner@bakery.example', password: 'browser accounts password' };

/** Every Content-Security-Policy violation the page reports, recorded from before its first script. */
async function watchCsp(page: Page) {
  await page.addInitScript(() => {
    const w = window as unknown as { __csp: string[] };
    w.__csp = [];
    document.addEventListener('securitypolicyviolation', (e) =>
      w.__csp.push(
        `${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}:${e.columnNumber}`,
      ),
    );
  });
  const console: string[] = [];
  page.on('console', (m) => {
    if (/Content Security Policy|Refused to/i.test(m.text())) console.push(m.text());
  });
  return async () => [
    ...(await page.evaluate(() => (window as unknown as { __csp: string[] }).__csp)),
    ...console,
  ];
}

/** Calls the API from inside the page, as the dashboard does (same origin, its cookies). */
async function apiPost(page: Page, path: string, body: unknown) {
  return page.evaluate(
    async ([p, b]) => {
      const res = await fetch(p as string, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(b),
      });
      return { status: res.status, json: await res.json() };
    },
    [path, body] as const,
  );
}

describe.skipIf(!hasChromium)('accounts and browser protections in Chromium', () => {
  let h: Harness;
  let page: Page;
  let base: string;
  let violations: () => Promise<string[]>;

  beforeAll(async () => {
    h = await startHarness({ ...ADMIN, org: 'Bakery' }, { SANDBOX_PACE: '0' });
    page = h.page;
    base = h.server.url;
    violations = await watchCsp(page);
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('runs the dashboard, its live connection and /docs under the CSP without a violation', async () => {
    const res = await page.goto(`${base}/login`);
    const csp = res?.headers()['content-security-policy'] ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    await signIn(page, base, ADMIN);
    // The WebSocket connected: the shell says so to screen readers.
    await page.getByText('Live updates on').waitFor({ state: 'attached', timeout: 15_000 });
    const errors: string[] = [];
    const onConsole = (m: ConsoleMessage) => {
      if (m.type() === 'error') errors.push(m.text());
    };
    const onPageError = (e: Error) => errors.push(e.message);
    page.on('console', onConsole);
    page.on('pageerror', onPageError);
    await page.goto(`${base}/docs`);
    await page.getByText('openwaba API').first().waitFor();
    await page.locator('.opblock').first().waitFor();
    await page.waitForLoadState('networkidle');
    page.off('console', onConsole);
    page.off('pageerror', onPageError);
    await h.shot('30-docs-under-csp');
    expect(await violations()).toEqual([]);
    expect(errors).toEqual([]);
    // Branded: our title, our mark in the top bar, no stock Swagger look or "explore a URL" box.
    expect(await page.title()).toBe('openwaba API reference');
    const logo = page.locator('.topbar img');
    expect(await logo.getAttribute('src')).toMatch(/^data:image\/svg\+xml;base64,/);
    expect(await logo.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0)).toBe(true);
    expect(await page.locator('.topbar .download-url-wrapper').isVisible()).toBe(false);
    expect(await page.locator('link[rel="icon"]').getAttribute('href')).toContain('openwaba.svg');
    const topbar = await page.locator('.topbar').evaluate((el) => getComputedStyle(el).backgroundColor);
    expect(topbar).toBe('rgb(6, 95, 70)');
  });

  it('lists where you are signed in: browser and system, this device marked, times relative', async () => {
    const iphone = await h.browser.newContext({
      userAgent:
        'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1',
    });
    const phone = await iphone.newPage();
    await signIn(phone, base, ADMIN);
    await page.goto(`${base}/settings/account`);
    const sessions = page.getByRole('list', { name: 'Sessions' });
    await sessions.getByText('Safari 17 on iOS').waitFor();
    const items = await sessions.getByRole('listitem').allInnerTexts();
    // This browser first, marked, named from its user agent (headless Chromium reports Chrome on Linux).
    expect(items[0]).toMatch(/^Chrome \d+ on Linux\s+This device\s+127\.0\.0\.1 · active now · signed in /);
    const other = items.find((i) => i.startsWith('Safari 17 on iOS'));
    expect(other).toMatch(/last active (now|\d+ minutes? ago) · signed in (now|\d+ minutes? ago)/);
    expect(other).not.toContain('This device');
    expect(items.join('\n')).not.toContain('Mozilla/5.0');
    await h.shot('34-account-sessions');
    // Signing the phone out from here ends its session.
    await sessions.getByRole('button', { name: 'Sign out Safari 17 on iOS' }).click();
    await sessions.getByText('Safari 17 on iOS').waitFor({ state: 'detached' });
    const state = await phone.evaluate(async () => (await fetch('/api/v1/auth/session')).json());
    expect(state).toEqual({ signed_in: false, needs_refresh: false });
    await iphone.close();
  });

  it('shows "New organisation" to the instance administrator, who creates one', async () => {
    await page.goto(`${base}/inbox`);
    await page.getByRole('button', { name: 'New organisation' }).click();
    await page.getByLabel('Organisation name').fill('Bakery North');
    await page.getByRole('button', { name: 'Create' }).click();
    await page.waitForFunction(
      () =>
        (document.getElementById('org-switcher') as HTMLSelectElement | null)?.selectedOptions[0]?.text ===
        'Bakery North',
    );
    await h.shot('31-new-organisation');
  });

  it('joins by an invitation link whose token never leaves the browser; signed in, no password is asked', async () => {
    const invited = await apiPost(page, '/api/v1/invitations', {
      email: 'baker@bakery.example',
      role: 'agent',
    });
    expect(invited.status).toBe(201);
    const path = invited.json.accept_path as string;
    expect(path).toMatch(/^\/accept-invitation#token=/);

    const ctx = await h.browser.newContext({ viewport: { width: 1280, height: 720 } });
    const baker = await ctx.newPage();
    const requested: string[] = [];
    baker.on('request', (r) => requested.push(r.url()));
    await baker.goto(`${base}${path}`);
    await baker.getByRole('heading', { name: 'Join Bakery North' }).waitFor();
    // The token went to the server only inside a POST body, never in a URL.
    const token = decodeURIComponent(path.split('#token=')[1]!);
    expect(requested.filter((u) => u.includes(token) || u.includes(encodeURIComponent(token)))).toEqual([]);
    await baker.getByLabel('Your name').fill('Sam Baker');
    await baker.getByLabel('Choose a password').fill('sam baker password');
    await h.shot('32-accept-invitation', baker);
    await baker.getByRole('button', { name: 'Accept invitation' }).click();
    await baker.getByRole('heading', { name: 'Inbox' }).waitFor();
    // An agent may not create organisations: no button.
    expect(await baker.getByRole('button', { name: 'New organisation' }).count()).toBe(0);

    // Invited again, to the first organisation, while signed in as that account: just accept.
    await page.getByLabel('Organisation').selectOption({ label: 'Bakery' });
    await page.waitForFunction(
      () =>
        (document.getElementById('org-switcher') as HTMLSelectElement | null)?.selectedOptions[0]?.text ===
        'Bakery',
    );
    const again = await apiPost(page, '/api/v1/invitations', {
      email: 'baker@bakery.example',
      role: 'viewer',
    });
    expect(again.status).toBe(201);
    await baker.goto(`${base}${again.json.accept_path}`);
    await baker.getByText('You are signed in as baker@bakery.example.').waitFor();
    await h.shot('33-accept-invitation-signed-in', baker);
    expect(await baker.getByLabel('Your password').count()).toBe(0);
    await baker.getByRole('button', { name: 'Accept invitation' }).click();
    await baker.getByRole('heading', { name: 'Inbox' }).waitFor();
    const me = await baker.evaluate(async () => (await fetch('/api/v1/me')).json());
    expect(me.org.name).toBe('Bakery');
    await ctx.close();
  });

  it('an existing account not signed in can sign in first and come back to the invitation', async () => {
    const home = (await page.evaluate(async () => (await fetch('/api/v1/me')).json())).org.id as string;
    const south = await apiPost(page, '/api/v1/orgs', { name: 'Bakery South' });
    expect(south.status).toBe(201);
    expect((await apiPost(page, '/api/v1/me/org', { org_id: south.json.id })).status).toBe(200);
    const inv = await apiPost(page, '/api/v1/invitations', { email: 'baker@bakery.example', role: 'agent' });
    const ctx = await h.browser.newContext({ viewport: { width: 1280, height: 720 } });
    const baker = await ctx.newPage();
    await baker.goto(`${base}${inv.json.accept_path}`);
    await baker.getByRole('heading', { name: 'Join Bakery South' }).waitFor();
    await baker.getByLabel('I already have an account with baker@bakery.example').check();
    await baker.getByRole('link', { name: 'sign in first' }).click();
    await baker.getByLabel('Email').fill('baker@bakery.example');
    await baker.getByLabel('Password').fill('sam baker password');
    await baker.getByRole('button', { name: 'Sign in' }).click();
    // Back on the invitation, token and all.
    await baker.getByText('You are signed in as baker@bakery.example.').waitFor();
    await baker.getByRole('button', { name: 'Accept invitation' }).click();
    await baker.getByRole('heading', { name: 'Inbox' }).waitFor();
    const me = await baker.evaluate(async () => (await fetch('/api/v1/me')).json());
    expect(me.org.name).toBe('Bakery South');
    await ctx.close();
    expect((await apiPost(page, '/api/v1/me/org', { org_id: home })).status).toBe(200);
  });

  it('keeps composer drafts per user and forgets them at sign-out', async () => {
    await customerSends(h, '447700900321', {
      type: 'text',
      name: 'Dana Flour',
      text: 'Do you have rye today?',
    });
    await page.goto(`${base}/inbox`);
    await page
      .getByRole('list', { name: 'Conversations' })
      .getByRole('link', { name: /Dana Flour/ })
      .click();
    const reply = page.getByRole('textbox', { name: 'Reply' });
    await reply.fill('Yes, two loaves left');
    const me = await page.evaluate(async () => (await fetch('/api/v1/me')).json());
    const keys = await page.evaluate(() =>
      Object.keys(localStorage).filter((k) => k.startsWith('openwaba:draft:')),
    );
    expect(keys).toHaveLength(1);
    expect(keys[0]).toContain(`:${me.user.id}:`);
    // Kept across a reload for the same person …
    await page.reload();
    await expect(page.getByRole('textbox', { name: 'Reply' }).inputValue()).resolves.toBe(
      'Yes, two loaves left',
    );
    // … and gone once they sign out.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in to your workspace' }).waitFor();
    expect(
      await page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith('openwaba:draft:'))),
    ).toEqual([]);
    expect(await violations()).toEqual([]);
  });
});
