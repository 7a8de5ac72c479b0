import type { Page } from 'playwright-core';
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
    await page.goto(`${base}/docs`);
    await page.getByText('openwaba API').first().waitFor();
    await page.locator('.opblock').first().waitFor();
    await h.shot('30-docs-under-csp');
    expect(await violations()).toEqual([]);
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
