import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { customerSends, type Harness, hasChromium, signIn, startHarness } from './harness.ts';

// The Reports tabs on a phone (375 px) and a tablet (768 px): the page never scrolls sideways, tables
// scroll inside their own box, and the tag picker shows where the filter applies.

const ADMIN = { email: 'owner@reports-mobile.example', password: 'browser reports mobile password' };
const SANDBOX_WABA = '200000000000001';
const TABS = [
  { path: '/reports', ready: 'kpi-sent', tag: true },
  { path: '/reports/campaigns', ready: 'table-campaigns', tag: false },
  { path: '/reports/numbers', ready: null, tag: true },
  { path: '/reports/templates', ready: null, tag: true },
  { path: '/reports/spend', ready: null, tag: true },
];

async function post(page: Page, base: string, path: string, data: unknown) {
  const res = await page.request.post(`${base}${path}`, { data });
  expect(res.status(), await res.text()).toBeLessThan(300);
  return (await res.json()) as { id: string };
}

/** How far the page is wider than the window, and the tables that are not inside a box of their own that scrolls. */
const layout = (page: Page) =>
  page.evaluate(() => {
    // The right edge of the page's content (inside main's padding): a card wider than it pokes out.
    const main = document.querySelector('main') as HTMLElement;
    const edge = main.getBoundingClientRect().right - Number.parseFloat(getComputedStyle(main).paddingRight);
    const tables = [...document.querySelectorAll('main table')]
      .filter((t) => t.getClientRects().length > 0)
      .map((t) => {
        let box: HTMLElement | null = t.parentElement;
        while (box && !['auto', 'scroll'].includes(getComputedStyle(box).overflowX)) box = box.parentElement;
        return {
          name: t.getAttribute('aria-label') ?? t.querySelector('caption')?.textContent ?? '?',
          boxed: !!box && box.getBoundingClientRect().right <= edge + 0.5,
        };
      });
    return {
      overflow: document.documentElement.scrollWidth - innerWidth,
      unboxed: tables.filter((t) => !t.boxed).map((t) => t.name),
      tables: tables.length,
    };
  });

describe.skipIf(!hasChromium)('reports on small screens', () => {
  let h: Harness;
  let base: string;

  beforeAll(async () => {
    h = await startHarness({ ...ADMIN, org: 'Juniper Tea' }, { SANDBOX_PACE: '0' });
    base = h.server.url;
    const res = await fetch(`${h.simulatorUrl}/_sim/templates`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        waba_id: SANDBOX_WABA,
        name: 'winter_tea_with_a_rather_long_name',
        language: 'en_US',
        category: 'MARKETING',
        components: [
          { type: 'BODY', text: 'Hi {{1}}, our winter teas are in.', example: { body_text: [['Ana']] } },
        ],
      }),
    });
    expect(res.status, await res.clone().text()).toBe(201);
    const { page } = h;
    await signIn(page, base, ADMIN);
    expect((await page.request.post(`${base}/api/v1/templates/sync`, { data: {} })).status()).toBe(200);
    const tag = (await post(page, base, '/api/v1/tags', { name: 'Winter list' })).id;
    const optIn = { source: 'web_form', proof: 'Ticked the box at checkout' };
    for (const [i, name] of ['Asha Menon', 'Bruno Costa', 'Chloe Martin'].entries())
      await post(page, base, '/api/v1/contacts', {
        phone: `+44 7400 ${400000 + i}`,
        name,
        tag_ids: [tag],
        opt_in: optIn,
      });
    const tpl = (
      (await (await page.request.get(`${base}/api/v1/templates?usable=true`)).json()) as {
        data: { id: string; name: string }[];
      }
    ).data.find((t) => t.name === 'winter_tea_with_a_rather_long_name');
    const numbers = (await (await page.request.get(`${base}/api/v1/numbers`)).json()) as {
      data: { id: string }[];
    };
    const campaign = await post(page, base, '/api/v1/campaigns', {
      name: 'Winter teas for the whole mailing list',
      number_id: numbers.data[0]?.id,
      audience: { kind: 'contacts', filter: { tag_ids: [tag] } },
      templates: [{ template_id: tpl?.id, mapping: { 'body.1': { contact: 'name' } } }],
    });
    await post(page, base, `/api/v1/campaigns/${campaign.id}/start`, {});
    await customerSends(h, '447400400000', { type: 'text', text: 'Lovely, I’ll take two' });
    // The fold counts within a second; wait until the overview shows the sends.
    const to = new Date().toISOString().slice(0, 10);
    const from = new Date(Date.now() - 29 * 86_400_000).toISOString().slice(0, 10);
    const sent = async () =>
      (
        (await (await page.request.get(`${base}/api/v1/reports/overview?from=${from}&to=${to}`)).json()) as {
          kpis: { sent: { current: number } };
        }
      ).kpis.sent.current;
    for (let i = 0; i < 150 && (await sent()) < 3; i++) await new Promise((r) => setTimeout(r, 200));
    expect(await sent()).toBeGreaterThanOrEqual(3);
  }, 240_000);
  afterAll(async () => {
    await h?.stop();
  });

  for (const width of [375, 768]) {
    it(`shows every tab at ${width} px without a sideways scroll of the page`, async () => {
      const { page } = h;
      await page.setViewportSize({ width, height: 800 });
      for (const tab of TABS) {
        await page.goto(`${base}${tab.path}`);
        await page.getByRole('heading', { name: 'Reports', level: 1 }).waitFor();
        if (tab.ready) await page.getByTestId(tab.ready).first().waitFor();
        await page.getByText('Download CSV').first().waitFor();
        await page.locator('main table:visible').first().waitFor();
        // Charts have drawn at the width they have (Recharts measures its box).
        await page.waitForTimeout(300);
        const l = await layout(page);
        expect(l.overflow, `${tab.path} at ${width} px`).toBeLessThanOrEqual(0);
        expect(l.tables, tab.path).toBeGreaterThan(0);
        expect(l.unboxed, `${tab.path} at ${width} px`).toEqual([]);
        expect(await page.getByLabel('Contact tag', { exact: true }).count(), tab.path).toBe(tab.tag ? 1 : 0);
        if (width === 375 && tab.path === '/reports') {
          await page.mouse.move(0, 0);
          await h.shot('reports-mobile-home');
        }
        if (width === 375 && tab.path === '/reports/campaigns') await h.shot('reports-mobile-campaigns');
      }
      await page.setViewportSize({ width: 1280, height: 720 });
    });
  }

  it('keeps the chosen tag in the address and narrows the figures to it', async () => {
    const { page } = h;
    await page.setViewportSize({ width: 375, height: 800 });
    await page.goto(`${base}/reports`);
    await page.getByTestId('kpi-sent').waitFor();
    await page.getByLabel('Contact tag', { exact: true }).selectOption({ label: 'Winter list' });
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.waitForURL(/[?&]tag=/);
    const tag = new URL(page.url()).searchParams.get('tag');
    expect(tag).toBeTruthy();
    // The campaigns tab keeps the tag in the address but does not ask for it.
    await page.getByRole('navigation', { name: 'Reports' }).getByRole('link', { name: 'Campaigns' }).click();
    await page.getByTestId('table-campaigns').waitFor();
    expect(new URL(page.url()).searchParams.get('tag')).toBe(tag);
    await page.setViewportSize({ width: 1280, height: 720 });
  });
});
